"""`langgraph dev` serves the optimization and assistant graphs of `langgraph.json`, driven with
the real `langgraph-sdk` client: both listed, a chat turn answered with a tool call, a memory
kept in the project's memory file, a search approved through its interrupt run as the local
owner's job, a small optimization with the result `stratigos` computes, a reused run id
refused; every thread's checkpoints (and the approved job's) in the project's checkpoint file,
read back with the project's own saver, and gone from it when the thread is deleted.

The server runs in its own venv, `.venv-langgraph`, which `make langgraph-venv` builds from
`requirements-langgraph-dev.lock` when it is missing or stale (about ten seconds with uv on a
cold cache, here; docs/langgraph-platform.md), with the offline model, no LangSmith and a fresh
data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph.types import StateSnapshot
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from devtools.recording import CHAT_EDIT, CHAT_MESSAGES, SMALL_REQUEST
from graphs.assistant import build_assistant_graph
from graphs.optimization import build_optimization_graph
from graphs.optimization_run import run_optimization
from graphs.request import OptimizationRequest
from services.memories import list_memories
from settings import LOCAL_OWNER, ModelSettings, Settings
from store.checkpoints import checkpointer
from store.factory import open_store
from store.memories import memory_store
from tests.support.live_server import TLS, port_for_another_process

ROOT = Path(__file__).resolve().parents[2]
LANGGRAPH = ROOT / ".venv-langgraph" / "bin" / "langgraph"
STARTUP_SECONDS = 180
VENV_SECONDS = 900


@pytest.fixture(scope="module")
def langgraph_venv() -> Path:
    """`.venv-langgraph`, built (or brought up to date) by `make langgraph-venv` with the uv of
    the venv these tests run in."""
    uv = Path(sys.executable).parent / "uv"
    assert uv.is_file(), f"no uv beside {sys.executable}: run `make test`, which installs it"
    built = subprocess.run(
        ["make", "-s", "langgraph-venv", f"UV={uv}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=VENV_SECONDS,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert LANGGRAPH.is_file()
    return LANGGRAPH


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("langgraph-dev") / "data"


@pytest.fixture(scope="module")
def client(
    langgraph_venv: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncLangGraphClient]:
    """A `langgraph dev` server on a free loopback port, and a client of it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRATIGOS_", "LANGSMITH_", "LANGCHAIN_", "AWS_"))
    }
    env |= {
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "LANGSMITH_TRACING": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "PYTHONPATH": str(ROOT),
    }
    port = port_for_another_process()
    url = f"http://127.0.0.1:{port}"
    # The server keeps its threads in ./.langgraph_api: a directory of its own, not the repo.
    cwd = tmp_path_factory.mktemp("langgraph-dev-cwd")
    log_path = cwd / "server.log"
    command = [str(langgraph_venv), "dev", "--config", str(ROOT / "langgraph.json")]
    command += ["--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, f"langgraph dev exited:\n{log_path.read_text()[-4000:]}"
            assert time.monotonic() < deadline, f"not ready:\n{log_path.read_text()[-4000:]}"
            try:
                if httpx.get(f"{url}/ok", timeout=2, verify=TLS).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)  # a real process starting up: no clock to inject
        yield get_sync_client(url=url, api_key=None)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _ask(client: SyncLangGraphClient, thread_id: str, text: str) -> list[dict[str, Any]]:
    values = client.runs.wait(
        thread_id, "assistant", input={"messages": [{"role": "user", "content": text}]}
    )
    assert isinstance(values, dict)
    return list(values["messages"])


def _saved(data_dir: Path, graph: str, thread_id: str) -> tuple[StateSnapshot, set[str]]:
    """Thread `thread_id`'s state as the project's own saver reads it from the project's
    checkpoint file (`store.checkpoints`, `<data_dir>/checkpoints.sqlite`), and the checkpoint
    namespaces the thread has there."""
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    build = {"assistant": build_assistant_graph, "optimization": build_optimization_graph}[graph]
    with checkpointer(Settings(data_dir=data_dir)) as saver:
        namespaces = {c.config["configurable"]["checkpoint_ns"] for c in saver.list(config)}
        return build(saver).get_state(config), namespaces


def _texts(messages: list[Any]) -> list[tuple[str, str]]:
    """(id, content) of messages, as the server sends them or as LangChain objects."""
    return [
        (m["id"], m["content"]) if isinstance(m, dict) else (str(m.id), m.content) for m in messages
    ]


def test_both_graphs_are_served(client: SyncLangGraphClient) -> None:
    assert {a["graph_id"] for a in client.assistants.search()} == {"optimization", "assistant"}


def test_a_chat_turn_answers_with_a_tool_call_and_a_memory_lands_in_the_project_file(
    client: SyncLangGraphClient, data_dir: Path
) -> None:
    thread_id = client.threads.create()["thread_id"]
    messages = _ask(client, thread_id, "What is the CVaR of AAPL and KO since 2019?")
    (call,) = [c for m in messages if m["type"] == "ai" for c in m.get("tool_calls") or []]
    assert call["name"] == "portfolio_risk_report"
    assert call["args"]["weights"] == {"AAPL": 0.5, "KO": 0.5}
    assert [m["name"] for m in messages if m["type"] == "tool"] == ["portfolio_risk_report"]
    assert "CVaR" in messages[-1]["content"] and "%" in messages[-1]["content"]

    said = _ask(client, thread_id, "remember that I never hold energy stocks")[-1]["content"]
    assert "energy" in said and "every portfolio" in said
    state = client.threads.get_state(thread_id)["values"]  # the thread holds both turns
    assert isinstance(state, dict) and state["messages"][: len(messages)] == messages
    assert state["messages"][-1]["content"] == said

    # the thread's checkpoints are in the project's checkpoint file; its agents' tool loops
    # keep none (only the graph's own namespace)
    saved, namespaces = _saved(data_dir, "assistant", thread_id)
    assert _texts(saved.values["messages"]) == _texts(state["messages"])
    assert namespaces == {""}

    served = client.store.search_items(("memories", LOCAL_OWNER))["items"]
    assert [item["value"]["text"] for item in served] == ["I never hold energy stocks"]
    with memory_store(Settings(data_dir=data_dir)) as stored:  # the project's memory file
        (memory,) = list_memories(stored, LOCAL_OWNER)
    assert memory.exclusions == ["energy"] and memory.key == served[0]["key"]


def test_deleting_a_thread_deletes_its_checkpoints_from_the_project_file(
    client: SyncLangGraphClient, data_dir: Path
) -> None:
    thread_id = client.threads.create()["thread_id"]
    said = _ask(client, thread_id, "hello")
    assert _texts(_saved(data_dir, "assistant", thread_id)[0].values["messages"]) == _texts(said)
    client.threads.delete(thread_id)
    saved, namespaces = _saved(data_dir, "assistant", thread_id)
    assert not saved.values and not namespaces


def test_an_approved_search_runs_as_the_local_owners_job(
    client: SyncLangGraphClient, data_dir: Path
) -> None:
    thread_id = client.threads.create()["thread_id"]
    _ask(client, thread_id, CHAT_MESSAGES[-1])  # drafts a strategy search: paused for approval
    (task,) = client.threads.get_state(thread_id)["tasks"]
    (pending,) = task["interrupts"]
    assert pending["value"]["type"] == "approval"
    assert pending["value"]["actions"] == ["approve", "edit", "reject"]
    paused, _ = _saved(data_dir, "assistant", thread_id)  # the pause is in the project's file
    assert [i.value for i in paused.interrupts] == [pending["value"]]

    values = client.runs.wait(
        thread_id, "assistant", command={"resume": {"action": "edit", "request": CHAT_EDIT}}
    )
    assert isinstance(values, dict)
    reply = values["messages"][-1]["content"]
    store = open_store(Settings(data_dir=data_dir))
    (job,) = store.list_jobs(LOCAL_OWNER)
    assert job.status == "succeeded"
    assert reply.startswith(f"Run {job.id} succeeded.")
    result = store.get_result(LOCAL_OWNER, job.id).payload
    assert result["status"] == "succeeded" and result["n_trials"] == 12  # CHAT_EDIT's budget

    resumed, _ = _saved(data_dir, "assistant", thread_id)
    assert not resumed.interrupts and resumed.values["messages"][-1].content == reply
    ran, _ = _saved(data_dir, "optimization", job.id)  # the job checkpoints in the same file
    assert not ran.next and ran.values["result"]["best"]["config"] == result["best"]["config"]


def test_a_small_optimization_gives_the_result_stratigos_computes(
    client: SyncLangGraphClient, data_dir: Path, tmp_path: Path
) -> None:
    thread_id = client.threads.create()["thread_id"]
    state = {"run_id": "run_platform_small", "request": SMALL_REQUEST}
    values = client.runs.wait(thread_id, "optimization", input=state)
    assert isinstance(values, dict)
    served = values["result"]
    assert served["status"] == "succeeded" and served["n_trials"] == 12
    saved, namespaces = _saved(data_dir, "optimization", thread_id)  # the project's file
    assert not saved.next and saved.values["result"] == served
    assert namespaces == {""}

    request = OptimizationRequest.model_validate(SMALL_REQUEST)
    local = run_optimization(
        request,
        settings=Settings(data_dir=tmp_path / "local", models=ModelSettings(provider="offline")),
    )
    assert local.result is not None
    assert served["best"]["config"] == local.result["best"]["config"]
    assert [t["config_id"] for t in served["trials"]] == [
        t["config_id"] for t in local.result["trials"]
    ]
    assert [t["objective"] for t in served["trials"]] == pytest.approx(
        [t["objective"] for t in local.result["trials"]]
    )

    reused = {"run_id": "run_platform_small", "request": {**SMALL_REQUEST, "seed": 8}}
    other = client.threads.create()["thread_id"]
    with pytest.raises(Exception, match="RunIdInUseError"):
        client.runs.wait(other, "optimization", input=reused)
