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
PACKAGES := quant devtools agents graphs tools services execution traces api prompts infra settings store jobs notifications research

.PHONY: optimize demo test lint typecheck unit bench clean system-deps lock bytecode

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
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES)

lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --no-header --upgrade --quiet -o $(LOCK)

optimize: $(STAMP) bytecode
	$(BIN)/stratigos optimize

demo: $(STAMP) bytecode
	$(BIN)/stratigos demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) system-deps bytecode
	$(BIN)/pytest -q

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
