"""The names at the ends of a ranking an answer showed ("the top 3 stocks by Sharpe in 2021")
are what "them" means next ("backtest them equally weighted since 2022": those 3; it backtested
all twenty ranked), checked against pandas over the embedded closes; backtested over the
ranking's own window, the reply says the picks are seen with hindsight. The end itself named
("backtest the top 3 equally weighted since 2022") is those names too (it backtested them under
a 10% target-volatility strategy and said "equally weighted" unused). "What was the best stock
in 2020?" is the ranking by total return (it asked what to do)."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _values(year: int, measure: str) -> pd.Series:
    closes = PRICES.loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    daily = closes.pct_change().iloc[1:]
    if measure == "return":
        return closes.iloc[-1] / closes.iloc[0] - 1
    if measure == "volatility":
        return daily.std() * math.sqrt(252)
    return daily.mean() * 252 / (daily.std() * math.sqrt(252))  # Sharpe, risk-free rate 0


@SLOW
@given(
    year=st.integers(2008, 2021), count=st.integers(2, 5),
    measure=st.sampled_from(("return", "volatility", "sharpe")), end=st.sampled_from(("top", "bottom")),
)  # fmt: skip
def test_them_after_the_ends_of_a_ranking_is_the_names_shown(
    offline_data_dir: Path, year: int, count: int, measure: str, end: str
) -> None:
    values = _values(year, measure).sort_values(ascending=end == "bottom")
    if len({f"{v:.4g}" for v in values.iloc[: count + 1]}) < count + 1:
        return  # a tie at the tool's precision decides the last name shown
    session = ChatSession(f"shown-{uuid.uuid4().hex}", settings=Settings())
    shown, _, _ = turn_calls(session, f"show me the {end} {count} stocks by {measure} in {year}")
    reply, calls, _ = turn_calls(session, f"backtest them equally weighted since {year + 1}")
    assert [sorted(c["args"]["universe"]) for c in calls] == [sorted(values.index[:count])], (
        shown,
        calls,
    )
    assert "In-sample" not in reply, reply
    reply, calls, _ = turn_calls(
        session, f"show me the {end} {count} stocks by {measure} in {year}"
    )
    reply, calls, _ = turn_calls(session, "and backtest those")
    assert [sorted(c["args"]["universe"]) for c in calls] == [sorted(values.index[:count])]
    assert re.search(rf"In-sample: .* were picked by the ranking over {year}-", reply), reply


@SLOW
@given(
    year=st.integers(2008, 2021), count=st.integers(2, 5),
    measure=st.sampled_from(("return", "volatility", "sharpe")), end=st.sampled_from(("top", "bottom")),
    counted=st.sampled_from(("{count}", "{word}", "{count} stocks", "{word} names")),
    weighted=st.sampled_from(("equally weighted ", "")),
)  # fmt: skip
def test_the_end_named_after_a_ranking_is_the_names_shown(
    offline_data_dir: Path, year: int, count: int, measure: str, end: str, counted: str,
    weighted: str,
) -> None:  # fmt: skip
    values = _values(year, measure).sort_values(ascending=end == "bottom")
    if len({f"{v:.4g}" for v in values.iloc[: count + 1]}) < count + 1:
        return  # a tie at the tool's precision decides the last name shown
    session = ChatSession(f"shown-{uuid.uuid4().hex}", settings=Settings())
    shown, _, _ = turn_calls(session, f"{end} {count} stocks by {measure} in {year}")
    word = ("two", "three", "four", "five")[count - 2]
    said = counted.format(count=count, word=word)
    reply, calls, _ = turn_calls(session, f"backtest the {end} {said} {weighted}since {year + 1}")
    assert [(c["name"], sorted(c["args"]["universe"])) for c in calls] == [
        ("backtest_weights", sorted(values.index[:count]))
    ], (shown, reply)
    assert calls[0]["args"]["start"] == f"{year + 1}-01-01", calls
    assert "Not used" not in reply and "target-vol" not in reply, reply


@SLOW
@given(year=st.integers(2008, 2022), end=st.sampled_from(("best", "worst")))
def test_the_best_stock_asked_is_the_ranking_by_total_return(
    offline_data_dir: Path, year: int, end: str
) -> None:
    values = _values(year, "return")
    pick = values.idxmax() if end == "best" else values.idxmin()
    session = ChatSession(f"shown-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, f"what was the {end} stock in {year}?")
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    assert f"{end.capitalize()} by total return: {pick} (" in reply, reply
