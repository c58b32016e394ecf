"""Sectors set side by side (issue 63): "compare vol of tech vs staples" asked what to do and
computed nothing ("vs" joined no sectors), and "cvar of tech vs staples" reported one portfolio of
both. The offline model now measures each group at equal weights in a call of its own (its
statistics, or its risk report), answers each with its stocks, and sets the groups' values side
by side; groups only listed ("vol of tech and staples") are answered stock by stock as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import ToolMessage

from agents.offline.chat_intent import known_tickers
from agents.offline.formats import percent
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.targets import sector_tickers
from graphs.chat import ChatSession
from quant.data import load_sp500_prices
from settings import Settings

KNOWN = known_tickers()
SECTORS = ("tech", "staples", "energy", "banks", "health care", "pharma", "financials")
JOINERS = (" vs ", " vs. ", " versus ", " compared to ", " compared with ", " against ")
FORMS = (
    ("vol of {a}{j}{b}", "volatility"),
    ("compare the return of {a}{j}{b}", "return"),
    ("sharpe of the {a}{j}the {b}", "sharpe_ratio"),
    ("volatility of {a} stocks{j}{b} stocks since 2019?", "volatility"),
    ("were {a} stocks more volatile{j}{b} stocks?", "volatility"),
    ("max drawdown of {a}{j}{b}", "drawdown_dates"),
    ("which was more volatile, {a} or {b}?", "volatility"),
    ("{a} vs {b}: which returned more since 2015?", "return"),
)


def _members(sector: str) -> tuple[str, ...]:
    return tuple(t for t in sector_tickers([sector]) if t in KNOWN)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(SECTORS), min_size=2, max_size=2, unique=True),
    st.sampled_from(JOINERS),
    st.sampled_from(FORMS),
)
def test_sectors_set_side_by_side_are_groups_each_with_its_stocks(
    pair: list[str], joiner: str, form: tuple[str, str]
) -> None:
    text, measure = form[0].format(a=pair[0], j=joiner, b=pair[1]), form[1]
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert ask is not None and ask.kind == "statistics", text
    assert ask.groups == tuple((s, _members(s)) for s in pair), text
    assert measure in ask.measures, text


@pytest.mark.parametrize(
    "text",
    [
        "vol of tech and staples",  # listed, not compared: stock by stock
        "vol of 50% KO 50% PEP versus AAPL",
        "vol of AAPL vs MSFT",
    ],
)
def test_no_groups_where_none_are_compared(text: str) -> None:
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert ask is not None and ask.groups == ()


@pytest.mark.parametrize(
    "text", ["correlation of tech vs staples", "how correlated are tech stocks with staples?"]
)
def test_a_correlation_of_two_groups_keeps_both_for_the_pairs_across(text: str) -> None:
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert ask is not None and "correlation" in ask.measures, text
    assert ask.groups == tuple((s, _members(s)) for s in ("tech", "staples")), text


def test_a_build_on_two_sectors_keeps_both() -> None:
    intent = parse_intent("min vol portfolio of tech and health care", KNOWN)
    assert intent.sectors == ("tech", "health care")
    assert set(intent.tickers) == set(_members("tech") + _members("health care"))


def _group_vol(members: tuple[str, ...], start: str, end: str) -> float:
    """A plain reference: the daily returns of constant equal weights, annualised."""
    closes = load_sp500_prices()[list(members)]
    window = closes.loc[:end]
    returns = window.pct_change().loc[start:end]
    return float(returns.mean(axis=1).std(ddof=1) * np.sqrt(252))


def test_the_assistant_answers_each_group_and_sets_them_side_by_side(
    offline_data_dir: Path,
) -> None:
    session = ChatSession("groups", settings=Settings())
    reply = session.send("compare vol of tech vs staples since 2019").replies[-1]
    calls = [c["args"] for m in session.history() for c in getattr(m, "tool_calls", [])
             if c["name"] == "asset_statistics"]  # fmt: skip
    assert [sorted(c["weights"]) for c in calls] == [
        sorted(_members("tech")),
        sorted(_members("staples")),
    ]
    assert all(sum(c["weights"].values()) == pytest.approx(1.0) for c in calls)
    vols = {}
    for name, subject in (("tech", "the tech names"), ("staples", "the staples")):
        vol = _group_vol(_members(name), "2019-01-01", "2022-12-31")
        vols[name] = f"{vol:.1%}"
        assert re.search(rf"{subject} at equal weights \([^)]*\) had volatility {vols[name]} a "
                         "year", reply), reply  # fmt: skip
    assert f"volatility a year: tech {vols['tech']}, staples {vols['staples']}." in reply
    assert "Not used" not in reply and "2019-01-02 to 2022-12-28" in reply


def test_the_risk_manager_reports_each_group_and_sets_them_side_by_side(
    offline_data_dir: Path,
) -> None:
    session = ChatSession("group-risk", settings=Settings())
    reply = session.send("what is the 95% cvar of energy compared to the banks?").replies[-1]
    calls = [c for m in session.history() for c in getattr(m, "tool_calls", [])]
    assert [c["name"] for c in calls] == ["portfolio_risk_report"] * 2
    assert [sorted(c["args"]["weights"]) for c in calls] == [
        sorted(_members("energy")),
        sorted(_members("banks")),
    ]
    results = [json.loads(m.content) for m in session.history() if isinstance(m, ToolMessage)]
    shown = [percent(r["cvar_historical"], 2) for r in results]
    assert f"CVaR energy {shown[0]}, banks {shown[1]}." in reply
    assert reply.index("The energy names at equal weights (CVX, RRC, XOM)") < reply.index(
        "The banks at equal weights (BAC, JPM)"
    )
    assert "Not used" not in reply
