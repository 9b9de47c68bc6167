# Every target sets up .venv on first use, so on a fresh clone `make test` or `make bench`
# is the only command to type.
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
WHEELS  := $(wildcard /opt/wheels)
PIPOPTS := $(if $(WHEELS),--find-links $(WHEELS),)
RUN_ID  ?= $(shell date -u +%Y%m%d-%H%M%S)

.PHONY: install test test-slow bench bench-check bench-baseline lint paper-table figures clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(PIPOPTS) "torch==2.13.0"
	$(PY) -m pip install -q $(PIPOPTS) -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" tests

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow tests

bench: $(STAMP)
	$(PY) -m benchmarks.run --profile smoke --out results/$(RUN_ID)

bench-check: $(STAMP)
	$(PY) -m pytest -q benchmarks/perf --benchmark-only \
		--benchmark-compare-fail=median:25% --benchmark-storage=benchmarks/perf/baseline \
		--benchmark-compare

bench-baseline: $(STAMP)
	$(PY) -m pytest -q benchmarks/perf --benchmark-only \
		--benchmark-storage=benchmarks/perf/baseline --benchmark-save=baseline

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
