# Two commands from a fresh clone: `make demo` and `make test`. Both set up .venv first,
# from the lock file (exact versions with hashes), so every clone tests the same code.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements/dev.lock
RUNTIME_LOCK := requirements/runtime.lock
# The lock files are resolved for the Python and platform CI and production run on.
COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version 3.11 --python-platform x86_64-unknown-linux-gnu

.PHONY: setup lock demo test lint run bench soak soak-kill-tests clean chromium

# Re-installs whenever the lock or the package metadata changes.
$(STAMP): $(LOCK) requirements/pip.lock pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/pip.lock
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check  # fails when pyproject.toml declares what the lock lacks: run `make lock`
	touch $(STAMP)

setup: $(STAMP)

# Refresh both lock files from pyproject.toml, keeping the pinned versions that still fit
# (`make lock UPGRADE=--upgrade` moves everything to the newest versions), then re-install.
UPGRADE ?=
# Not behind `setup`: after a new dependency in pyproject.toml, setup's `pip check` fails until
# the lock is refreshed, so this needs only the venv and uv (pinned in the lock when installed).
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv
	$(COMPILE) --extra dev $(UPGRADE) -o $(LOCK)
	$(COMPILE) $(UPGRADE) -o $(RUNTIME_LOCK)
	$(MAKE) setup

demo: setup
	$(PY) -m monitor.demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Two worker processes (pytest-xdist): most tests wait on child processes, servers and databases,
# so two run side by side on two cores. Whole files go to one worker (loadfile), so module-scoped
# fixtures (the demo run, the built wheel, the crawled console and its browser) are built once;
# the workers share nothing else (ephemeral ports, their own databases, Redis keys, tmp folders).
# Not loadgroup: pytest-xdist 3.8 groups by rewriting item._nodeid, which pytest 9.2 ignores.
test: lint chromium
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

# The console's browser tests drive Debian's chromium through its chromedriver (tests/web/browser/).
# Installed from the Debian archive when missing, best effort: without root (or passwordless sudo)
# or apt-get this only warns, and the browser tests skip (outside CI, where .ci/run installs them).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo "sudo -n")
chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver (Debian) for the browser tests"; \
	    ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	      --no-install-recommends chromium chromium-driver) >/dev/null 2>&1 \
	      || echo "warning: could not install chromium and chromium-driver; the browser tests will skip" >&2; \
	  else \
	    echo "warning: chromium or chromedriver missing and no apt-get; the browser tests will skip" >&2; \
	  fi; \
	fi

run: setup
	$(VENV)/bin/monitor init
	$(VENV)/bin/monitor run

# The soak run (tests/soak/): the real daemon of both deployments (embedded on SQLite; distributed
# on Redis + PostgreSQL with two `monitor worker`s) against a local news web and a slow SMTP
# server, SOAK_CYCLES publish-and-kill cycles each: the scheduler, a crawl worker and the digest
# sender SIGKILLed in turn at seeded random moments (SOAK_SEED, random when empty) and restarted.
# Prints the counts and recovery times; exits non-zero on anything lost or duplicated.
SOAK_CYCLES ?= 12
SOAK_SEED ?=
soak: setup
	$(PY) -m tests.soak --cycles $(SOAK_CYCLES) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

# The kill -9 tests repeated with the kill at a random page (SOAK_ROUNDS rounds): what the soak
# does not check, such as a manual crawl during a killed one and a truthful crawl history.
SOAK_ROUNDS ?= 10
soak-kill-tests: setup
	for i in $$(seq 1 $(SOAK_ROUNDS)); do \
	  seed=$$(od -An -N2 -tu2 /dev/urandom | tr -d ' '); echo "soak round $$i: SOAK_SEED=$$seed"; \
	  SOAK_SEED=$$seed $(VENV)/bin/pytest -q -x -p no:randomly tests/daemon/test_crash.py \
	    tests/daemon/test_worker.py tests/daemon/test_distributed.py \
	    tests/daemon/test_integration.py || exit 1; \
	done

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data demo-output .pytest_cache .mypy_cache .ruff_cache
