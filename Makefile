# DigiSpine entry points. `make demo` and `make test` are the two commands of the quick start;
# both run `make install` first, which is idempotent.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.digispine-installed

# An installer's own output (pip's notices, apt's and debconf's lines) goes to a log that is shown,
# its last 40 lines, only when it fails: `make demo` prints its progress lines and nothing else.
QUIET = sh -c 'log=$$(mktemp); "$$@" >"$$log" 2>&1 || { code=$$?; tail -n 40 "$$log" >&2; rm -f "$$log"; exit $$code; }; rm -f "$$log"' quiet

.PHONY: install chromium prometheus mosquitto demo test test-unit lint bench-ingest bench-graphql bench-export bench-streams clean-data

EXPLORER     := explorer
EXPLORER_OUT := graph_service/api/explorer_static/explorer.js
PAGES        := pages
PAGES_OUT    := graph_service/api/pages_static/graphiql.js

install: $(STAMP) $(EXPLORER_OUT) $(PAGES_OUT) chromium prometheus mosquitto
	@$(BIN)/digispine neo4j install
	@$(BIN)/digispine kafka install

# The explorer page, bundled with its graph library (npm, at build time) so it works offline.
$(EXPLORER)/node_modules/.package-lock.json: $(EXPLORER)/package-lock.json
	@echo "› npm ci (explorer page)"
	@cd $(EXPLORER) && $(QUIET) npm ci --no-audit --no-fund --no-progress --loglevel=error

$(EXPLORER_OUT): $(EXPLORER)/node_modules/.package-lock.json $(wildcard $(EXPLORER)/src/*) $(EXPLORER)/build.mjs
	@cd $(EXPLORER) && npm run --silent build

# GraphiQL, Swagger UI, ReDoc and the catalog page, bundled from npm the same way (offline pages).
$(PAGES)/node_modules/.package-lock.json: $(PAGES)/package-lock.json
	@echo "› npm ci (GraphiQL, API docs, catalog pages)"
	@cd $(PAGES) && $(QUIET) npm ci --no-audit --no-fund --no-progress --loglevel=error

$(PAGES_OUT): $(PAGES)/node_modules/.package-lock.json $(wildcard $(PAGES)/src/* $(PAGES)/src/*/*) $(PAGES)/build.mjs
	@cd $(PAGES) && npm run --silent build

# Headless Chromium for the explorer's end-to-end tests (Debian's package; the tests never download a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "› installing Debian's chromium for the browser tests (apt-get)"; \
	  $(QUIET) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium'; }

# A real Prometheus for the metrics test (Debian's package; the suite starts its own on a free port).
prometheus:
	@command -v prometheus >/dev/null 2>&1 || { \
	  echo "› installing Debian's prometheus for the metrics test (apt-get)"; \
	  $(QUIET) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus'; }

# A real MQTT broker for the Unified Namespace adapter (Debian's mosquitto; `digispine mqtt start`
# runs it under .digispine/mqtt, the suite starts its own on a free port). Debian starts no service here.
mosquitto:
	@command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto || { \
	  echo "› installing Debian's mosquitto for the MQTT bridge (apt-get)"; \
	  $(QUIET) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto'; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "› pip install (the Python dependencies, into $(VENV))"
	@$(QUIET) $(BIN)/python -m pip install -q --disable-pip-version-check --root-user-action=ignore -U pip
	@$(QUIET) $(BIN)/python -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[dev,streams,mqtt]'
	@touch $@

# What only the test suite needs (pm4py, which checks the OCEL logs we export): installed by `make test`,
# not by `make demo`, because it is large (numpy, pandas, scipy, matplotlib).
TEST_STAMP := $(VENV)/.digispine-test-installed
$(TEST_STAMP): $(STAMP) pyproject.toml
	@echo "› pip install (what only the tests need: pm4py, into $(VENV))"
	@$(QUIET) $(BIN)/python -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[dev,streams,mqtt,ocel-check]'
	@touch $@

demo: install
	@$(BIN)/digispine demo

# The lint runs first (a few seconds): CI fails on a ruff finding, an unformatted file or a mypy error.
test: install $(TEST_STAMP) lint
	$(BIN)/python -m pytest

test-unit: install $(TEST_STAMP)
	$(BIN)/python -m pytest tests/unit

# mypy reads its files and settings from pyproject's [tool.mypy]; its cache (.mypy_cache) makes a
# re-run ~1 s, a cold one ~15 s.
lint: install
	$(BIN)/ruff check graph_service loaders tests bench
	$(BIN)/ruff format --check graph_service loaders tests bench
	$(BIN)/mypy

clean-data:
	@$(BIN)/digispine neo4j stop || true
	@$(BIN)/digispine kafka stop || true
	rm -rf .digispine

bench-ingest: install
	$(BIN)/python -m bench.ingest

bench-export: install
	$(BIN)/python -m bench.export

# The GraphQL API against hand-written Cypher and against the official Neo4j GraphQL Library (--peer;
# docs/graphql.md "Benchmark"); `ARGS=--reuse` keeps the plant.
bench-graphql: install
	$(BIN)/python -m bench.graphql --peer $(ARGS)

# The real-time path against bare baselines (docs/streams.md "Measured"); `ARGS=--quick` for a short run.
bench-streams: install
	$(BIN)/python -m bench.streams $(ARGS)
