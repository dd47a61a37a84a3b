# Two commands on a fresh machine: `make demo` and `make test`. Both create the venv they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= build/store
STAMP := $(VENV)/.installed

.PHONY: demo test install build clean

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

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf build $(VENV)
