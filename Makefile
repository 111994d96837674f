# DigiSpine entry points. `make demo` and `make test` are the two commands of the quick start;
# both run `make install` first, which is idempotent.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.digispine-installed

.PHONY: install demo test test-unit lint bench-ingest bench-graphql bench-export clean-data

install: $(STAMP)
	@$(BIN)/digispine neo4j install
	@$(BIN)/digispine kafka install

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: install
	$(BIN)/digispine demo

test: install
	$(BIN)/python -m pytest

test-unit: install
	$(BIN)/python -m pytest tests/unit

lint: install
	$(BIN)/ruff check graph_service loaders tests

clean-data:
	@$(BIN)/digispine neo4j stop || true
	rm -rf .digispine

bench-ingest: install
	$(BIN)/python -m bench.ingest

bench-export: install
	$(BIN)/python -m bench.export

bench-graphql: install
	$(BIN)/python -m bench.graphql
