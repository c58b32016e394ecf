"""The assistant does what the portfolio manager asks, offline: every weight limit reaches the
tool call (in several phrasings), what it cannot keep is said, and a conversation keeps its
subject ("the same four", "those", "drop X and rebuild", "add Y", "now cap at 35%"); the
weights are checked against direct calls of the optimizers on the same returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graphs.chat import ChatSession
from quant import hierarchical_risk_parity, load_sp500_prices, min_volatility, to_returns
from settings import Settings

FOUR = ["AAPL", "MSFT", "JPM", "XOM"]
RETURNS = to_returns(load_sp500_prices()).loc["2018-01-01":"2022-12-31"]


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("constraints", settings=Settings())


def _calls(session: ChatSession, name: str = "optimize_portfolio") -> list[dict[str, Any]]:
    return [
        call["args"]
        for message in session.history()
        for call in getattr(message, "tool_calls", [])
        if call["name"] == name
    ]


@pytest.mark.parametrize(
    "text",
    [
        "build a min-vol portfolio of AAPL MSFT JPM XOM with at most 30% in any stock",
        "min volatility portfolio AAPL, MSFT, JPM and XOM, no stock above 30%",
        "give me a minimum variance mix of AAPL MSFT JPM XOM capped at 30% per name",
        "min-vol of aapl msft jpm xom, 30% cap per stock",
    ],
)
def test_a_weight_cap_reaches_the_tool_in_every_phrasing(session: ChatSession, text: str) -> None:
    reply = session.send(text).replies[-1]
    [args] = _calls(session)
    assert args["max_weight"] == 0.3 and sorted(args["universe"]) == sorted(FOUR)
    expected = min_volatility(RETURNS[args["universe"]].cov() * 252, bounds=(0.0, 0.3))
    assert f"MSFT {expected['MSFT']:.1%}" in reply and expected.max() <= 0.3 + 1e-9
    largest = expected.idxmax()
    assert f"Limits kept: at most 30.0% in any asset (largest {largest} 30.0%)." in reply


def test_named_and_sector_limits_exclusions_and_what_cannot_be_kept(
    session: ChatSession,
) -> None:
    reply = session.send(
        "max sharpe of all stocks without RRC, no more than 30% in tech and at most 10% in XOM, "
        "with 1.5x leverage"
    ).replies[-1]
    [args] = _calls(session)
    assert "RRC" not in args["universe"] and len(args["universe"]) == 19
    assert args["asset_limits"] == {"XOM": {"min": 0.0, "max": 0.1}}
    assert args["sector_limits"] == {"tech": {"min": 0.0, "max": 0.3}}
    assert "tech (AAPL, AMD, MSFT) within 0.0% to 30.0% in all (holds " in reply
    assert "Left out as asked: RRC." in reply
    assert "Not applied: leverage of 1.5x" in reply


def test_the_conversation_keeps_its_subject(session: ChatSession) -> None:
    session.send("build a min-vol portfolio of AAPL MSFT JPM XOM with at most 30% in any stock")
    session.send("and the HRP portfolio of the same four stocks?")
    hrp = _calls(session)[-1]
    assert (hrp["method"], sorted(hrp["universe"])) == ("hrp", sorted(FOUR))
    session.send("risk parity vs HRP for those stocks?")
    compared = _calls(session)[-2:]
    assert [a["method"] for a in compared] == ["risk_parity", "hrp"]
    assert all(sorted(a["universe"]) == sorted(FOUR) for a in compared)
    # a change rebuilds the latest portfolio (HRP), keeping what was not changed
    dropped = session.send("drop XOM and rebuild").replies[-1]
    rebuilt = _calls(session)[-1]
    assert (rebuilt["method"], rebuilt["universe"]) == ("hrp", ["AAPL", "MSFT", "JPM"])
    expected = hierarchical_risk_parity(RETURNS[rebuilt["universe"]])
    assert f"JPM {expected['JPM']:.1%}" in dropped and "Left out as asked: XOM." in dropped
    session.send("now add KO and cap at 35%")
    added = _calls(session)[-1]
    assert added["universe"] == ["AAPL", "MSFT", "JPM", "KO"] and added["max_weight"] == 0.35
    assert added["method"] == "hrp"
    volatile = session.send("how volatile are they?").replies[-1]
    [statistics] = _calls(session, "market_statistics")
    assert statistics["universe"] == ["AAPL", "MSFT", "JPM", "KO"]
    vol = RETURNS["KO"].std() * 252**0.5
    assert f"KO {vol:.1%}" in volatile


@pytest.mark.parametrize("said", ["exclude XOM", "no XOM", "avoid XOM", "ex XOM"])
def test_an_exclusion_said_alone_after_a_build_rebuilds_it_without_the_name(
    session: ChatSession, said: str
) -> None:
    """A bare exclusion in a conversation about a build changes the build; it is not a memory
    to keep (which a signed-out session would refuse, computing nothing)."""
    session.send("hrp on AAPL MSFT JPM XOM")
    reply = session.send(said).replies[-1]
    rebuilt = _calls(session)[-1]
    assert (rebuilt["method"], rebuilt["universe"]) == ("hrp", ["AAPL", "MSFT", "JPM"])
    assert "XOM left out" in reply and "memory" not in reply


def test_a_number_said_again_changes_the_limit_it_replaces(session: ChatSession) -> None:
    """ "make that 30" after "max 25% each" is "max 30% each": the same method and universe with
    the new cap, and the accounting checks the new cap, not the one it replaced."""
    session.send("risk parity on AAPL MSFT JPM XOM KO")
    session.send("max 25% each")
    reply = session.send("actually make that 30").replies[-1]
    rebuilt = _calls(session)[-1]
    assert (rebuilt["method"], rebuilt["max_weight"]) == ("risk_parity", 0.3)
    assert sorted(rebuilt["universe"]) == sorted(["AAPL", "MSFT", "JPM", "XOM", "KO"])
    assert "at most 30.0% in any asset" in reply
    assert "25" not in reply.split("Used:", 1)[1]  # the replaced cap is not checked or named


def test_a_cap_a_smaller_universe_cannot_meet_is_said(session: ChatSession) -> None:
    session.send("build a min-vol portfolio of AAPL MSFT JPM XOM with at most 30% in any stock")
    refused = session.send("drop XOM and rebuild").replies[-1]
    assert _calls(session)[-1]["max_weight"] == 0.3  # the cap is kept...
    assert "max_weight 0.3 is infeasible for 3 assets" in refused  # ...and why it fails is said
    pd.testing.assert_index_equal(pd.Index(_calls(session)[-1]["universe"]), pd.Index(FOUR[:3]))
