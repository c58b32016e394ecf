"""pytest plugin: record agent runs as cassettes in your own tests, and replay them offline.

Installed with Stratigos (entry point ``pytest11: stratigos``), so any project's tests can use
the `agent_cassette` fixture::

    def test_my_request(agent_cassette):
        outcome = agent_cassette.optimization({"universe": ["AAPL", "KO"], "n_paths": 20})
        assert outcome["result"]["status"] == "succeeded"

    def test_my_chat(agent_cassette):
        outcome = agent_cassette.chat(["an HRP portfolio of AAPL, MSFT and JNJ", "its 95% VaR?"])
        assert outcome["result"]["turns"][1]["tools"] == ["portfolio_risk_report"]

    def test_my_embeddings(agent_cassette):
        outcome = agent_cassette.embedding(["energy stocks", "utilities"], dimensions=256)
        assert len(outcome["result"]["vectors"]) == 2

``pytest --record-cassettes`` runs each script against the local Bedrock endpoint (or Amazon
Bedrock when it is configured; ``--record-target``), writes ``cassettes/<test name>.yaml`` and
its snapshot beside the test module, then replays it. Without the option the test replays the
cassette with every network connection refused and fails, naming the difference, when the run
no longer reproduces its snapshot. ``--record-cassettes=NAME,NAME`` records only those.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.cassettes import Api

RECORD_OPTION = "--record-cassettes"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stratigos", "Stratigos agent cassettes")
    group.addoption(
        RECORD_OPTION,
        nargs="?",
        const="all",
        default=None,
        metavar="NAMES",
        help="record the agent cassettes the tests use (all, or comma-separated cassette "
        "names) before replaying them",
    )
    group.addoption(
        "--record-target",
        choices=["auto", "bedrock", "local"],
        default="auto",
        help="where --record-cassettes records: auto (Amazon Bedrock when it is configured, "
        "else the local endpoint), bedrock or local",
    )


def recording_requested(config: pytest.Config, name: str) -> bool:
    """Whether this pytest run records cassette `name` (``--record-cassettes[=NAMES]``)."""
    option = config.getoption(RECORD_OPTION)
    if not option:
        return False
    return option == "all" or name in {n.strip() for n in str(option).split(",")}


class NetworkRefusedError(OSError):
    """A connection attempted while a cassette replays."""


def refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every IPv4 and IPv6 connection (`NetworkRefusedError`) until `monkeypatch` undoes
    its changes (other sockets, such as a subprocess's pipes, are left alone)."""
    original = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkRefusedError(f"network access attempted during a replay: {address}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every IPv4 and IPv6 connection is refused for the test's duration."""
    refuse_network(monkeypatch)
    yield


class AgentCassette:
    """Runs a script under a cassette: records it (``--record-cassettes``) or replays it."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self.directory = Path(request.path).parent / "cassettes"
        self.default_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def optimization(
        self,
        request: dict[str, Any],
        *,
        name: str | None = None,
        api: Api = "converse",
    ) -> dict[str, Any]:
        """Run the optimization workflow on `request` (an OptimizationRequest as JSON data)."""
        from devtools.scripts import ScriptError, optimization_script

        try:
            script = optimization_script(request)
        except ScriptError as exc:
            pytest.fail(str(exc), pytrace=False)
        return self.run(script, name=name, api=api)

    def chat(
        self,
        steps: list[str | dict[str, Any]],
        *,
        name: str | None = None,
        api: Api = "converse",
    ) -> dict[str, Any]:
        """Run a chat: each step a message (a string) or a step dict (``{"decision":
        "approve"}``, ``{"decision": "edit", "changes": {...}}``, ``{"decision": "reject"}``)."""
        from devtools.scripts import ScriptError, chat_script

        try:
            script = chat_script([{"message": s} if isinstance(s, str) else s for s in steps])
        except ScriptError as exc:
            pytest.fail(str(exc), pytrace=False)
        return self.run(script, name=name, api=api)

    def embedding(
        self, texts: list[str], *, dimensions: int | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Embed `texts` with the Bedrock embedder (InvokeModel; `dimensions` None: the
        settings' embedding_dimensions); the result holds the model id and every vector."""
        from devtools.scripts import ScriptError, embedding_script

        try:
            script = embedding_script(texts, dimensions)
        except ScriptError as exc:
            pytest.fail(str(exc), pytrace=False)
        return self.run(script, name=name, api="invoke")

    def run(self, script: Any, *, name: str | None = None, api: Api = "converse") -> dict[str, Any]:
        """Record or replay `script` as cassette `name` (default: the test's name); returns
        what it produced (``{"result": ..., "manifest": ...}``)."""
        from devtools.cassettes import cassette_paths
        from devtools.recording import record
        from devtools.replaying import load_snapshot, replay

        name = name or self.default_name
        config = self._request.config
        rerecord = f"pytest '{self._request.node.nodeid}' {RECORD_OPTION}={name}"
        cassette, _ = cassette_paths(name, self.directory)
        if recording_requested(config, name):
            record(
                name,
                script=script,
                api=api,
                directory=self.directory,
                target=config.getoption("--record-target"),
            )
        elif not cassette.is_file():
            pytest.fail(f"no cassette {cassette}: record it with {rerecord}", pytrace=False)
        recorded = load_snapshot(name, self.directory).get("script")
        if recorded != script.canonical():
            pytest.fail(
                f"the script of {name} changed since it was recorded:\n"
                f"  recorded: {json.dumps(recorded, sort_keys=True)[:400]}\n"
                f"  now:      {json.dumps(script.canonical(), sort_keys=True)[:400]}\n"
                f"record it again with {rerecord}",
                pytrace=False,
            )
        self._request.getfixturevalue("no_network")
        report = replay(name, self.directory, rerecord=rerecord)
        if not report.reproduced or report.actual is None:
            pytest.fail(report.summary(), pytrace=False)
        return report.actual


@pytest.fixture
def agent_cassette(request: pytest.FixtureRequest) -> AgentCassette:
    """Record (``--record-cassettes``) or replay an agent run in this test; see the module."""
    return AgentCassette(request)
