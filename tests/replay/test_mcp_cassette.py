"""The chat's agents on Bedrock driving Stratigos' MCP tools, replayed offline from a cassette.

`tests/cassettes/mcp-chat` is the built-in session ``mcp-chat`` (`stratigos record mcp-chat`,
or ``pytest tests/replay --record-cassettes=mcp-chat``): `stratigos mcp` runs as a subprocess
on stdio, `langchain-mcp-adapters` loads its tools, and the chat's agents
(`ChatBedrockConverse`, recorded against the local Bedrock endpoint) are bound to them
(`devtools.mcp_session`). Replayed with fake credentials, no AWS or Stratigos variables and
sockets that refuse to connect, every model call is answered by the cassette while the MCP
server answers the tool calls for real: a CVaR question gets the numeric core's number, and a
strategy search the model asks for is only drafted and still waits for the owner's approval.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest
import yaml

from api.mcp.drafts import DRAFT_TOOLS
from api.mcp.tools import assistant_tool_names
from devtools.cassettes import cassette_paths
from devtools.recording import MCP_MESSAGES, SESSIONS
from devtools.replaying import load_snapshot, replay
from quant import risk_report
from quant.data import load_sp500_prices, to_returns

NAME = "mcp-chat"


@pytest.fixture(scope="module")
def replayed(offline_module: None) -> dict[str, Any]:
    """The session replayed offline (it must reproduce its snapshot), as it ran."""
    report = replay(NAME)
    assert report.error is None, report.summary()
    assert report.reproduced and report.actual is not None, report.summary()
    return report.actual


def _requests() -> list[dict[str, Any]]:
    cassette, _ = cassette_paths(NAME)
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    return [json.loads(i["request"]["body"]) for i in interactions]


def test_the_session_is_the_built_in_mcp_script() -> None:
    snapshot = load_snapshot(NAME)
    assert snapshot["script"] == SESSIONS[NAME].script.canonical()
    assert [s["message"] for s in snapshot["script"]["steps"]] == list(MCP_MESSAGES)
    assert snapshot["provider"] == "bedrock" and snapshot["api"] == "converse"
    assert snapshot["recorded_against"] == "local-endpoint"


def test_the_model_was_bound_to_the_tools_the_mcp_server_lists() -> None:
    drafting = {tool.name: tool for tool in DRAFT_TOOLS}
    bound = [
        {t["toolSpec"]["name"]: t["toolSpec"] for t in body["toolConfig"]["tools"] if "toolSpec" in t}
        for body in _requests()
        if "Route" not in str(body["toolConfig"]["tools"])
    ]  # fmt: skip
    assert len(bound) == 3  # the answer's two turns (a tool call, then the reply), the draft
    for tools in bound:
        assert list(tools) == [*assistant_tool_names(), *drafting]  # as the server lists them
        for name, tool in drafting.items():  # the drafting tools take the agents' own drafts
            spec = tools[name]
            assert spec["description"] == tool.description
            fields = tool.schema.model_json_schema()["properties"]
            assert set(spec["inputSchema"]["json"]["properties"]) == set(fields)


def test_a_cvar_question_is_answered_with_the_numeric_core_s_number(
    replayed: dict[str, Any],
) -> None:
    first = replayed["result"]["turns"][0]
    assert first["route"] == "risk_manager" and first["tools"] == ["portfolio_risk_report"]
    returns = to_returns(load_sp500_prices()[["AAPL", "KO"]]).loc["2019-01-01":]
    exact = risk_report(pd.Series(0.5, index=returns.columns), returns, level=0.95)
    (reply,) = first["replies"]
    assert f"the CVaR {exact.cvar_historical:.2%} (historical)" in reply
    # the VaR as the numeric core has it, to the digits the reply shows
    shown = re.search(r"the one-day VaR is (\d+\.(\d+))%", reply)
    assert shown is not None, reply
    half_digit = 0.5 * 10 ** -(len(shown.group(2)) + 2)
    assert abs(float(shown.group(1)) / 100 - exact.var_historical) <= half_digit + 1e-12
    assert "from 2019-01-02 to 2022-12-28" in reply


def test_a_search_the_model_asks_for_waits_for_the_owner_s_approval(
    replayed: dict[str, Any],
) -> None:
    second = replayed["result"]["turns"][1]
    assert second["route"] == "optimizer" and second["tools"] == ["draft_strategy_search"]
    assert second["replies"] == []  # the model made the call; nothing answered for the owner
    (drafted,) = second["drafted"]
    assert drafted["status"] == "pending_approval"
    assert drafted["summary"].startswith(
        "Strategy search on AAPL, JNJ, KO and XOM, 2010-01-01 to 2022-12-28"
    )
    assert "20 trials" in drafted["summary"] and "bear 2" in drafted["summary"]
    # after the session the server still says so, and nothing ran on the model's word
    assert replayed["result"]["drafts"] == [{"tool": "draft_strategy_search", **drafted}]
    assert replayed["result"]["runs"] == []
