"""One end of risk asked in words ("which name was the calmest one in 2019?", "the riskiest
stock", "the 3 calmest stocks") ranks every stock on volatility and maximum drawdown and leads
with the safest or the riskiest on each (it asked what to do); "the 4 laggards of 2022" is the 4
lowest total returns, and "those" after it are those 4 (it asked what to do); "its beta" after
a calmest that differs by measure is of both names; "and its max drawdown?" after a stock's
beta is that stock's over the same window (it asked which portfolio). Checked against pandas
over the embedded closes."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from prompts.canonical import TOOL_SIGNIFICANT_DIGITS
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CALM = ("calmest", "steadiest", "safest", "least risky")
RISKY = ("riskiest", "choppiest", "most risky")


def _closes(year: int) -> pd.DataFrame:
    """The year's closes from the close before its first session."""
    return PRICES.loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]


def _risks(year: int) -> tuple[pd.Series, pd.Series]:
    """Each stock's annualised volatility and maximum drawdown (a positive fraction)."""
    closes = _closes(year)
    volatility = closes.pct_change().iloc[1:].std() * math.sqrt(252)
    drawdown = -(closes / closes.cummax() - 1).min()
    return volatility, drawdown


def _unique_ends(values: pd.Series, count: int) -> bool:
    """Whether the `count` lowest and highest of `values` differ from their neighbours at the
    digits a tool's result holds (no tie decides who is shown)."""
    held = values.sort_values().map(lambda v: f"{v:.{TOOL_SIGNIFICANT_DIGITS}g}")
    ends = [*held.iloc[: count + 1], *held.iloc[-count - 1 :]]
    return len(set(ends)) == len(ends)


@SLOW
@given(year=st.integers(2008, 2022), word=st.sampled_from(CALM + RISKY))
def test_the_calmest_or_riskiest_one_names_each_measure_s_end(
    offline_data_dir: Path, year: int, word: str
) -> None:
    volatility, drawdown = _risks(year)
    if not (_unique_ends(volatility, 1) and _unique_ends(drawdown, 1)):
        return
    calm = word in CALM
    by_vol = volatility.idxmin() if calm else volatility.idxmax()
    by_depth = drawdown.idxmin() if calm else drawdown.idxmax()
    session = ChatSession(f"calm-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, f"which name was the {word} one in {year}?")
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    assert len(calls[0]["args"]["universe"]) == len(PRICES.columns)
    most = "safest" if calm else "riskiest"
    if by_vol == by_depth:
        assert f"{by_vol} was the {most} on both measures." in reply, reply
    else:
        vol_end, depth_end = ("lowest", "shallowest") if calm else ("highest", "deepest")
        assert (
            f"None was the {most} on both measures: {by_vol} had the {vol_end} volatility, "
            f"{by_depth} the {depth_end} maximum drawdown."
        ) in reply, reply
    assert ("lowest first" if calm else "highest first") in reply, reply
    reply, calls, _ = turn_calls(session, "what was its beta?")
    assert [sorted(c["args"]["universe"]) for c in calls] == [sorted({by_vol, by_depth})], reply
    assert all(c["args"].get("end") == f"{year}-12-31" for c in calls), calls


@SLOW
@given(
    year=st.integers(2008, 2022), count=st.integers(2, 5),
    said=st.sampled_from(("gimme the {n} laggards of {y}", "the {n} calmest stocks of {y}",
                          "show me the {n} riskiest names in {y}")),
)  # fmt: skip
def test_a_count_at_one_end_said_in_words_is_that_end_and_those_are_them(
    offline_data_dir: Path, year: int, count: int, said: str
) -> None:
    closes = _closes(year)
    volatility, _ = _risks(year)
    values = closes.iloc[-1] / closes.iloc[0] - 1 if "laggards" in said else volatility
    if not _unique_ends(values, count):
        return
    ends = values.sort_values(ascending="riskiest" not in said).index[:count]
    session = ChatSession(f"ends-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, said.format(n=count, y=year))
    assert [c["args"].get("end") for c in calls] == [f"{year}-12-31"], (reply, calls)
    first = "lowest" if "riskiest" not in said else "highest"
    shown = re.search(rf"the {count} {first} of \d+, {first} first: ([^;]+?)(?:\.\s|\.$|;)", reply)
    assert shown is not None, reply
    assert re.findall(r"([A-Z]{2,5}) -?\d", shown[1]) == list(ends), reply
    reply, calls, _ = turn_calls(session, "backtest those equally weighted")
    universes = [sorted(c["args"].get("universe") or c["args"].get("weights")) for c in calls]
    if "laggards" in said:
        assert universes == [sorted(ends)], (reply, calls)
    else:  # the ends of volatility and of drawdown, each name once
        assert set(ends) <= set(universes[0]), (reply, calls)
        assert len(universes[0]) == len(set(universes[0])), calls


@SLOW
@given(ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2008, 2022))
def test_its_drawdown_after_a_stock_s_beta_is_that_stock_s_over_the_same_year(
    offline_data_dir: Path, ticker: str, year: int
) -> None:
    _, drawdown = _risks(year)
    session = ChatSession(f"its-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"what's the beta of {ticker} in {year}?")
    for message in ("and its max drawdown?", "what about its VaR?"):
        reply, calls, _ = turn_calls(session, message)
        assert [c["name"] for c in calls] == ["portfolio_risk_report"], reply
        args = calls[0]["args"]
        assert args["weights"] == {ticker: 1.0}, calls
        assert (args["start"], args["end"]) == (f"{year}-01-01", f"{year}-12-31"), calls
        said = re.search(r"maximum drawdown was (\d+\.\d)%", reply)
        assert said is not None, reply
        # the tool's 4 significant digits (0.005 points), then the display's 1 decimal
        assert abs(float(said[1]) - 100 * drawdown[ticker]) <= 0.0551, (reply, drawdown[ticker])
        assert "Not used" not in reply, reply
