# Richwell Colleges Portal. `make run` serves the portal; `make test` runs every suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export FLASK_APP := richwell

.PHONY: run test lint venv clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever setup.cfg changes.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/flask db upgrade
	@if [ ! -f instance/.seeded ]; then $(BIN)/flask seed-demo && touch instance/.seeded; \
	else echo "Demo data already seeded (delete instance/.seeded to seed again). Logins:"; \
	$(BIN)/flask seed-demo | sed -n '1,20p'; fi
	HUEY_IMMEDIATE=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

test: venv
	$(BIN)/pytest -n 2 --dist loadgroup -rs $(PYTEST_ARGS)

# Settings live in pyproject.toml: ruff (style, complexity <= 15), the import contracts, mypy.
lint: venv
	$(BIN)/ruff check richwell tests
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache
