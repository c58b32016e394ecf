"""Names referred back to across answers: the stocks two answers picked one each ("which stock
had the highest return in 2021?", "and the lowest?", then "backtest the two since 2022"), and the
top or bottom of a whole ranking shown ("rank the stocks by return in 2021", then "backtest the
top 3 since 2022"; a ranking said after it, "the top 3 by Sharpe in 2019", is ranked afresh).
Before, the pair was every stock of the data (backtested as a target-vol
strategy), and "the top 3" was ranked again over the default window (2018-2022: other names).
Checked against pandas."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import closes_from, turn_calls

MEASURES = {"return": "return", "volatility": "volatility"}


def _measured(measure: str, year: int) -> pd.Series:
    closes = closes_from(year, f"{year}-12-31")
    daily = closes.pct_change().iloc[1:]
    if measure == "return":
        return closes.iloc[-1] / closes.iloc[0] - 1
    if measure == "sharpe":
        return daily.mean() / daily.std(ddof=1) * np.sqrt(252)
    return daily.std(ddof=1) * np.sqrt(252)


def _backtested(session: ChatSession, text: str) -> list[str]:
    reply, calls, _ = turn_calls(session, text)
    universes = [c["args"].get("universe") for c in calls if c["name"] == "backtest_weights"]
    assert len(universes) == 1 and universes[0], (reply, calls)
    assert "target-vol" not in reply, reply
    return sorted(universes[0])


@settings(max_examples=6, deadline=None)
@given(
    measure=st.sampled_from(sorted(MEASURES)),
    year=st.integers(2012, 2022),
    later=st.integers(2012, 2021),
    words=st.sampled_from(["backtest the two since {y}", "backtest both since {y}"]),
)
def test_the_names_two_answers_picked_are_the_pair_referred_to(
    measure: str, year: int, later: int, words: str
) -> None:
    session = ChatSession(f"pair-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"which stock had the highest {measure} in {year}?")
    turn_calls(session, "and the lowest?")
    values = _measured(measure, year)
    expected = sorted({values.idxmax(), values.idxmin()})
    assert _backtested(session, words.format(y=later)) == expected, values.sort_values()


@settings(max_examples=6, deadline=None)
@given(
    year=st.integers(2012, 2022),
    later=st.integers(2012, 2021),
    end=st.sampled_from(["top", "bottom"]),
    count=st.integers(2, 5),
)
def test_an_end_of_a_whole_ranking_shown_is_its_names(
    year: int, later: int, end: str, count: int
) -> None:
    session = ChatSession(f"ranked-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"rank the stocks by return in {year}")
    ordered = _measured("return", year).sort_values(ascending=end == "bottom")
    asked = f"backtest the {end} {count} equally weighted since {later}"
    assert _backtested(session, asked) == sorted(ordered.index[:count]), ordered


@settings(max_examples=6, deadline=None)
@given(shown=st.integers(2012, 2022), year=st.integers(2012, 2021), later=st.integers(2012, 2021))
def test_a_ranking_said_after_the_top_n_is_ranked_afresh(shown: int, year: int, later: int) -> None:
    session = ChatSession(f"ranked-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"rank the stocks by return in {shown}")
    ordered = _measured("sharpe", year).sort_values(ascending=False)
    asked = f"backtest the top 3 stocks by sharpe in {year} equally weighted since {later}"
    assert _backtested(session, asked) == sorted(ordered.index[:3]), ordered
