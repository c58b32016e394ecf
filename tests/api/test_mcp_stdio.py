"""`stratigos mcp` as a desktop or IDE client starts it: a subprocess on stdio, driven by the
`mcp` SDK's stdio client. It lists the tools, answers a CVaR question with the numeric core's
number, and a search or deployment it is asked for waits for approval (this client cannot be
asked), then runs once approved in the CLI (run in the test's process)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from api.cli import main
from api.mcp.drafts import DRAFT_TOOL_NAMES
from api.mcp.tools import assistant_tool_names
from quant import risk_report
from quant.data import load_sp500_prices, to_returns
from tests.support.mcp_client import data

STRATIGOS = Path(sys.executable).with_name("stratigos")


def _environment(data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("STRATIGOS_")}
    return {**keep, "STRATIGOS_DATA_DIR": str(data_dir), "STRATIGOS_MODEL_PROVIDER": "offline"}


@pytest.mark.slow  # a process of stratigos over stdio, then an approved search
def test_a_client_lists_the_tools_measures_a_cvar_and_drafts_a_search(
    tmp_path: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _environment(tmp_path / "data")
    params = StdioServerParameters(command=str(STRATIGOS), args=["mcp"], env=env)

    async def session() -> tuple[Any, ...]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            hello = await client.initialize()
            tools = [tool.name for tool in (await client.list_tools()).tools]
            risk = await client.call_tool(
                "portfolio_risk_report", {"weights": {"AAPL": 0.5, "KO": 0.5}, "start": "2019"}
            )
            draft = await client.call_tool(
                "draft_strategy_search", {"universe": ["AAPL", "KO"], "max_trials": 4}
            )
            return hello, tools, data(risk), data(draft)

    hello, tools, risk, draft = asyncio.run(asyncio.wait_for(session(), 120))
    assert hello.serverInfo.name == "stratigos" and hello.capabilities.resources is not None
    assert tools == [*assistant_tool_names(), *DRAFT_TOOL_NAMES]
    returns = to_returns(load_sp500_prices()[["AAPL", "KO"]]).loc["2019-01-01":]
    exact = risk_report(pd.Series(0.5, index=returns.columns), returns, level=0.95)
    assert abs(risk["cvar_historical"] / exact.cvar_historical - 1) < 1e-3

    assert draft["status"] == "pending_approval"
    # the CLI, run in this process on the server's data directory (the fixture's settings)
    assert offline_data_dir == tmp_path / "data"
    assert main(["jobs", "list"]) == 0
    assert "job_" not in capsys.readouterr().out  # nothing ran on the model's word
    assert main(["chat", "--thread", draft["draft_id"], "--approve", "--json"]) == 0
    assert " succeeded." in capsys.readouterr().out
