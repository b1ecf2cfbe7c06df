# Leerportaal. `make run` starts everything; `make test` runs the whole test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format check stop messages

install: $(STAMP)

$(STAMP): pyproject.toml
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

# Stop embedded PostgreSQL/Redis left running by a manage.py command run on its own.
stop:
	$(BIN)/python -m leerportaal.embedded stop

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv/*' --ignore '.data/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'
