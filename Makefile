# make        set up and build every output into outputs/
# make test   set up and run every test
# make check  readability report for every handout and translation
# make bench  the build benchmark (see README)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIPELINE := $(PY) -m pipeline

.PHONY: all build test check extract update stats qa bench setup setup-test clean

all: build

# The virtual environment is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

setup: $(VENV)/.installed
	@scripts/setup-system.sh build

setup-test: $(VENV)/.installed-test
	@scripts/setup-system.sh test

build: setup
	$(PIPELINE) build

test: setup-test
	$(PY) -m pytest -n auto -q

check: setup
	$(PIPELINE) check

extract: setup
	$(PIPELINE) extract

update: setup
	$(PIPELINE) update

stats: setup
	$(PIPELINE) stats

qa: setup
	$(PIPELINE) qa

bench: setup-test
	$(PY) bench/bench_build.py

clean:
	rm -rf outputs
