"""Why a drawdown was so deep ("what's the max drawdown of AAPL, MSFT and KO equally weighted in
2020?", then "why so big?"): the reply says when the fall ran, from the portfolio's peak to its
trough, and each holding's and the index's return over it, measured, and that prices do not say
why (before: "No strategy search has finished in this conversation ..."). Checked against
pandas over the embedded closes: equal weights held daily return the mean of the stocks' daily
returns."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _fall(names: list[str], year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The peak and the trough of the deepest fall of `names` at equal weights held daily."""
    closes = PRICES[names].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    wealth = (1 + closes.pct_change().iloc[1:].mean(axis=1)).cumprod()
    wealth = pd.concat([pd.Series([1.0], index=[closes.index[0]]), wealth])
    trough = (wealth / wealth.cummax()).idxmin()
    return wealth.loc[:trough].idxmax(), trough


def _said(reply: str, name: str) -> float:
    said = re.search(rf"\b{re.escape(name)} (-?[\d.]+)%", reply)
    assert said is not None, (name, reply)
    return float(said[1]) / 100


@SLOW
@given(
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    year=st.integers(2008, 2022),
    asked=st.sampled_from(("why so big?", "why was the drawdown so deep?", "how come it fell so much?")),
)  # fmt: skip
def test_a_report_s_drawdown_is_taken_apart_over_its_fall(
    offline_data_dir: Path, names: list[str], year: int, asked: str
) -> None:
    peak, trough = _fall(names, year)
    assume(peak < trough)
    session = ChatSession(f"why-fall-{uuid.uuid4().hex}", settings=Settings())
    listed_names = ", ".join(names[:-1]) + f" and {names[-1]}"
    turn_calls(session, f"what's the max drawdown of {listed_names} equally weighted in {year}?")
    reply, calls, _ = turn_calls(session, asked)
    assert [c["name"] for c in calls] == ["asset_statistics", "asset_statistics"], reply
    over = calls[1]["args"]
    assert over["end"] == trough.date().isoformat(), (over, trough)
    assert (
        f"peak on {peak.date().isoformat()} to its trough on {trough.date().isoformat()}" in reply
    )
    for name in names:
        expected = PRICES[name].loc[trough] / PRICES[name].loc[peak] - 1
        assert abs(_said(reply, name) - expected) < 0.0006, (name, reply, expected)
    assert "not why" in reply and "No strategy search" not in reply, reply


def test_a_backtest_s_drawdown_is_taken_apart_from_its_own_dates(offline_data_dir: Path) -> None:
    """After a backtest the dates are its own: one call, over the fall."""
    session = ChatSession(f"why-fall-{uuid.uuid4().hex}", settings=Settings())
    first, _, _ = turn_calls(session, "backtest AAPL MSFT KO equal weight since 2020")
    dates = re.search(r"from its peak on (\S+) to its trough on (\S+?),", first)
    assert dates is not None, first
    reply, calls, _ = turn_calls(session, "why was the drawdown so deep?")
    assert len(calls) == 1 and calls[0]["args"]["end"] == dates[2], (calls, dates)
    assert f"peak on {dates[1]} to its trough on {dates[2]}" in reply, reply
    peak, trough = pd.Timestamp(dates[1]), pd.Timestamp(dates[2])
    for name in ("AAPL", "MSFT", "KO"):
        expected = PRICES[name].loc[trough] / PRICES[name].loc[peak] - 1
        assert abs(_said(reply, name) - expected) < 0.0006, (name, reply)
