# The two commands of the README:
#   make book   -- set up if needed, run every chapter through papermill, build the HTML book
#   make test   -- set up if needed, run the unit tests (and the notebook tests)
# Everything else is a step of those two.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= full

.PHONY: setup system venv data test test-fast book bench lint clean-book

setup:  ## system package, virtual environment, data: idempotent
	@bash scripts/setup.sh

system:
	@bash scripts/setup.sh system

venv:
	@bash scripts/setup.sh venv

data:
	@bash scripts/setup.sh data

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

bench: setup
	$(PY) benchmarks/benchmark.py

lint: setup
	$(VENV)/bin/ruff check vsc_lib tests benchmarks scripts

book: setup
	$(VENV)/bin/jupyter-book build book/ -W --keep-going
