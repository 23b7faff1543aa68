# spikemem: two commands set everything up on a fresh machine.
#   make demo   create .venv, install spikemem, run the flagship experiment (CA3 recall from fragments)
#   make test   create .venv if needed, install with test extras (+ sPyNNaker's own venv), run pytest
#   make docs   build the documentation site into docs/_build/html (warnings are errors)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
SPY_VENV := .venv-spinnaker
OUT    ?= results/recall_from_fragments
# scales of the microcircuit benchmark (1.0 needs ~14 GB for spikemem, more for NEST)
MC_SCALES ?= 0.1 1.0
export MPLBACKEND := Agg

.PHONY: demo test test-slow bench docs clean install install-test spinnaker-venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[test,bench]"
	# sPyBlocks' metadata requires sPyNNaker, which its code never imports
	$(PIP) install --quiet --no-deps "sPyBlocks==0.0.1"
	touch $@

# PyNN's source distribution: its system scenarios (test/system/scenarios), run by
# tests/test_pynn_scenarios.py against spikemem.pynn
PYNN_SDIST := .cache/pynn-0.13.0
$(PYNN_SDIST)/.unpacked: $(VENV)/.installed
	mkdir -p .cache
	$(PIP) download --quiet --no-binary :all: --no-deps "PyNN==0.13.0" -d .cache
	tar xzf .cache/pynn-0.13.0.tar.gz -C .cache
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[docs]"
	touch $@

$(SPY_VENV)/.installed:
	$(PYTHON) -m venv $(SPY_VENV)
	$(SPY_VENV)/bin/pip install --quiet --upgrade pip
	$(SPY_VENV)/bin/pip install --quiet "spynnaker==1!7.4.1"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test $(PYNN_SDIST)/.unpacked
spinnaker-venv: $(SPY_VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/spikemem run recall_from_fragments --out $(OUT)

test: $(VENV)/.installed-test $(PYNN_SDIST)/.unpacked $(SPY_VENV)/.installed
	$(PY) -m pytest -q -n 2 --durations=15

docs: $(VENV)/.installed-docs
	$(PY) -m sphinx -E -W --keep-going -q -b html docs docs/_build/html
	@echo "documentation: docs/_build/html/index.html"

# the tests marked slow (many-example fuzzing, every-byte bit flips, long backend runs)
test-slow: $(VENV)/.installed-test $(SPY_VENV)/.installed
	$(PY) -m pytest -q -n 2 -m slow --durations=15

bench: $(VENV)/.installed-test
	$(PY) benchmarks/cuba.py --sizes 1000 4000 10000 100000 --out benchmarks/out/cuba.csv
	$(PY) benchmarks/microcircuit.py --scales $(MC_SCALES) --threads 2 --out benchmarks/out/microcircuit.csv
	$(PY) benchmarks/ca3_stress.py --out benchmarks/out/ca3_stress.csv
	$(PY) benchmarks/sweep_ca3_stress.py --out benchmarks/out/sweep_ca3_stress.csv

clean:
	rm -rf $(VENV) $(SPY_VENV) .cache results benchmarks/out .pytest_cache docs/_build docs/gallery
