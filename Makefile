# The two commands of the README:
#   make book   -- set up if needed, run every chapter through papermill, build the HTML book
#   make test   -- set up if needed, run the unit tests (and the notebook tests)
# Everything else is a step of those two.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# the one setting of how much a build computes: book (default), quick (CI) or paper (paper-size
# grids of chapters 6 and 8; train them ahead with `make sweep`)
PROFILE ?= book
# FRESH=1: ignore the evidence store and retrain everything (the reproduction build)
FRESH ?=
EVIDENCE_ENV := $(if $(FRESH),VSC_EVIDENCE=off,)
# make reproduce STUDY=latent [GRID=book] [CELLS="mnist:vae:8:0 ..."]
STUDY ?= latent
GRID ?= book
CELLS ?=

.PHONY: setup system venv data mathjax test test-fast book pdf bench lint sweep evidence reproduce

setup:  ## Debian packages, virtual environment, data, MathJax: idempotent
	@bash scripts/setup.sh

system:
	@bash scripts/setup.sh system

venv:
	@bash scripts/setup.sh venv

data:
	@bash scripts/setup.sh data

# unit tests + every notebook run by nbval on tiny subsets, then the quick book built with -W
# into _build/quick and its HTML checked in headless Chromium (math typeset, images loaded)
test: setup
	$(VENV)/bin/ruff check vsc_lib tests benchmarks scripts research notebooks
	$(VENV)/bin/ruff format --check --line-length 76 notebooks
	$(PY) scripts/evidence.py check
	VSC_PROFILE=quick $(PY) -m pytest --nbval-lax -p no:cacheprovider tests notebooks
	$(PY) scripts/evidence.py reproduce --study latent --grid book --cells mnist:vae:8:0 --report _build/reproduce-ci.md
	$(PY) scripts/build_book.py --profile quick
	$(PY) scripts/check_html.py --html _build/quick/_build/html
	$(PY) scripts/build_pdf.py --profile quick
	$(PY) scripts/check_pdf.py --profile quick --min-pages 60

test-fast: setup
	$(PY) -m pytest -m "not slow"

# the whole book as one PDF from the executed chapters: _build/pdf/book.pdf (PROFILE=quick:
# _build/quick/pdf/book.pdf); two pages rendered to PNG next to it to look at
pdf: setup
	@bash scripts/setup.sh pdf
	$(PY) scripts/build_pdf.py --profile $(PROFILE) --pages 3 24
	$(PY) scripts/check_pdf.py --profile $(PROFILE) $(if $(filter quick,$(PROFILE)),--min-pages 60,)

bench: setup  ## every model's training step, today's sweep path beside grouped/bf16, Dask on 1 vs 2 workers, chapter 7's step, evaluation
	$(PY) benchmarks/benchmark.py --json results/benchmark.json
	$(PY) benchmarks/grouped.py --groups 3 4 8 --json results/grouped-benchmark.json
	$(PY) benchmarks/two_cores.py --json results/two-cores.json
	$(PY) benchmarks/sweep_scaling.py --json results/sweep-scaling.json
	$(PY) benchmarks/recipe_step.py --json results/recipe-step.json
	$(PY) benchmarks/evaluation.py --json results/evaluation-benchmark.json

lint: setup
	$(VENV)/bin/ruff check vsc_lib tests benchmarks scripts research notebooks
	$(VENV)/bin/ruff format --check --line-length 76 notebooks

book: setup
	$(EVIDENCE_ENV) $(PY) scripts/build_book.py --profile $(PROFILE)
	$(PY) scripts/check_html.py --html $(if $(filter quick,$(PROFILE)),_build/quick/_build/html,_build/html)

sweep: setup  ## train and evaluate the paper-size grids of chapters 6-8 into the run cache (hours; resumable)
	$(PY) scripts/sweep.py --study latent --grid paper
	$(PY) scripts/sweep.py --study fixed --grid paper
	$(PY) scripts/sweep.py --study har --grid paper

mathjax:
	@bash scripts/setup.sh mathjax

evidence: setup  ## check the evidence store: every record whole and current, its size within budget
	$(PY) scripts/evidence.py check

reproduce: setup  ## retrain stored runs from scratch and compare with their records (fails if one does not reproduce)
	$(PY) scripts/evidence.py reproduce --study $(STUDY) --grid $(GRID) $(if $(CELLS),--cells $(CELLS),) \
		--report _build/reproduce-$(STUDY)-$(GRID).md
