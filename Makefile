# make        set up and build every output into outputs/
# make test   set up and run every test
# make check  readability report for every handout and translation
# make bench  the build benchmark (see README)
# make serve  live preview on http://127.0.0.1:8000/ that rebuilds on save

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIPELINE := $(PY) -m pipeline

.PHONY: all build test check extract update stats qa bench serve setup setup-test system system-test clean

all: build outputs/reports/readability.json

# The virtual environment is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test,cluster]"
	touch $@

# Debian packages (fonts, poppler-utils, gettext; for tests chromium, Java, npm), where missing.
system:
	@scripts/setup-system.sh build

system-test:
	@scripts/setup-system.sh test

setup: $(VENV)/.installed system

# axe-core and the Nu HTML Checker (vnu.jar), at the versions pinned in package.json.
WEB_AUDIT := tests/web_audit
$(WEB_AUDIT)/node_modules/.installed: $(WEB_AUDIT)/package.json | system-test
	@command -v npm >/dev/null || { echo "npm is missing; what to do: apt-get install npm" >&2; exit 2; }
	cd $(WEB_AUDIT) && npm install --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

setup-test: $(VENV)/.installed-test system-test $(WEB_AUDIT)/node_modules/.installed

build: setup
	$(PIPELINE) build

test: setup-test
	$(PY) -m pytest -n auto -q

check: setup
	$(PIPELINE) check

# The readability report is part of every build; a handout that misses its reading
# target is reported here and fails `make check`, not the build (exit 2, bad input, does).
outputs/reports/readability.json: $(wildcard source/*.md locales/*/LC_MESSAGES/*.po pipeline/readability/*.py pipeline/data/*) clinics.yaml | setup
	$(PIPELINE) check --quiet || test $$? -eq 1

extract: setup
	$(PIPELINE) extract

update: setup
	$(PIPELINE) update

stats: setup
	$(PIPELINE) stats

qa: setup
	$(PIPELINE) qa

# Live preview: rebuilds what changed on save and reloads the page (Ctrl+C stops it).
serve: setup
	$(PIPELINE) serve

bench: setup-test
	$(PY) bench/bench_build.py

clean:
	rm -rf outputs
