# Leerportaal. `make run` starts everything; `make test` runs the whole test suite.
# The newest Python 3.13, 3.12 or 3.11 that runs (a pyenv shim without that version does not),
# or PYTHON=... ; VENV=... keeps a second environment beside the first (CI tests two versions).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11; do \
	$$p -c 'import sys' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format check stop messages python backup restore

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Leerportaal needs Python 3.11, 3.12 or 3.13 (python3.13, python3.12 or python3.11 on PATH, or PYTHON=...)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Web on http://127.0.0.1:8000, a Celery worker and celery beat, with demo data. Ctrl-C stops all.
run: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runall

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-production-like-secret-key-value \
		ALLOWED_HOSTS=leerportaal.nl $(BIN)/python manage.py check --deploy --fail-level WARNING

# The Python `make install` uses (CI picks a second version to test beside it).
python:
	@echo $(PYTHON)

# A compressed dump of the database (embedded or DATABASE_URL) in .data/backups/.
backup: install
	$(BIN)/python manage.py backup

# Replace the database's contents with a backup: make restore FILE=.data/backups/leerportaal-....dump
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=.data/backups/leerportaal-....dump" >&2; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" --yes
	$(BIN)/python manage.py ledger_check

# Stop embedded PostgreSQL/Redis left running by a manage.py command run on its own.
stop:
	$(BIN)/python -m leerportaal.embedded stop

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv*' --ignore '.data/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv*'
