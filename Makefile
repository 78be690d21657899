# ReflexClinic: `make run` starts the app with demo data, `make test` runs the suite.
# Both set everything up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails (password reset) point here; follows HOST and PORT unless set.
SITE_URL ?= http://$(HOST):$(PORT)
export SITE_URL

.PHONY: run test lint format setup install migrate demo clean bench-deliver bench-dashboard bench-web screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstalls only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# axe-core for the browser tests' accessibility checks (package-lock.json pins it). Without npm
# the browser tests skip with a reason; CI installs it. Reinstalls only when the lock changes.
NPM := $(shell command -v npm)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# What the app needs to run: `make run` installs no more (no npm, no axe-core).
install: $(VENV)/.installed

# Everything, test tools included: `make test` and the browser screenshots use it.
setup: install $(if $(NPM),node_modules/.installed)

# The default SQLite file lives in var/ (or VAR_DIR); the settings only name it.
migrate: install
	mkdir -p "$${VAR_DIR:-var}"
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

# Web server, Celery worker and Celery beat under honcho: one Ctrl-C stops all three.
# The address and logins were just printed by seed_demo (once); this only adds where emails go.
run: demo
	@echo "  Emails: one .eml file per email in var/mail/. Ctrl-C stops the web server, worker and beat."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start --procfile Procfile --port $(PORT)

# pytest exits 5 when it collected no tests; an empty run must not look like a pass.
test: setup
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing." >&2; fi; \
	exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Not a test: due routine emails end to end through Redis, Celery and a loopback SMTP
# server, against a plain smtplib loop. Needs PostgreSQL and redis-server; see README.
bench-deliver: install
	$(BIN)/python bench/deliver_routines.py $(BENCH_ARGS)

# Not a test: the reports dashboard for one large clinic of a generated network on PostgreSQL,
# against hand-written SQL computing the same figures. See README.
bench-dashboard: install
	$(BIN)/python bench/dashboard.py $(BENCH_ARGS)

# Not a test: the main pages under load through gunicorn with the production settings, on
# loopback, against a generated large clinic and the demo clinics on PostgreSQL. See README.
bench-web: install
	$(BIN)/python bench/web_load.py $(BENCH_ARGS)

# Screenshots of every main page at desktop (1366 px) and tablet (768 px) widths in var/screenshots/.
screenshots: setup
	$(BIN)/python -m tests.browser.screenshots $(SCREENSHOT_ARGS)

clean:
	rm -rf var/
