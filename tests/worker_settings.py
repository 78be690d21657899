"""Settings for a Celery worker (or dispatcher) that a fault test or the benchmark starts.

The project's settings, plus any setting given as `RC_SETTING_<NAME>=<JSON value>` in
the environment, so a test can make retry backoff and the sweeper's patience short in a
subprocess without the project growing an environment variable for each of them.
"""

import json
import os

from reflexclinic.settings import *  # noqa: F403

_PREFIX = "RC_SETTING_"
for _key, _raw in os.environ.items():
    if _key.startswith(_PREFIX):
        globals()[_key.removeprefix(_PREFIX)] = json.loads(_raw)
