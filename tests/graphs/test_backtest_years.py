"""A backtest asked with its years ("backtest 60/40 AAPL/KO since 2015 and show the yearly
returns") gives each calendar year's return of the backtest and of the index; before, it gave
the window's totals alone. The years are checked against plain references over the embedded
closes: a buy-and-hold holding's value, and a portfolio traded back to its weights every day."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import load_sp500_index, load_sp500_prices
from tests.support.chat_answers import answer_in_new_thread, answers_in_one_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
ASKS = (
    "backtest {w} {how} from {a} to {b} and show the yearly returns",
    "backtest {w} {how} between {a} and {b}, returns by year",
    "backtest {w} {how} from {a} through {b}: what were its annual returns?",
)
CADENCES = {"never": "bought and held", "daily": "rebalanced daily"}
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _years(text: str) -> dict[int, float]:
    found = re.findall(r"((?:19|20)\d\d) (-?\d+\.\d)%", text)
    return {int(year): float(value) for year, value in found}


def _yearly(wealth: pd.Series) -> dict[int, float]:
    """Each year's return of a value path: its last value of the year over the year before's
    last (the first year's from the window's starting value)."""
    ends = wealth.groupby(wealth.index.year).last()
    return {int(y): 100 * (ends[y] / ends.get(y - 1, wealth.iloc[0]) - 1) for y in ends.index[1:]}


@SETTINGS
@given(
    ask=st.sampled_from(ASKS),
    pair=st.sampled_from([("AAPL", "KO"), ("XOM", "JNJ"), ("JPM", "PG")]),
    share=st.sampled_from([20, 50, 60, 75]),
    cadence=st.sampled_from(sorted(CADENCES)),
    first=st.integers(2001, 2018),
    span=st.integers(1, 3),
)
def test_a_backtest_s_years_are_the_reference_s(
    offline_data_dir: Path,
    ask: str,
    pair: tuple[str, str],
    share: int,
    cadence: str,
    first: int,
    span: int,
) -> None:
    a, b = pair
    weights = {a: share / 100, b: 1 - share / 100}
    held = f"{share}% {a} {100 - share}% {b}"
    text = ask.format(w=held, how=CADENCES[cadence], a=first, b=first + span)
    reply = answer_in_new_thread(text)
    said = re.search(r"The backtest's returns by calendar year (.+?)\. The index", reply)
    assert said is not None, (text, reply)
    closes = PRICES[[a, b]].loc[: f"{first + span}-12-31"]
    base = closes.loc[: f"{first - 1}-12-31"].index[-1]
    window = closes.loc[base:]
    if cadence == "never":  # each holding's value from the base close
        wealth = (window / window.iloc[0] * pd.Series(weights)).sum(axis=1)
    else:  # traded back to the weights at every close
        daily = window.pct_change().iloc[1:]
        wealth = (1 + (daily * pd.Series(weights)).sum(axis=1)).cumprod()
        wealth = pd.concat([pd.Series([1.0], index=[base]), wealth])
    expected = _yearly(wealth)
    got = _years(said.group(1))
    assert got.keys() == expected.keys(), (text, reply)
    for year, value in expected.items():
        assert abs(got[year] - value) <= 0.06, (text, year, value, reply)
    index = re.search(r"The index's returns by calendar year (.+?)(?:\.\s|\.$)", reply)
    assert index is not None, reply
    market = INDEX.loc[base : f"{first + span}-12-31"]
    for year, value in _yearly(market).items():
        assert abs(_years(index.group(1))[year] - value) <= 0.06, (text, year, reply)


def test_a_backtest_asked_without_years_gives_none(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("backtest 60/40 AAPL/KO rebalanced every year since 2015")
    assert "rebalanced annually" in reply and "by calendar year" not in reply, reply


@SETTINGS
@given(
    cadence=st.sampled_from(["quarterly", "annually", "weekly"]),
    follow=st.sampled_from(["show the yearly returns", "returns by year?", "and each year?"]),
)
def test_the_years_asked_after_a_backtest_are_the_backtest_s(
    offline_data_dir: Path, cadence: str, follow: str
) -> None:
    """'Show the yearly returns' after a backtest is that backtest's years (its cadence and
    window), the same as asked with the backtest, not the weights rebalanced daily."""
    ask = f"backtest 60/40 AAPL/KO since 2015 rebalanced {cadence}"
    _, later = answers_in_one_thread(ask, follow)
    [direct] = answers_in_one_thread(f"{ask} and show the yearly returns")
    assert f"rebalanced {cadence}" in later and "The backtest's returns by calendar year" in later
    assert _years(later.split("The index's")[0]) == _years(direct.split("The index's")[0])
