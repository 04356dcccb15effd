# Two commands do all the set-up on a fresh machine (see README):
#   make export   - install into .venv and export source/ into output/ (JSON and XML)
#   make test     - install into .venv, fetch the official FHIR schemas and the lexicon's
#                   build-time sources, build the HAPI validator and the HAPI FHIR JPA test
#                   server, lint, run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install export test lint schemas hapi hapi-server lhc lexicon-sources bench clean

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

hapi:
	bash scripts/build_hapi.sh

# A HAPI FHIR 8.4.0 JPA server (in-memory H2) on http://127.0.0.1:$(PORT)/fhir, to load output/
# into: `make hapi-server` (Ctrl-C stops it; its data lives in memory only).
FHIR_VERSION ?= R4
PORT ?= 8080
HAPI_SERVER := tests/hapi-server/target
hapi-server:
	bash scripts/build_hapi.sh server
	java -cp "$(HAPI_SERVER)/classes:$$(cat $(HAPI_SERVER)/classpath.txt)" fhirexport.HapiServer $(FHIR_VERSION) $(PORT)

lhc:
	bash scripts/setup_lhc_forms.sh

lexicon-sources: install
	bash scripts/fetch_lexicon_sources.sh

lint: install
	$(BIN)/ruff check fhir_export tests benchmarks scripts
	$(BIN)/mypy

test: install schemas hapi lhc lexicon-sources lint
	FHIR_EXPORT_LEXICON_WHEELS=$(CURDIR)/.cache/lexicon-wheels $(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/export_speed.py

clean:
	rm -rf $(VENV) .cache output/*.json output/*.xml
