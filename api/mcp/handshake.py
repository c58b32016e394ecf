"""`stratigos mcp`'s first answer, before its imports: the server answers the client's
`initialize` request at once, from this module's standard-library code, then loads the MCP SDK,
the assistant's tools and the store (a second or two) while the client sends its
`notifications/initialized`; the requests that follow wait for the server in the pipe.

`answer_early(stdin, stdout)` reads the first line; when it is a well-formed `initialize`
request it writes the answer the server would give (`initialize_result`: the protocol version
negotiated as the SDK's `ServerSession` does, the server's capabilities, name, version and
`INSTRUCTIONS`) and returns an `Early` holding that line and the request's id. The server then
reads that line first (so its session initialises as usual) and its own answer to that id is
not written again (`api.mcp.server.serve_stdio`). Anything else (not JSON, another method, an
`initialize` the SDK would refuse) is left to the server: the line is handed to it unanswered.
`tests/api/test_mcp_handshake.py` checks that the early answer is the server's own, for any
`initialize` a client may send, and that the SDK's protocol versions are these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version
from typing import IO, Any

SERVER_NAME = "stratigos"
INSTRUCTIONS = """\
Stratigos: exact portfolio numbers for a portfolio manager. Build portfolios
(optimize_portfolio), measure their risk (portfolio_risk_report: VaR, CVaR, drawdown,
contributions), read the market (market_statistics, generate_market_scenarios), trace
efficient frontiers, backtest a volatility-targeting strategy, search the user's research
with citations, save ideas and remember facts about the user. Conventions: daily simple
returns, 252 periods a year, VaR/CVaR/drawdown are positive losses; the embedded data ends
2022-12-28. Strategy searches and deployments are only drafted (draft_strategy_search,
draft_deployment): they run when the user approves. Resources hold the user's portfolios,
runs with results and traces, documents and profile."""
"""What the server tells clients it is for (its `initialize` answer's `instructions`)."""
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
"""The MCP protocol versions the SDK's server speaks (`mcp.shared.version`), the latest last."""
CAPABILITIES: dict[str, Any] = {
    "experimental": {},
    "prompts": {"listChanged": False},
    "resources": {"subscribe": False, "listChanged": False},
    "tools": {"listChanged": False},
}
"""What the server offers (`Server.create_initialization_options()` of `api.mcp.server`)."""


@dataclass(frozen=True)
class Early:
    """The first line read from the client, and the id of the `initialize` request it held
    when it was answered early (None: the server answers it)."""

    line: bytes
    answered: str | int | None


def _is_initialize(message: Any) -> bool:
    """Whether `message` is an `initialize` request the SDK accepts (a string or integer id;
    params with a string protocol version, capabilities and the client's name and version)."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return False
    ident = message.get("id")
    if message.get("method") != "initialize" or isinstance(ident, bool):
        return False
    params = message.get("params")
    if not isinstance(ident, str | int) or not isinstance(params, dict):
        return False
    client = params.get("clientInfo")
    return (
        isinstance(params.get("protocolVersion"), str)
        and isinstance(params.get("capabilities"), dict)
        and isinstance(client, dict)
        and isinstance(client.get("name"), str)
        and isinstance(client.get("version"), str)
    )


def initialize_result(requested: str) -> dict[str, Any]:
    """The server's answer to an `initialize` asking for protocol version `requested`: that
    version when it speaks it, else its latest."""
    return {
        "protocolVersion": requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[-1],
        "capabilities": CAPABILITIES,
        "serverInfo": {"name": SERVER_NAME, "version": version("stratigos")},
        "instructions": INSTRUCTIONS,
    }


def answer_early(stdin: IO[bytes], stdout: IO[bytes]) -> Early:
    """Read the client's first line from `stdin` and answer it on `stdout` when it is an
    `initialize` request (see the module docstring)."""
    line = stdin.readline()
    try:
        message = json.loads(line)
    except ValueError:
        return Early(line, None)
    if not _is_initialize(message):
        return Early(line, None)
    answer = {
        "jsonrpc": "2.0",
        "id": message["id"],
        "result": initialize_result(message["params"]["protocolVersion"]),
    }
    stdout.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
    stdout.flush()
    return Early(line, message["id"])
