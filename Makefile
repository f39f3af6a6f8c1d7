# Two commands run everything: `make run` (the product) and `make test` (the tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA_DIR ?= $(CURDIR)/var
export DATA_DIR PORT

.PHONY: run test install static migrate demo lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall Python packages only when requirements.txt changes.
$(VENV)/.requirements.stamp: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/chart.umd.js static/vendor/axe.min.js &: node_modules/.package-lock.json scripts/build-static.mjs
	npm run --silent build

install: $(VENV)/.requirements.stamp static/vendor/chart.umd.js static/vendor/axe.min.js

# The instance's secret key lives in DATA_DIR, made once; settings refuse to start without one.
$(DATA_DIR)/secret_key: | $(BIN)/python
	@mkdir -p $(DATA_DIR)
	@umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

static: install $(DATA_DIR)/secret_key
	@$(BIN)/python manage.py collectstatic --noinput --verbosity 0

migrate: install $(DATA_DIR)/secret_key
	@$(BIN)/python manage.py migrate --noinput --verbosity 0

demo: migrate
	$(BIN)/python manage.py seed_demo

# Prints only the URL, the logins and the key (runportal --verbose for request and task logs).
run: static migrate
	@$(BIN)/python manage.py seed_demo --verbosity 0
	@$(BIN)/python manage.py runportal --port $(PORT)

test: install
	$(BIN)/python scripts/run_tests.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_wallet.py

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
