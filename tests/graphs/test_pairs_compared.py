"""The correlations of three names or more are said with their mean, lowest and highest pair;
which of the pairs the conversation measured is the more (or the less) correlated ("and KO vs
PEP?", then "which pair is more correlated?") is answered from the correlations given, nothing
computed, each pair's value checked against pandas' correlation of the embedded closes' daily
returns; the windows' difference is said when they differ. Other stocks set against the index
("what about AAPL vs the market?") after a correlation are that stock's correlation with the
index over the same window (it was a read of the market over the default window)."""

from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
NAMES = ("AAPL", "MSFT", "KO", "PEP", "XOM", "CVX", "JPM", "JNJ")
MORE = ("which pair is more correlated?", "so which pair moves together more?",
        "which of the two pairs is the more correlated?")  # fmt: skip
LESS = ("which pair is less correlated?", "and which is less correlated?")
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _returns(year: int, frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Daily returns over `year`, the first from the close before it."""
    closes = frame.loc[: f"{year}-12-31"]
    start = closes.loc[: f"{year - 1}-12-31"].index[-1]
    return closes.loc[start:].pct_change().iloc[1:]


def _correlation(year: int, a: str, b: str) -> float:
    returns = _returns(year, PRICES[[a, b]])
    return float(returns[a].corr(returns[b]))


def _turn(session: ChatSession, text: str) -> tuple[str, list[dict[str, Any]]]:
    reply, calls, _ = turn_calls(session, text)
    return reply, calls


def _said(reply: str) -> dict[frozenset[str], float]:
    """Each pair's correlation as the reply lists it."""
    return {
        frozenset((a, b)): float(value)
        for a, b, value in re.findall(r"\b([A-Z]+) and ([A-Z]+) (-?\d\.\d+)", reply)
    }


@SLOW
@given(
    names=st.permutations(NAMES).map(lambda n: n[:4]),
    year=st.integers(2008, 2022),
    ask=st.sampled_from([(m, True) for m in MORE] + [(m, False) for m in LESS]),
)
def test_two_pairs_asked_one_after_the_other_are_set_side_by_side(
    offline_data_dir: Path, names: tuple[str, ...], year: int, ask: tuple[str, bool]
) -> None:
    session = ChatSession(f"pairs-{uuid.uuid4().hex}", settings=Settings())
    a, b, c, d = names
    _turn(session, f"correlation of {a} and {b} in {year}")
    _turn(session, f"and {c} vs {d}?")
    reply, calls = _turn(session, ask[0])
    assert calls == [], reply  # nothing computed: the correlations given
    assert "Nothing new was computed" in reply
    said = _said(reply)
    expected = {
        frozenset((a, b)): _correlation(year, a, b),
        frozenset((c, d)): _correlation(year, c, d),
    }
    assert said.keys() == expected.keys(), reply
    for pair, value in said.items():
        assert abs(value - expected[pair]) <= 0.5 * 10 ** -len(str(value).split(".")[1]) + 1e-4
    first, second = sorted(expected, key=lambda p: -expected[p] if ask[1] else expected[p])
    if said[first] == said[second]:
        assert "tie as the" in reply or "equally correlated" in reply, reply
    else:
        named = " and ".join(sorted(first, key=lambda n: names.index(n)))
        side = "more" if ask[1] else "less"
        assert f"{named} are the {side} correlated pair." in reply, reply


def test_pairs_over_different_windows_are_said_to_differ(offline_data_dir: Path) -> None:
    session = ChatSession(f"pairs-{uuid.uuid4().hex}", settings=Settings())
    _turn(session, "correlation of AAPL and MSFT in 2022")
    _turn(session, "and KO vs PEP in 2021?")
    reply, calls = _turn(session, "which pair is more correlated?")
    assert calls == []
    assert "The windows differ" in reply and "2021-01-04 to 2021-12-31" in reply, reply


@SLOW
@given(names=st.permutations(NAMES).map(lambda n: n[:4]), year=st.integers(2008, 2022))
def test_the_most_correlated_pair_of_a_matrix(
    offline_data_dir: Path, names: tuple[str, ...], year: int
) -> None:
    session = ChatSession(f"pairs-{uuid.uuid4().hex}", settings=Settings())
    matrix, _ = _turn(session, f"correlations of {', '.join(names[:3])} and {names[3]} in {year}")
    expected = {frozenset(p): _correlation(year, *p) for p in itertools.combinations(names, 2)}
    summary = re.search(r"Mean of the 6 pairs (-?\d\.\d+): lowest (\w+) and (\w+) (-?\d\.\d+), "
                        r"highest (\w+) and (\w+) (-?\d\.\d+)\.", matrix)  # fmt: skip
    assert summary is not None, matrix
    assert abs(float(summary[1]) - sum(expected.values()) / 6) <= 0.0051
    for pair, value, pick in (
        (summary.group(2, 3), summary[4], min),
        (summary.group(5, 6), summary[7], max),
    ):
        assert abs(float(value) - pick(expected.values())) <= 0.0051, (pair, value)
        assert abs(expected[frozenset(pair)] - pick(expected.values())) <= 1e-3, (pair, expected)
    reply, calls = _turn(session, "which pair is the most correlated?")
    assert calls == [], reply
    assert _said(reply).keys() == expected.keys(), reply
    top = max(expected, key=lambda p: expected[p])
    if "tie as the" not in reply:
        (verdict,) = re.findall(r"([A-Z]+) and ([A-Z]+) are the most correlated pair", reply)
        assert frozenset(verdict) == top, reply


@SLOW
@given(
    year=st.integers(2008, 2022),
    stock=st.sampled_from(("AAPL", "JPM", "JNJ")),
    ask=st.sampled_from(
        (
            "what about {s} vs the market?",
            "and {s} versus the S&P?",
            "how about {s} compared to the index?",
        )
    ),
)
def test_another_stock_against_the_index_after_a_correlation(
    offline_data_dir: Path, year: int, stock: str, ask: str
) -> None:
    session = ChatSession(f"pairs-{uuid.uuid4().hex}", settings=Settings())
    _turn(session, f"correlation of XOM and CVX in {year}")
    reply, calls = _turn(session, ask.format(s=stock))
    assert [call["args"] for call in calls] == [
        {"universe": [stock], "start": f"{year}-01-01", "end": f"{year}-12-31"}
    ], calls
    said = re.search(
        rf"Correlation of daily returns with the S&P 500 index: {stock} (-?\d\.\d+)", reply
    )
    assert said is not None, reply
    returns = _returns(year, PRICES[stock])
    index = _returns(year, load_sp500_index()).reindex(returns.index)
    assert abs(float(said[1]) - returns.corr(index)) <= 0.0051, reply


def test_one_pair_measured_is_said_to_be_the_only_one(offline_data_dir: Path) -> None:
    session = ChatSession(f"pairs-{uuid.uuid4().hex}", settings=Settings())
    _turn(session, "correlation of AAPL and MSFT in 2022")
    reply, calls = _turn(session, "which pair is more correlated?")
    assert calls == [], reply  # the same pair was computed again
    expected = _correlation(2022, "AAPL", "MSFT")
    said = re.search(
        r"Only one pair's correlation was measured [^:]*: AAPL and MSFT (\d\.\d+)", reply
    )
    assert said is not None and abs(float(said[1]) - expected) <= 0.0051, reply
