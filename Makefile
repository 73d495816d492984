# The whole set-up on a fresh machine with Python 3 and make:
#   make demo   create .venv if needed, install with the demo extra only
#               (trustme), run the demo against a throwaway ZEO server
#   make test   create .venv if needed, install, lint and run the tests
#   make test-all   the version matrix (tox.ini): Python 3.9 to 3.13,
#               Plone 6.0's ZEO/ZODB/ZConfig and the lower limits
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test test-all lint bench bench-instructions docs clean

# tox finds each Python on PATH; pyenv's (where there is one) go first,
# since its shims run only the versions that pyenv has selected.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
PYENV_BINS := $(foreach v,9 10 11 12 13,$(lastword \
	$(wildcard $(PYENV_ROOT)/versions/3.$(v).*/bin)))
empty :=
TOX_PATH := $(subst $(empty) $(empty),:,$(strip $(PYENV_BINS) $(PATH)))
# .ci/run passes --skip-missing-interpreters=false.
TOX_ARGS ?=

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# editable_mode=compat puts this folder on sys.path (a .pth file) instead
# of an import hook: a folder named zeoconf elsewhere on the path (a clone
# seen from its parent folder) cannot shadow the package then.
$(STAMP): $(BIN)/python setup.cfg pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet -e '.[test]' \
		--config-settings editable_mode=compat
	touch $(STAMP)

$(DEMO_STAMP): $(BIN)/python setup.cfg pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet -e '.[demo]' \
		--config-settings editable_mode=compat
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/zeoconf demo

lint: $(STAMP)
	$(BIN)/ruff check zeoconf tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest

$(BIN)/tox: $(BIN)/python
	$(BIN)/python -m pip install --quiet tox

test-all: $(BIN)/tox
	PATH='$(TOX_PATH)' $(BIN)/tox $(TOX_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py

# Needs valgrind (apt-get install valgrind); about three minutes.
bench-instructions: $(STAMP)
	$(BIN)/python benchmarks/bench_instructions.py

docs: $(STAMP)
	$(BIN)/python docs/generate_reference.py

clean:
	rm -rf $(VENV) .tox build *.egg-info .pytest_cache .hypothesis
