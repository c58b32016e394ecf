"""`stratigos mcp` answers `initialize` before it loads (`api.mcp.handshake`): the early answer
is the one the SDK's server gives, for any protocol version and id a client sends; what it does
not answer (not JSON, another method, an `initialize` missing a field) is left to the server;
and over stdio the session goes on as usual, the server never answering `initialize` twice, and
every request read before the client closed its end is answered."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.shared.message import SessionMessage
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS

from api.mcp.handshake import PROTOCOL_VERSIONS, answer_early
from api.mcp.server import build_server, serve_lines
from settings import LOCAL_OWNER, Settings, get_settings
from store.factory import open_store

STRATIGOS = Path(sys.executable).with_name("stratigos")


def _initialize(ident: Any, protocol: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol,
            "capabilities": {"roots": {"listChanged": True}},
            "clientInfo": {"name": "a client", "version": "1.2"},
        },
    }


def _server_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The SDK server's own answer to `request` (the first message of a session)."""
    server = build_server(Settings(), lambda: None, local_owner="alice")  # type: ignore[arg-type,return-value]

    async def exchange() -> dict[str, Any]:
        send_in, read = anyio.create_memory_object_stream[SessionMessage | Exception](1)
        write, receive_out = anyio.create_memory_object_stream[SessionMessage](1)
        async with anyio.create_task_group() as group:
            group.start_soon(server.run, read, write, server.create_initialization_options())
            await send_in.send(SessionMessage(types.JSONRPCMessage.model_validate(request)))
            answer = await receive_out.receive()
            group.cancel_scope.cancel()
        dumped = answer.message.model_dump_json(by_alias=True, exclude_none=True)
        return dict(json.loads(dumped))

    return anyio.run(exchange)


def test_the_protocol_versions_are_the_sdk_s() -> None:
    assert list(PROTOCOL_VERSIONS) == list(SUPPORTED_PROTOCOL_VERSIONS)
    assert PROTOCOL_VERSIONS[-1] == types.LATEST_PROTOCOL_VERSION


@settings(max_examples=25, deadline=None)
@given(
    ident=st.one_of(st.integers(-(2**31), 2**31), st.text(min_size=1, max_size=12)),
    protocol=st.one_of(st.sampled_from(PROTOCOL_VERSIONS), st.text(max_size=12)),
)
def test_the_early_answer_is_the_server_s_own(ident: Any, protocol: str) -> None:
    request = _initialize(ident, protocol)
    line = json.dumps(request).encode() + b"\n"
    out = io.BytesIO()
    early = answer_early(io.BytesIO(line + b"next\n"), out)
    assert early.line == line and early.answered == ident
    assert json.loads(out.getvalue()) == _server_answer(request)


@settings(max_examples=25, deadline=None)
@given(
    line=st.one_of(
        st.binary(max_size=40).filter(lambda b: b"\n" not in b),
        st.sampled_from(
            [
                json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode(),
                json.dumps({**_initialize(1, "2025-06-18"), "params": {}}).encode(),
                json.dumps({**_initialize(True, "2025-06-18")}).encode(),
                json.dumps(
                    {k: v for k, v in _initialize(3, "x").items() if k != "jsonrpc"}
                ).encode(),
            ]
        ),
    )
)
def test_anything_else_is_left_to_the_server(line: bytes) -> None:
    out = io.BytesIO()
    early = answer_early(io.BytesIO(line + b"\n"), out)
    assert early.answered is None and early.line == line + b"\n" and out.getvalue() == b""


def test_over_stdio_the_session_goes_on_and_initialize_is_answered_once(tmp_path: Path) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("STRATIGOS_")}
    env = {**keep, "STRATIGOS_DATA_DIR": str(tmp_path), "STRATIGOS_MODEL_PROVIDER": "offline"}
    messages = [
        _initialize(7, "2025-06-18"),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 8, "method": "prompts/list"},
    ]
    done = subprocess.run(
        [STRATIGOS, "mcp"],
        input="".join(json.dumps(m) + "\n" for m in messages),
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == [7, 8], done.stderr
    assert answers[0]["result"] == _server_answer(messages[0])["result"]
    assert answers[1]["result"]["prompts"]


class _Sink:
    """An async text sink collecting what the server writes."""

    def __init__(self) -> None:
        self.text = ""

    async def write(self, text: str) -> None:
        self.text += text

    async def flush(self) -> None:
        return None


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(["tools/list", "prompts/list", "tools/call", "resources/list"]))
def test_requests_read_before_the_client_closes_are_all_answered(
    order: list[str], offline_data_dir: Path
) -> None:
    """A client that writes its requests and closes its end (a shell pipe) gets every answer,
    the slowest (a risk report computed in a worker thread) included."""
    requests: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": 10 + i, "method": method, "params": {}}
        for i, method in enumerate(order)
    ]
    for request in requests:
        if request["method"] == "tools/call":
            request["params"] = {
                "name": "portfolio_risk_report",
                "arguments": {"weights": {"AAPL": 0.5, "KO": 0.5}, "start": "2019"},
            }
    messages = [
        _initialize(7, "2025-06-18"),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        *requests,
    ]
    local = get_settings()
    local.ensure_data_dir()
    store = open_store(local)

    async def client_lines() -> Any:
        for message in messages:
            yield json.dumps(message) + "\n"

    sink = _Sink()
    try:
        anyio.run(serve_lines, local, store, LOCAL_OWNER, client_lines(), sink)
    finally:
        store.close()
    answers = {a["id"]: a for a in map(json.loads, sink.text.splitlines())}
    assert sorted(answers) == [7, *(r["id"] for r in requests)]
    assert all("result" in a for a in answers.values()), sink.text
