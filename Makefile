# Two commands do all the set-up on a fresh machine (see README):
#   make export   - install into .venv and export source/ into output/ (JSON and XML)
#   make test     - install into .venv, fetch the official FHIR R4 schemas, run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install export test lint schemas bench clean

$(BIN)/fhir-export: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/fhir-export

export: install
	$(BIN)/fhir-export export source --out output --format both

schemas:
	bash scripts/fetch_fhir_schemas.sh

lint: install
	$(BIN)/ruff check fhir_export tests benchmarks scripts
	$(BIN)/mypy

test: install schemas lint
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/export_speed.py

clean:
	rm -rf $(VENV) .cache output/*.json output/*.xml
