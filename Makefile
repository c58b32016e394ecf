# Two commands matter: `make optimize` (set up, run the main job) and `make test` (set up, run every
# check).
# Both create .venv when it is missing; only Python 3.11+ and the package registries are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
# Every transitive dependency of `stratigos[test]`, pinned with hashes for every platform and
# Python >= 3.11 (`make lock` resolves it again from pyproject.toml).
LOCK := requirements.lock
PACKAGES := quant devtools agents graphs tools services trading execution traces api prompts infra settings store jobs notifications research evals

# The LangGraph Platform development server (`langgraph dev`) lives in a venv of its own, from a
# lock of its own: langgraph-api's pins (protobuf < 7, jsonschema-rs < 0.45) conflict with
# requirements.lock (docs/langgraph-platform.md). `UV` may name another uv binary (the tests pass
# the one of the venv they run in).
UV ?= $(BIN)/uv
DEV_VENV := .venv-langgraph
DEV_LOCK := requirements-langgraph-dev.lock
DEV_STAMP := $(DEV_VENV)/.installed
LANGGRAPH_PORT ?= 2024

.PHONY: optimize demo test lint typecheck unit bench bench-load bench-soak clean system-deps lock bytecode \
	langgraph-dev langgraph-venv lock-langgraph-dev

$(BIN)/uv:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

# Installs exactly the locked versions (hashes checked), then Stratigos itself (editable).
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# Byte-compile Stratigos' own sources (up-to-date files are skipped): where
# PYTHONDONTWRITEBYTECODE is set, every process would otherwise compile them again (seconds).
# Then compile the numeric kernels into numba's disk cache (quant/warm_kernels.py: half a minute
# on a fresh clone, a second when current), once, instead of in every process that first needs
# them (the test suite's workers and the processes they start, `stratigos optimize`'s pool).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES)
	@$(BIN)/python -m quant.warm_kernels

lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --no-header --upgrade --quiet -o $(LOCK)

# Exactly the locked versions (hashes checked); Stratigos itself is imported from the working tree
# (langgraph.json's dependencies: ["."]), so edits are served without reinstalling.
$(DEV_STAMP): pyproject.toml $(DEV_LOCK) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(DEV_VENV)
	$(UV) pip sync --quiet --python $(DEV_VENV)/bin/python --require-hashes $(DEV_LOCK)
	@touch $(DEV_STAMP)

langgraph-venv: $(DEV_STAMP)

# Serves the optimization and assistant graphs (langgraph.json) on http://127.0.0.1:2024 for
# LangGraph Studio and langgraph-sdk clients, with the project's checkpointer and long-term
# memory store (docs/langgraph-platform.md).
langgraph-dev: $(DEV_STAMP)
	$(DEV_VENV)/bin/langgraph dev --no-browser --host 127.0.0.1 --port $(LANGGRAPH_PORT)

lock-langgraph-dev: | $(UV)
	$(UV) pip compile pyproject.toml requirements-langgraph-dev.in --universal \
		--python-version 3.11 --generate-hashes --no-header --upgrade --quiet -o $(DEV_LOCK)

optimize: $(STAMP) bytecode
	$(BIN)/stratigos optimize

demo: $(STAMP) bytecode
	$(BIN)/stratigos demo

# lint first (seconds), then the type check beside the suite: mypy runs on one core, and the
# suite's workers leave part of theirs idle (waiting on subprocesses, servers, the browser).
test: lint
	@$(MAKE) --no-print-directory -j2 typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on every core: pytest-xdist workers, a test module (or an `xdist_group`) being
# one unit of work, the units of `slow` tests first (tests/support/scheduling.py). `TEST_WORKERS=0`
# runs it in this one process. PYTHONDONTWRITEBYTECODE is cleared for pytest alone: pytest keeps
# its assertion rewriting of the test modules and of its plugins' packages (hundreds of modules)
# in __pycache__ only where bytecode may be written; otherwise every worker redoes it.
TEST_WORKERS ?= auto

unit: $(STAMP) system-deps bytecode
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The browser tests drive Debian's Chromium; the CDK synthesis tests need Node.js. Installed with
# apt when missing (as root, or with sudo); without them those tests skip and say why.
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		echo "installing$$missing with apt-get"; \
		( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null ) \
		|| echo "WARNING: could not install$$missing; the tests that need them will skip"; \
	fi

bench: $(STAMP) bytecode
	$(BIN)/python -m benchmarks

# The mixed load at 1, 10, 50 and 200 clients against one `stratigos serve` (benchmarks/
# bench_capacity.py): throughput, p50/p95/p99 of what is admitted, health p99, load shed, errors.
bench-load: $(STAMP) bytecode
	$(BIN)/python -m benchmarks --only capacity

# The same load for 30 minutes, the server's descriptors, threads and memory sampled (benchmarks/
# bench_soak.py; STRATIGOS_BENCH_SOAK_SECONDS for another length).
bench-soak: $(STAMP) bytecode
	$(BIN)/python -m benchmarks --only soak

clean:
	rm -rf $(VENV) $(DEV_VENV) .langgraph_api .pytest_cache .mypy_cache .ruff_cache .hypothesis
