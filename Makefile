# Two commands matter: `make optimize` (set up, run the main job) and `make test` (set up, run every
# check).
# Both create .venv when it is missing; only Python 3.11+ and the package registries are needed.

# The Python the container images run (infra/images.py): .venv is made with it when this machine
# has it (on PATH, or installed by pyenv), so the tests run what AWS runs; otherwise python3.
IMAGE_PYTHON := 3.13
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python$(IMAGE_PYTHON) $$HOME/.pyenv/versions/$(IMAGE_PYTHON)*/bin/python$(IMAGE_PYTHON) python3; do \
	"$$p" -c "" >/dev/null 2>&1 && { echo "$$p"; break; }; done)
endif
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV := .venv
BIN := $(VENV)/bin
# The venv's Python: a .venv made by another Python is made again.
VENV_MARK := $(VENV)/.python-$(PYTHON_VERSION)
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
# Every transitive dependency of `stratigos[test]`, pinned with hashes for every platform and
# Python >= 3.11 (`make lock` resolves it again from pyproject.toml).
LOCK := requirements.lock
# What the container images install: the runtime dependencies alone and the `lambda` extra (the
# functions' runtime interface client), with the same pins and hashes as $(LOCK) (resolved under
# it as a constraint).
RUNTIME_LOCK := requirements-runtime.lock
PACKAGES := lazy_exports bounded_lru quant devtools agents graphs tools services trading execution traces api prompts infra settings store jobs notifications research evals

# The LangGraph Platform development server (`langgraph dev`) lives in a venv of its own, from a
# lock of its own: langgraph-api's pins (protobuf < 7, jsonschema-rs < 0.45) conflict with
# requirements.lock (docs/langgraph-platform.md). `UV` may name another uv binary (the tests pass
# the one of the venv they run in).
UV ?= $(BIN)/uv
DEV_VENV := .venv-langgraph
DEV_LOCK := requirements-langgraph-dev.lock
DEV_STAMP := $(DEV_VENV)/.installed
LANGGRAPH_PORT ?= 2024

# The security scanners `make test` runs (checkov over the synthesized templates, Dockerfiles and
# workflows; pip-audit over the locks) live in a venv of their own, from a lock of their own:
# checkov pins tabulate < 0.10, which requirements.lock is past (requirements-scan.in).
SCAN_VENV := .venv-scan
SCAN_LOCK := requirements-scan.lock
SCAN_STAMP := $(SCAN_VENV)/.installed

.PHONY: optimize demo test lint typecheck unit bench bench-load bench-soak clean system-deps bench-deps lock agent-chat-ui mcp-inspector axe-core \
	bytecode langgraph-dev langgraph-venv lock-langgraph-dev cdk-synth cdk-diff cdk-deploy \
	cdk-context cdk-synth-cli pins pins-check scan-venv lock-scan

$(VENV_MARK):
	@if test -x $(BIN)/python && ! test -f $@; then \
		echo "$(VENV) was made by another Python: making it again with $(PYTHON) ($(PYTHON_VERSION))"; \
		rm -rf $(VENV); \
	fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@touch $@

$(BIN)/uv: | $(VENV_MARK)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

# Installs exactly the locked versions (hashes checked), then Stratigos itself (editable).
$(STAMP): pyproject.toml $(LOCK) $(VENV_MARK)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# Byte-compile Stratigos' own sources (up-to-date files are skipped): where
# PYTHONDONTWRITEBYTECODE is set, every process would otherwise compile them again (seconds).
# Then compile the numeric kernels into numba's disk cache (quant/warm_kernels.py: half a minute
# on a fresh clone, a second when current), once, instead of in every process that first needs
# them (the test suite's workers and the processes they start, `stratigos optimize`'s pool), the
# regular expressions of the offline model and the ask accounting into theirs
# (api/warm_patterns.py), and the API's OpenAPI document into its file (api/warm_openapi.py: a
# second of every server process's warm-up).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES)
	@$(BIN)/python -m quant.warm_kernels
	@$(BIN)/python -m api.warm_patterns
	@$(BIN)/python -m api.warm_openapi

lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --no-header --upgrade --quiet -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra lambda --universal --python-version 3.11 \
		--generate-hashes --no-header --quiet --constraint $(LOCK) -o $(RUNTIME_LOCK)

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

# Exactly the locked versions (hashes checked), from PyPI.
$(SCAN_STAMP): $(SCAN_LOCK) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SCAN_VENV)
	$(UV) pip sync --quiet --python $(SCAN_VENV)/bin/python --require-hashes $(SCAN_LOCK)
	@touch $(SCAN_STAMP)

scan-venv: $(SCAN_STAMP)

lock-scan: | $(UV)
	$(UV) pip compile requirements-scan.in --universal --python-version 3.11 \
		--generate-hashes --no-header --upgrade --quiet -o $(SCAN_LOCK)

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

# The suite runs on every core, with one pytest-xdist worker more than the cores: a worker waiting
# on a process it started (a server's start, Chromium, a CLI) left its core idle 11 % of the run
# with one worker a core (2 cores: 147 of 1,358 core-seconds; 677-724 s of pytest with 2 workers,
# 651-718 s with 3, 731 s with 4: docs/benchmarks.md). A test module (or an `xdist_group`) is one unit of work, the
# units of `slow` tests first (tests/support/scheduling.py). `TEST_WORKERS=0` runs it in this one
# process. PYTHONDONTWRITEBYTECODE is cleared for pytest alone: pytest keeps its assertion
# rewriting of the test modules and of its plugins' packages (hundreds of modules) in __pycache__
# only where bytecode may be written; otherwise every worker redoes it. Scratch files go to memory
# when /dev/shm has room and TMPDIR is unset (tests/support/scratch.py). The 40 slowest steps are
# printed at the end (issue 63: the suite in 10 minutes).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1 \
	if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1)')

unit: $(STAMP) system-deps mcp-inspector axe-core bytecode agent-chat-ui $(SCAN_STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=40

# Installs the Debian packages listed in the shell variable `missing` with apt-get (as root, or with
# sudo); fails when it cannot (the caller says what goes without them).
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	echo "installing$$missing with apt-get"; \
	( $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null )

# The browser tests drive Debian's Chromium; the CDK synthesis tests need Node.js, agent-chat-ui's
# build npm. Installed with
# apt when missing (as root, or with sudo); without them those tests skip and say why.
system-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		$(APT_INSTALL) || echo "WARNING: could not install$$missing; the tests that need them will skip"; \
	fi

# agent-chat-ui, the LangGraph chat app the browser test drives against `stratigos serve`
# (tests/browser/test_agent_chat_ui.py): langchain-ai publishes its source on the npm registry in
# create-agent-chat-app (templates/vite), not as a build. Built here with the machine's Node.js
# from that package and the versions in tests/browser/agent_chat_ui/package-lock.json (its
# package.json without the LangGraph server and CLI, which a browser build never loads), into
# .cache/agent-chat-ui/dist. Without npm the test skips and says why.
AGENT_CHAT_UI_PACKAGE = create-agent-chat-app@0.1.6
AGENT_CHAT_UI = .cache/agent-chat-ui
agent-chat-ui: $(AGENT_CHAT_UI)/dist/index.html

$(AGENT_CHAT_UI)/dist/index.html: tests/browser/agent_chat_ui/package.json tests/browser/agent_chat_ui/package-lock.json
	@if ! command -v npm >/dev/null; then echo "WARNING: no npm: the agent-chat-ui test skips"; exit 0; fi; \
	rm -rf $(AGENT_CHAT_UI) && mkdir -p $(AGENT_CHAT_UI) && cd $(AGENT_CHAT_UI) && \
	npm pack --silent $(AGENT_CHAT_UI_PACKAGE) >/dev/null && tar xzf create-agent-chat-app-*.tgz && \
	cp -r package/templates/vite app && cp $(CURDIR)/tests/browser/agent_chat_ui/package*.json app/ && \
	cd app && npm ci --no-audit --no-fund --loglevel=error && \
	npx vite build --logLevel error --outDir ../dist

# The MCP Inspector's command line, a client nobody here wrote, which the MCP tests drive over
# stdio and HTTP (tests/api/test_mcp_inspector.py): the npm registry's package at a pinned version,
# in .mcp-inspector, installed (with npm, which comes with Node.js) when missing or another
# version. Its package asks for Node 22.19; its command line runs on Debian's Node 20, which is
# what the tests use. Without npm those tests skip and say why.
MCP_INSPECTOR_VERSION := 2.12.0
MCP_INSPECTOR_DIR := .mcp-inspector
MCP_INSPECTOR_PACKAGE := $(MCP_INSPECTOR_DIR)/node_modules/@modelcontextprotocol/inspector/package.json

mcp-inspector:
	@grep -qs '"version": "$(MCP_INSPECTOR_VERSION)"' $(MCP_INSPECTOR_PACKAGE) || { \
		command -v npm >/dev/null && echo "installing @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION) with npm" && \
		npm install --prefix $(MCP_INSPECTOR_DIR) --no-save --ignore-scripts --engine-strict=false \
			--no-audit --no-fund --loglevel=error @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION); \
	} || echo "WARNING: could not install the MCP Inspector (npm); the tests that drive it will skip"

# axe-core, the accessibility checker the browser tests inject into every page of the web UI
# (tests/browser/test_ui_journey.py): the npm registry's package at a pinned version, in
# .cache/axe-core, installed with npm when missing or another version. Without it those
# tests skip their accessibility checks and say why.
AXE_CORE_VERSION := 4.14.1
AXE_CORE_PACKAGE := .cache/axe-core/node_modules/axe-core/package.json

axe-core:
	@grep -qs '"version": "$(AXE_CORE_VERSION)"' $(AXE_CORE_PACKAGE) || { \
		command -v npm >/dev/null && echo "installing axe-core@$(AXE_CORE_VERSION) with npm" && \
		npm install --prefix .cache/axe-core --no-save --ignore-scripts \
			--no-audit --no-fund --loglevel=error axe-core@$(AXE_CORE_VERSION); \
	} || echo "WARNING: could not install axe-core (npm); the browser tests skip their accessibility checks"

# The benchmarks' external load generator (Debian's wrk: benchmarks/wrk_load.py, bench_api.py),
# installed with apt when missing; without it they leave wrk's rows out and say so.
bench-deps:
	@missing=""; \
	command -v wrk >/dev/null || missing=" wrk"; \
	if [ -n "$$missing" ]; then \
		$(APT_INSTALL) || echo "WARNING: could not install wrk; the benchmarks leave wrk's rows out"; \
	fi

bench: $(STAMP) bytecode bench-deps
	$(BIN)/python -m benchmarks

# The mixed load from 1 to 200 clients against one `stratigos serve` (benchmarks/
# bench_capacity.py), from our own generator and from wrk, with clients that flood and clients
# that wait Retry-After: admitted (2xx) req/s apart from answered, the admitted share of the
# 10-client level, latencies, liveness and readiness under load, load shed, errors. Run it on an
# idle machine (STRATIGOS_BENCH_LOAD_SECONDS per level, 20 by default).
bench-load: $(STAMP) bytecode bench-deps
	$(BIN)/python -m benchmarks --only capacity

# The same load for 30 minutes, the server's descriptors, threads and memory sampled (benchmarks/
# bench_soak.py; STRATIGOS_BENCH_SOAK_SECONDS for another length).
bench-soak: $(STAMP) bytecode
	$(BIN)/python -m benchmarks --only soak

# The AWS deployment (docs/DEPLOY.md). `make cdk-synth` (STAGE defaults to prod) synthesizes one
# stage with node alone (no CDK CLI, no AWS account) into infra/cdk.out, failing on any cdk-nag
# AwsSolutions finding not acknowledged in code, then runs cfn-lint on its templates; production
# needs its settings (infra/completeness.py), or STAND_INS=1 for a checked-only synthesis (CI).
# `make cdk-synth-cli`, `make cdk-diff` and `make cdk-deploy` run the CDK CLI (from the npm
# registry, pinned here) with the context of infra/cdk.json and infra/cdk.context.json (the
# deploy workflow writes it: `make cdk-context`); diff and deploy need AWS credentials: without
# them they stop at the CLI's "Unable to resolve AWS account" before anything changes.
# `make pins-check` lists actions not pinned by commit and image bases not pinned by digest;
# `make pins` (online) refreshes both (infra/pins.py).
STAGE ?= prod
STAND_INS ?=
CDK_DIFF_ARGS ?=
CDK_CLI ?= npx --yes aws-cdk@2.1148.1
CDK_TEMPLATES := infra/cdk.out/stratigos-$(STAGE)-*.template.json
comma := ,
SYNTH_CONTEXT = {"stage": "$(STAGE)"$(if $(STAND_INS),$(comma) "stand_ins": "true")}

# cfn-lint ignores W3005: CDK writes an explicit DependsOn that a Ref/GetAtt already implies (a
# function on its role's default policy, the WAF association on the API stage); and W3010: a
# stack synthesized for an account names its VPC's zones (the only zones the app names). Both
# harmless; every other warning and every error fails.
cdk-synth: $(STAMP)
	rm -rf infra/cdk.out
	CDK_CONTEXT_JSON='$(SYNTH_CONTEXT)' $(BIN)/python -m infra.app
	$(BIN)/cfn-lint --ignore-checks W3005 W3010 -- $(CDK_TEMPLATES)

cdk-context: $(STAMP)
	$(BIN)/python -m infra.github $(STAGE)

cdk-synth-cli: $(STAMP)
	cd infra && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK_CLI) synth -c stage=$(STAGE) --quiet

cdk-diff: $(STAMP)
	cd infra && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK_CLI) diff -c stage=$(STAGE) $(CDK_DIFF_ARGS) \
		'stratigos-$(STAGE)-*'

cdk-deploy: $(STAMP)
	cd infra && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK_CLI) deploy -c stage=$(STAGE) \
		--require-approval never 'stratigos-$(STAGE)-*'

pins: $(STAMP)
	$(BIN)/python -m infra.pins refresh

pins-check: $(STAMP)
	$(BIN)/python -m infra.pins check

clean:
	rm -rf $(VENV) $(DEV_VENV) $(SCAN_VENV) $(MCP_INSPECTOR_DIR) .langgraph_api .pytest_cache .mypy_cache .ruff_cache .hypothesis
