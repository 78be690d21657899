# Sourced by the production command lines in bin/: one place for what they share.
# Runs from the project root, with DEBUG off unless the environment says otherwise, and
# the project's virtualenv when there is one (`make setup`), else the system's Python
# (the container image installs the requirements there).
cd "$(dirname "$0")/.." || exit 1
export DEBUG="${DEBUG:-false}"
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
