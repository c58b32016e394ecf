"""A chat whose turns alternate between the two processes of a real `stratigos serve` answers
what the same chat answers in one process, over `/v1` and over the Agent Protocol (`/agent`).

Each request goes to a chosen process (`tests.support.serving_process`: a kept-alive connection
the kernel handed to that process, seen in `/proc`). The conversation builds portfolios in both
processes and asks about them in the other (by id, and as "that"), generates a scenario set,
drafts a strategy search in one process, approves it in the other and asks why it won in the
first. Its replies, with ids read as the n-th id of their kind, equal those of the same
conversation held in one process; and its portfolio ids are the ones one process hands out
(`graphs.thread_artifacts`), so no id means two portfolios. While a turn of a thread holds it
(`api.thread_turns`: a lease in the store), neither process starts another."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.thread_turns import turn_key
from store.sqlite import SQLiteStore
from tests.api.test_serve_workers import STARTUP_SECONDS
from tests.support.mcp_serve import owner_keys, shared_serving
from tests.support.serving_process import pinned_connection, request_json
from tools.artifacts import ArtifactStore

SEARCH = (
    "find the target-vol setting that holds up in a bear market with 20 trials "
    "for AAPL, JNJ, KO and XOM since 2010"
)
EDIT = {"n_paths": 30, "horizon": 189, "warm_start": False}
"""The search's approval with changes: cold, since one owner holds the conversation several times
here and a warm start would begin each search from what the one before taught the owner's
strategy model (docs/strategy-model.md): like-for-like needs cold searches."""
STEPS: tuple[str | dict[str, Any], ...] = (
    "an HRP portfolio of AAPL, MSFT and JNJ",
    "a risk parity portfolio of KO and PEP",
    "a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018",
    "what is the 99% VaR of {p1} and {p2}?",
    "generate bear and bull market scenarios for AAPL and KO since 2015",
    "what's the 99% CVaR of that?",
    SEARCH,
    EDIT,  # the search's approval, with changes
    "why did it win?",
    "what is the 95% VaR of {p0}?",
)
"""The conversation: user messages (`{pN}` the N-th portfolio built so far) and the answer to the
pending approval."""

PORTFOLIO = re.compile(r"\((pf_[0-9a-f]{6})\)")
"""A portfolio built, as the replies name it."""
IDS = re.compile(r"\b(pf|scn|frt|srch|sens|job|run)_[0-9a-f]+\b")


@dataclass(frozen=True)
class Serve:
    """A running `stratigos serve`: its URL, its two server processes, alice's key and its
    data directory."""

    base: str
    processes: tuple[int, int]
    key: str
    data_dir: Path


pytestmark = pytest.mark.xdist_group("two-process-serve")  # one server: tests.support.mcp_serve


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Serve:
    """The group's two-process `stratigos serve`, with a key of alice (this module's owner)."""
    running = shared_serving(tmp_path_factory)
    first, second = sorted(running.processes)
    key = owner_keys(running.data_dir, ["alice"])["alice"]
    return Serve(running.base, (first, second), key, running.data_dir)


Door = Callable[[Serve, int, str, str | dict[str, Any]], list[str]]
"""One turn through a door: (server, process, thread id, step) -> the turn's replies."""


def _ask(serve: Serve, pid: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """`method path` with `body`, served by process `pid`: the status and the answer."""
    connection = pinned_connection(serve.base, pid, set(serve.processes), STARTUP_SECONDS)
    try:
        return request_json(connection, method, path, {"x-api-key": serve.key}, body)
    finally:
        connection.close()


def _call(serve: Serve, pid: int, method: str, path: str, body: Any = None) -> Any:
    """`method path` with `body`, served by process `pid` (checked)."""
    status, answer = _ask(serve, pid, method, path, body)
    assert status in (200, 201), (status, answer)
    return answer


def _v1_thread(serve: Serve, pid: int) -> str:
    return str(_call(serve, pid, "POST", "/v1/threads", {"title": "two processes"})["id"])


def _v1_turn(serve: Serve, pid: int, thread: str, step: str | dict[str, Any]) -> list[str]:
    if isinstance(step, dict):
        body = {"action": "edit", "changes": step}
        turn = _call(serve, pid, "POST", f"/v1/threads/{thread}/approve", body)
    else:
        turn = _call(serve, pid, "POST", f"/v1/threads/{thread}/messages", {"content": step})
    assert (turn["pending"] is not None) == (step == SEARCH)
    return list(turn["replies"])


def _agent_thread(serve: Serve, pid: int) -> str:
    return str(_call(serve, pid, "POST", "/agent/threads", {})["thread_id"])


def _agent_turn(serve: Serve, pid: int, thread: str, step: str | dict[str, Any]) -> list[str]:
    state = _call(serve, pid, "GET", f"/agent/threads/{thread}/state")
    before = len(state["values"].get("messages", []))
    run: dict[str, Any] = {"assistant_id": "assistant"}
    if isinstance(step, dict):
        run["command"] = {"resume": {"action": "edit", "request": step}}
    else:
        run["input"] = {"messages": [{"role": "user", "content": step}]}
    values = _call(serve, pid, "POST", f"/agent/threads/{thread}/runs/wait", run)
    assert ("__interrupt__" in values) == (step == SEARCH)
    return [
        m["content"]
        for m in values["messages"][before:]
        if m["type"] == "ai" and not m.get("tool_calls") and m["content"]
    ]


DOORS: dict[str, tuple[Callable[[Serve, int], str], Door]] = {
    "v1": (_v1_thread, _v1_turn),
    "agent": (_agent_thread, _agent_turn),
}


def converse(serve: Serve, door: str, processes: list[int]) -> tuple[str, list[str], list[str]]:
    """The conversation of `STEPS` through `door`, step n served by `processes[n]`: its thread
    id, the replies and the portfolios built, in order."""
    new_thread, turn = DOORS[door]
    thread = new_thread(serve, processes[0])
    replies: list[str] = []
    built: list[str] = []
    for step, pid in zip(STEPS, processes, strict=True):
        if isinstance(step, str):
            step = step.format(**{f"p{n}": pf for n, pf in enumerate(built)})
        answered = turn(serve, pid, thread, step)
        assert len(answered) == (0 if step == SEARCH else 1), (step, answered)
        replies += answered
        built += [pf for reply in answered for pf in PORTFOLIO.findall(reply)]
    return thread, replies, built


def _ids_by_order(replies: list[str]) -> list[str]:
    """The replies with every id written as its kind and the order it first appears in."""
    seen: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        kind = match.group(1)
        same = sum(1 for shown in seen.values() if shown.startswith(kind + "#"))
        return seen.setdefault(match.group(0), f"{kind}#{same}")

    return [IDS.sub(name, reply) for reply in replies]


def _one_process_ids(thread: str, n: int) -> list[str]:
    """The first `n` portfolio ids one process hands out in chat thread `thread`."""
    artifacts = ArtifactStore(namespace=f"chat:{thread}")
    return [artifacts.put("portfolio", object()) for _ in range(n)]


@pytest.mark.parametrize("door", ["v1", "agent"])
def test_a_chat_alternating_processes_answers_as_in_one_process(serve: Serve, door: str) -> None:
    _, alone, _ = converse(serve, door, [serve.processes[0]] * len(STEPS))
    alternating = [serve.processes[n % 2] for n in range(len(STEPS))]
    thread, replies, built = converse(serve, door, alternating)

    assert built == _one_process_ids(thread, 3)  # three portfolios, three ids
    assert _ids_by_order(replies) == _ids_by_order(alone)
    var = next(reply for reply in replies if "99% confidence the one-day VaR" in reply)
    assert var.startswith(f"{built[1]}: ") and f" {built[2]}: " in var  # those two, not others


def test_the_baseline_is_the_same_through_both_doors(serve: Serve) -> None:
    """What the comparison holds to: one process answers the conversation the same over /v1
    and /agent, and a second process the same as the first."""
    first, second = serve.processes
    _, over_v1, _ = converse(serve, "v1", [first] * len(STEPS))
    _, over_agent, _ = converse(serve, "agent", [second] * len(STEPS))
    assert _ids_by_order(over_v1) == _ids_by_order(over_agent)


def test_while_a_turn_holds_a_thread_neither_process_starts_another(serve: Serve) -> None:
    """The hold a turn running in one process takes (its lease in the store), taken here as
    that process would: both processes refuse a message on the thread, over /v1 and /agent,
    and answer it once the hold has ended."""
    v1_thread, agent_thread = (
        _v1_thread(serve, serve.processes[0]),
        _agent_thread(serve, serve.processes[1]),
    )
    message = {"content": STEPS[0]}
    run = {
        "assistant_id": "assistant",
        "input": {"messages": [{"role": "user", "content": STEPS[0]}]},
    }
    asks = [
        ("POST", f"/v1/threads/{v1_thread}/messages", message),
        ("POST", f"/agent/threads/{agent_thread}/runs/wait", run),
    ]
    with SQLiteStore(serve.data_dir / "store.sqlite") as store:
        for thread in (v1_thread, agent_thread):
            assert store.hold_lease("alice", turn_key(thread), "a turn elsewhere", 600)
        for pid in serve.processes:
            for method, path, body in asks:
                status, answer = _ask(serve, pid, method, path, body)
                assert status == 409 and answer["error"]["code"] == "CONFLICT", (pid, path, answer)
        for thread in (v1_thread, agent_thread):
            store.release_lease("alice", turn_key(thread), "a turn elsewhere")
    for (method, path, body), pid in zip(asks, serve.processes, strict=True):
        assert _ask(serve, pid, method, path, body)[0] == 200
