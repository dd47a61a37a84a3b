# Two commands on a fresh machine: `make demo` and `make test`. Both create the venv they need.
# `make demo` ends by serving the graph at http://$(HOST):$(PORT)/ until Ctrl-C.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= build/store
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-register install build clean pictures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(BIN)/certgraph build --store $(STORE)

demo: build
	$(BIN)/certgraph validate --store $(STORE) --summary || test $$? -eq 1
	$(BIN)/certgraph lineage RNCP35080 --store $(STORE)
	$(BIN)/certgraph compare RNCP35080 RNCP41296 --store $(STORE)
	$(BIN)/certgraph serve --store $(STORE) --get '/queries/lineage/current?fiche=RNCP28720'
	@echo
	$(BIN)/certgraph serve --store $(STORE) --host $(HOST) --port $(PORT)

# The README's pictures, drawn by the project from the built graph (needs Graphviz's dot).
pictures: build
	$(BIN)/certgraph draw lineage RNCP35080 --store $(STORE) -o docs/lineage-RNCP35080.svg
	$(BIN)/certgraph draw compare RNCP35080 RNCP41296 --store $(STORE) -o docs/compare-RNCP35080-RNCP41296.svg

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The tests, and the one too long for CI: every named query on Virtuoso over the whole register.
test-register: $(STAMP)
	CERTGRAPH_REGISTER_TESTS=1 $(BIN)/python -m pytest -q

clean:
	rm -rf build $(VENV)
