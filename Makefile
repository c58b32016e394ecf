# Two commands matter: `make optimize` (set up, run the main job) and `make test` (set up, run every
# check).
# Both create .venv when it is missing; only Python 3.11+ and the package registries are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: optimize demo test lint typecheck unit bench clean system-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	@touch $(STAMP)

optimize: $(STAMP)
	$(BIN)/stratigos optimize

demo: $(STAMP)
	$(BIN)/stratigos demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) system-deps
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

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
