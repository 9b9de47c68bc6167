# Every target sets up .venv on first use, so on a fresh clone `make test` or `make bench`
# is the only command to type.
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
WHEELS  := $(wildcard /opt/wheels)
PIPOPTS := $(if $(WHEELS),--find-links $(WHEELS),)
RUN_ID  ?= $(shell date -u +%Y%m%d-%H%M%S)
PAPER_RUN ?= results/paper-table
# Tests only: idle OpenMP threads sleep, not spin (robust under load); docs/measurement.md.
TEST_ENV := OMP_WAIT_POLICY=$(or $(OMP_WAIT_POLICY),PASSIVE)

.PHONY: install test test-slow bench bench-check perf lint paper-table figures study-scaling \
        study-robustness gpu-check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(PIPOPTS) "torch==2.13.0"
	$(PY) -m pip install -q $(PIPOPTS) -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -q -m "not slow" tests

test-slow: $(STAMP)
	$(TEST_ENV) $(PY) -m pytest -q -m slow tests

bench: $(STAMP)
	$(PY) -m benchmarks.run --profile smoke --out results/$(RUN_ID)

# Speed-regression gate: the speed guards of the working tree and of a base commit (a git
# worktree), timed alternately in this job; fails on a slowdown above 25 % that repeats.
# BASE=REV picks the base (default: HEAD if the tree is dirty, else the merge base or HEAD~1).
bench-check: $(STAMP)
	$(PY) -m benchmarks.perf.check $(if $(BASE),--base $(BASE),)

# Full-size measurements (HSSDCT speed ratio, FusionMamba vs HSSDCT, classical at 256x256, ...).
perf: $(STAMP)
	$(PY) -m pytest -q benchmarks/perf --benchmark-only

# HSSDCT's Table 1 (FusionMamba, QRCODE-style, HSSDCT) regenerated with every gap explained;
# a killed run resumes. On a GPU with the AVIRIS tiles, see README "Reproducing the HSSDCT table".
paper-table: $(STAMP)
	$(PY) -m benchmarks.paper_table --out $(PAPER_RUN)

# Cost against image size for every method (docs/studies.md); resumes a stopped study.
SCALING_RUN ?= results/studies/scaling
study-scaling: $(STAMP)
	$(PY) -m benchmarks.studies.scaling --out $(SCALING_RUN) --resume

# Quality under misalignment, noise, 6 MSI bands and a wrong PSF (docs/studies.md); deep methods
# join with WEIGHTS=DIR (trained weights with manifests); resumes a stopped study.
ROBUSTNESS_RUN ?= results/studies/robustness
study-robustness: $(STAMP)
	$(PY) -m benchmarks.studies.robustness --out $(ROBUSTNESS_RUN) --resume \
		$(if $(WEIGHTS),--weights $(WEIGHTS),)

# The CUDA path in one command (benchmarks/gpu_check.py): CUDA-only tests, CUDA-event latency of
# the paper's three methods in fp32/bf16/fp16, one AMP step each, mamba_ssm against the torch scan.
# Without CUDA: one line, exit 0.
gpu-check: $(STAMP)
	@$(PY) -m benchmarks.gpu_check $(if $(OUT),--out $(OUT),)

figures: $(STAMP)
	test -f $(PAPER_RUN)/rows.csv || $(PY) -m benchmarks.paper_table --out $(PAPER_RUN)
	$(PY) -m benchmarks.report $(PAPER_RUN)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
