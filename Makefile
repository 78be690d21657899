# ReflexClinic: `make run` starts the app with demo data, `make test` runs the suite.
# Both set everything up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format setup migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo ""
	@echo "  ReflexClinic is starting on http://$(HOST):$(PORT)/"
	@echo "  Logins: owner / demo (clinic owner), demo / demo (practitioner)"
	@echo "  Emails are written to var/mail/. Ctrl-C stops the web server, worker and beat."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho --procfile Procfile start

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var/
