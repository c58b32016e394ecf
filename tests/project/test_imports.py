"""Commands import what they use (a stray top-level import anywhere on their path fails here, not
in a timing): `--help`, `jobs list`, `keys list` and `profile show` load no LangChain, LangGraph,
pandas, numpy, scipy, numba or boto3, and `--help` no pydantic (the limits' vocabulary is apart
from their models); a chat turn on the offline model loads the tools of its route and none of the
search's, nor the clients of models or AWS it does not call, nor HRP's clustering, a compiled
kernel or the drafts of searches and deployments, and the offline model's first decision loads no
pandas; creating the API's app (what `stratigos serve` loads before it is ready) loads no
LangChain, LangGraph, MCP SDK, model or AWS client, search or research index, nor the chat's graph
and tools, nor pandas, numpy, scipy, numba, Arrow, Alpaca's SDK or a JWT library (Cognito tokens
only), and its readiness answers without loading LanceDB; the API's error format loads no request
model's market data, and the bounds of a request no compiled kernel; a search's parameter
importance loads neither scikit-learn nor scipy.stats (their import alone took longer than the
importance step), and a search (`graphs.optimization_run`) neither scipy.stats nor scipy.special
(Spearman's rank correlation is numpy's, the normal quantiles the standard library's: a second of
imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langchain", "langchain_core", "langchain_aws", "langgraph", "pandas", "numpy")
HEAVY += ("scipy", "numba", "boto3", "botocore", "pyarrow", "sklearn", "optuna")
RUN = """
import json, sys
from api.cli import main
sys.argv = ["stratigos", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
CHAT_UNUSED: tuple[str, ...] = ("boto3", "botocore", "openai", "langchain_aws", "sklearn")
CHAT_UNUSED += ("langchain_openai", "optuna", "lancedb", "fastapi", "uvicorn", "tools.strategy")
CHAT_UNUSED += ("graphs.optimization", "scipy.cluster", "graphs.request", "graphs.chat_search")
CHAT_UNUSED += ("scipy.linalg", "quant.optimizers.mean_variance", "quant.optimizers.risk_budgeting")
CHAT_UNUSED += ("scipy.special", "scipy.stats", "numba", "quant.compiled")
CHAT_UNUSED += (
    "graphs.chat_deployment",
    "services.optimizations",
    "tools.memory",
    "tools.external",
)
"""What the offline model's answer to a risk question needs none of: the model and AWS clients,
the search (Optuna, the importance forest, its tools and graph), the research index, the API,
the optimizers (scipy's linear algebra, HRP's clustering), scipy's special functions and
statistics (the normal quantiles are the standard library's), the compiled kernels (numba and
its cache: no kernel runs in a risk answer; the market phase's loads when a phase is read), the
drafts of searches and deployments, the memory and MCP clients' tools."""


APP_UNUSED: tuple[str, ...] = ("langchain", "langchain_core", "langchain_aws", "langchain_openai")
APP_UNUSED += ("langgraph", "langsmith", "mcp", "openai", "boto3", "botocore", "sklearn", "optuna")
APP_UNUSED += ("lancedb", "graphs.chat", "graphs.assistant", "graphs.optimization", "tools.context")
APP_UNUSED += ("tools.portfolio", "api.mcp.server", "api.tearsheet_jobs", "trading.execution_jobs")
APP_UNUSED += ("pandas", "numpy", "scipy", "numba", "pyarrow", "alpaca", "exchange_calendars")
APP_UNUSED += ("jwt", "cryptography")
"""What creating the app needs none of: each is imported by the routes, jobs or `/mcp` that use
it, on first use (the numeric libraries by the handlers over trading and the numeric services,
the JWT library by the first bearer token)."""
READY = """
from fastapi.testclient import TestClient
from api.app import create_app
with TestClient(create_app()) as client:
    ready = client.get("/v1/health")
    assert ready.status_code == 200 and ready.json()["checks"]["index"]["status"] == "ok", ready.text
"""
"""An app started (no job workers) and asked whether it is ready."""


def _child(
    args: list[str], tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`python args` in a new interpreter with an empty environment but `env` and a data
    directory under `tmp_path`."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "STRATIGOS_DATA_DIR": str(tmp_path),
            "STRATIGOS_CHAT_KEEP_WARM_SECONDS": "0",
        }
        | env,
        timeout=300,
        check=False,
    )


def code_modules(code: str, tmp_path: Path, **env: str) -> set[str]:
    """The modules loaded by running `code` in a new interpreter (nothing imported before)."""
    done = _child(
        ["-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"], tmp_path, env
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def command_modules(command: list[str], tmp_path: Path, **env: str) -> list[str]:
    """The modules loaded by `stratigos <command>` run in a child process (exit code checked)."""
    done = _child(["-c", RUN, json.dumps(command)], tmp_path, env)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    modules: list[str] = report["modules"]
    return modules


@pytest.mark.parametrize(
    "command",
    [["--help"], ["jobs", "list"], ["keys", "list", "--owner", "alice"], ["profile", "show"]],
    ids=" ".join,
)
def test_commands_without_numbers_import_nothing_heavy(command: list[str], tmp_path: Path) -> None:
    packages = {name.split(".")[0] for name in command_modules(command, tmp_path)}
    assert sorted(packages & set(HEAVY)) == []


def test_help_loads_no_pydantic(tmp_path: Path) -> None:
    modules = set(command_modules(["--help"], tmp_path))
    assert "services.formatting" in modules  # the help's words were loaded (limit vocabulary)
    assert loaded(modules, ("pydantic", "pydantic_core", "quant.limits")) == []


def test_a_chat_turn_imports_its_routes_tools_only(tmp_path: Path) -> None:
    question = "what is the 95% CVaR of AAPL and KO since 2019?"
    modules = set(
        command_modules(["chat", "-m", question], tmp_path, STRATIGOS_MODEL_PROVIDER="offline")
    )
    assert "tools.portfolio" in modules  # the risk manager's tools were built and called
    loaded = sorted(m for m in CHAT_UNUSED if m in modules)
    assert loaded == []


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of `names` (packages or modules) `modules` holds, itself or a submodule of it."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_creating_the_app_imports_no_chat_search_or_cloud_client(tmp_path: Path) -> None:
    modules = code_modules("from api.app import create_app\ncreate_app()", tmp_path)
    assert "api.routes.threads" in modules  # the routes were built
    assert loaded(modules, APP_UNUSED) == []


def test_readiness_checks_the_research_index_without_loading_lancedb(tmp_path: Path) -> None:
    modules = code_modules(READY, tmp_path, STRATIGOS_API_JOB_WORKERS="0")
    assert loaded(modules, ("lancedb", "research.index")) == []


def test_the_error_format_and_the_bounds_load_no_request_data_or_kernel(tmp_path: Path) -> None:
    errors = code_modules("import api.errors", tmp_path)
    assert loaded(errors, ("graphs.request", "tools.context", "pandas", "langchain_core")) == []
    bounds = code_modules("import services.bounds", tmp_path)
    assert loaded(bounds, ("numba", "scipy", "pandas", "quant.options.pricing")) == []


def test_parameter_importance_imports_no_scikit_learn(tmp_path: Path) -> None:
    code = (
        "import numpy as np\n"
        "from quant.fanova import encode, fanova_importance\n"
        "space = encode({'a': [0.1, 0.5, 0.9, 0.3], 'b': ['x', 'y', 'x', 'y']},"
        " {'a': (0.0, 1.0), 'b': ['x', 'y']})\n"
        "assert fanova_importance(space, np.array([1.0, 2.0, 4.0, 3.0]), seed=0)['a'] > 0"
    )
    modules = code_modules(code, tmp_path)
    assert sorted(modules & {"sklearn", "scipy.stats", "narwhals", "joblib"}) == []


def test_a_search_loads_no_scipy_statistics_or_special_functions(tmp_path: Path) -> None:
    modules = code_modules("import graphs.optimization_run", tmp_path)
    assert "quant.tuning.warm_stop" in modules  # the warm search's stopping rule was loaded
    assert loaded(modules, ("scipy.stats", "scipy.special")) == []


def test_the_offline_models_first_routing_decision_loads_no_data_frame_or_search(
    tmp_path: Path,
) -> None:
    decided = code_modules(
        "from langchain_core.messages import HumanMessage\n"
        "from agents.chat import route_message\n"
        "route_message([HumanMessage('what is the 95% CVaR of AAPL and KO since 2019?')])",
        tmp_path,
    )
    assert "agents.offline.chat_policies" in decided  # the offline model's rules were loaded
    assert loaded(decided, ("pandas", "scipy", "quant.data", "quant.tuning")) == []


PIPELINE_STEPS = """
import os
from pathlib import Path
from graphs.request import OptimizationRequest
from graphs.search_steps import search_order
from jobs.pipeline.engines import run_here, write_order
from jobs.pipeline.steps import SEARCH_PIPELINE
from tests.support.requests import TINY
root = Path(os.environ["STRATIGOS_DATA_DIR"]) / "workspace"
write_order(root, search_order(OptimizationRequest.model_validate(TINY), run_id="steps"))
run_here(root, steps=SEARCH_PIPELINE[:2])
assert (root / "scenario-generation" / "scenarios.json").is_file()
"""
"""What a Ray task or a container of the search pipeline does first: the steps' code imported
by name (`jobs.pipeline.steps.STEPS_MODULE`), the data validated and the scenarios generated."""


def test_the_search_pipelines_steps_load_no_agents_or_langchain(tmp_path: Path) -> None:
    modules = code_modules(PIPELINE_STEPS, tmp_path)
    assert "graphs.search_steps" in modules  # the steps' code ran
    unused = ("langchain_core", "langsmith", "langgraph", "agents.agent_loop", "tools.market")
    assert loaded(modules, unused) == []
