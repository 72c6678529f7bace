# Two commands from a fresh clone: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint run bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m monitor.demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q

run: setup
	$(VENV)/bin/monitor init
	$(VENV)/bin/monitor run

# The kill -9 tests (monitor run and its worker, a worker of the distributed deployment) repeated
# with the kill at a random moment of the crawl; every run checks nothing lost or stored twice.
SOAK_ROUNDS ?= 10
soak: setup
	for i in $$(seq 1 $(SOAK_ROUNDS)); do \
	  seed=$$(od -An -N2 -tu2 /dev/urandom | tr -d ' '); echo "soak round $$i: SOAK_SEED=$$seed"; \
	  SOAK_SEED=$$seed $(VENV)/bin/pytest -q -x -p no:randomly tests/daemon/test_crash.py \
	    tests/daemon/test_worker.py tests/daemon/test_distributed.py || exit 1; \
	done

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data demo-output .pytest_cache .mypy_cache .ruff_cache
