"""Whether a figure just given is usual ("is that higher than usual?", "is that normal?", "is that
high for it?") after a pair's correlation or a stock's volatility, Sharpe ratio, beta or return
(its CAGR): the figure set
beside the same measure over all the market data and over every one-year window of it (mean,
lowest, highest), with the verdict by that definition (before: "What would you like me to do:
..."). Every number is checked against pandas over the embedded prices."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.offline.thread_usual import WHY_LEAD
from quant import load_sp500_prices
from quant.data import sp500_index_returns
from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread

RETURNS = load_sp500_prices().pct_change().iloc[1:]
INDEX = sp500_index_returns()
ASKED = ("is that higher than usual?", "is that normal?", "is that unusual?", "is that usual?",
         "is that high for them?", "how does that compare to its history?",
         "is that lower than normal?", "hmm is that unusually high?",
         "is that elevated vs its history?")  # fmt: skip
FIGURE = r"(-?\d+\.\d+%?)"
LINE = re.compile(
    rf"(.+?)'s? (?:correlation of daily returns|annualised volatility|Sharpe ratio \(risk-free "
    rf"rate 0%\)|beta to (?:the S&P 500 index|[A-Z]+)|CAGR \(compounded growth a year\)) was "
    rf"{FIGURE} from (\S+) "
    rf"to (\S+)\. Over all the market data \((\S+) to (\S+)\) it is {FIGURE}; over every one-year "
    rf"window of it \(252 sessions, ([\d,]+) windows\) its mean is {FIGURE}, from {FIGURE} \(the "
    rf"year to (\S+)\) to {FIGURE} \(the year to (\S+)\)\. So \S+ is (higher than usual|lower than "
    r"usual|about usual):"
)


def _value(text: str) -> float:
    return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)


def _verdict(value: float, whole: float, mean: float) -> str:
    if value > whole and value > mean:
        return "higher than usual"
    if value < whole and value < mean:
        return "lower than usual"
    return "about usual"


def _check(line: re.Match[str], measure: str, series: tuple[pd.Series, ...]) -> None:
    """The figures of one line against pandas: the window's, the whole history's, the rolling
    one-year windows' mean, lowest and highest (with the sessions they end on)."""
    start, end = line[3], line[4]
    if measure == "correlation":
        a, b = series
        value = a.loc[start:end].corr(b.loc[start:end])
        whole = a.corr(b)
        rolled = a.rolling(252).corr(b).dropna()
        tolerance = 0.006
    elif measure == "sharpe_ratio":
        (a,) = series
        window = a.loc[start:end]
        value = window.mean() / window.std(ddof=1) * np.sqrt(252)
        whole = a.mean() / a.std(ddof=1) * np.sqrt(252)
        rolled = (a.rolling(252).mean() / a.rolling(252).std(ddof=1) * np.sqrt(252)).dropna()
        tolerance = 0.006
    elif measure == "beta":
        a, against = series
        both = pd.concat([a, against], axis=1, join="inner").dropna()
        a, against = both.iloc[:, 0], both.iloc[:, 1]
        value = a.loc[start:end].cov(against.loc[start:end]) / against.loc[start:end].var()
        whole = a.cov(against) / against.var()
        rolled = (a.rolling(252).cov(against) / against.rolling(252).var()).dropna()
        tolerance = 0.006
    elif measure == "cagr":
        (a,) = series
        window = a.loc[start:end]
        value = (1 + window).prod() ** (252 / len(window)) - 1
        whole = (1 + a).prod() ** (252 / len(a)) - 1
        rolled = ((1 + a).rolling(252).apply(np.prod, raw=True) - 1).dropna()
        tolerance = 6e-4
    else:
        (a,) = series
        value = a.loc[start:end].std(ddof=1) * np.sqrt(252)
        whole = a.std(ddof=1) * np.sqrt(252)
        rolled = (a.rolling(252).std(ddof=1) * np.sqrt(252)).dropna()
        tolerance = 6e-4
    said = [_value(line[i]) for i in (2, 7, 9, 10, 12)]
    for got, expected in zip(said, (value, whole, rolled.mean(), rolled.min(), rolled.max()),
                             strict=True):  # fmt: skip
        assert abs(got - expected) < tolerance, (got, expected, line[0])
    assert int(line[8].replace(",", "")) == len(rolled)
    assert line[11] == str(rolled.idxmin().date()) and line[13] == str(rolled.idxmax().date())
    if min(abs(value - whole), abs(value - rolled.mean())) > tolerance:
        assert line[14] == _verdict(value, whole, rolled.mean()), line[0]


@settings(max_examples=6, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    since=st.integers(min_value=2000, max_value=2021),
    asked=st.sampled_from(ASKED),
    said=st.sampled_from(("what's the correlation between {a} and {b} since {y}?",
                          "whats the corr of {a} and {b} since {y}")),
)  # fmt: skip
@example(pair=["XOM", "CVX"], since=2018, asked="is that higher than usual?",
         said="what's the correlation between {a} and {b} since {y}?")  # fmt: skip
def test_a_pair_s_correlation_is_set_beside_its_history(
    pair: list[str], since: int, asked: str, said: str
) -> None:
    """ "corr" is a correlation too (it was a read of the market)."""
    a, b = pair
    first, reply = answers_in_one_thread(said.format(a=a, b=b, y=since), asked)
    assert "Correlation of daily returns" in first, first
    line = LINE.match(reply)
    assert line is not None, reply
    assert line[1] == f"{a} and {b}", reply
    assert line[5] == str(RETURNS.index[0].date()) and line[6] == str(RETURNS.index[-1].date())
    _check(line, "correlation", (RETURNS[a], RETURNS[b]))


@settings(max_examples=6, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2022),
    ask=st.sampled_from(("what was {s}'s volatility in {y}?", "how volatile was {s} in {y}?")),
    asked=st.sampled_from(ASKED),
)
def test_a_stock_s_volatility_is_set_beside_its_history(
    stock: str, year: int, ask: str, asked: str
) -> None:
    _, reply = answers_in_one_thread(ask.format(s=stock, y=year), asked)
    line = LINE.match(reply)
    assert line is not None, reply
    assert line[1] == stock and line[3].startswith(f"{year}-01-0"), reply
    _check(line, "volatility", (RETURNS[stock],))


@settings(max_examples=4, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2022),
    why=st.sampled_from(
        ("why so low?", "why so high?", "and why is it so volatile?", "how come it was that calm")
    ),
)
def test_why_a_volatility_is_so_low_is_said_unknowable_then_set_beside_its_history(
    stock: str, year: int, why: str
) -> None:
    """Prices hold no reasons: the reply says so, then sets the figure beside its history
    (before: that no strategy search had finished, and what else to ask)."""
    _, reply = answers_in_one_thread(f"how volatile was {stock} in {year}?", why)
    assert reply.startswith(WHY_LEAD + " "), reply
    line = LINE.match(reply.removeprefix(WHY_LEAD + " "))
    assert line is not None and line[1] == stock, reply
    _check(line, "volatility", (RETURNS[stock],))


@settings(max_examples=4, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    since=st.integers(min_value=2000, max_value=2021),
    asked=st.sampled_from(ASKED),
)
def test_a_stock_s_sharpe_ratio_is_set_beside_its_history(
    stock: str, since: int, asked: str
) -> None:
    _, reply = answers_in_one_thread(f"what's {stock}'s sharpe ratio since {since}?", asked)
    line = LINE.match(reply)
    assert line is not None, reply
    assert line[1] == stock and line[3].startswith(f"{since}-01-0"), reply
    _check(line, "sharpe_ratio", (RETURNS[stock],))


@settings(max_examples=5, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2022),
    against=st.sampled_from((None, "XOM", "KO")),
    asked=st.sampled_from(ASKED),
)
def test_a_stock_s_beta_is_set_beside_its_history_to_what_it_was_measured_to(
    stock: str, year: int, against: str | None, asked: str
) -> None:
    """A beta to the index, or to the stock it was asked against ("beta to XOM"), beside the
    same beta over the history and its one-year windows (before: "What would you like me to
    do")."""
    if against == stock:
        against = None
    to = f" to {against}" if against else ""
    first, reply = answers_in_one_thread(f"what was {stock}'s beta{to} in {year}?", asked)
    line = LINE.match(reply)
    assert line is not None, (first, reply)
    assert f"beta to {against or 'the S&P 500 index'} was" in reply, reply
    assert line[1] == stock and line[3].startswith(f"{year}-01-0"), reply
    _check(line, "beta", (RETURNS[stock], RETURNS[against] if against else INDEX))


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    year=st.integers(min_value=2000, max_value=2022),
    ask=st.sampled_from(("how did {s} do in {y}?", "what was the return of {s} in {y}?",
                         "{s} return {y}")),
    asked=st.sampled_from((*ASKED, "were those unusually low?")),
)  # fmt: skip
def test_a_stock_s_return_is_set_beside_its_history_as_a_cagr(
    stocks: list[str], year: int, ask: str, asked: str
) -> None:
    """A return over a window is set beside the history by its CAGR (compounded growth a year;
    over a one-year window, that window's return), each stock's line in turn."""
    first, reply = answers_in_one_thread(ask.format(s=" and ".join(stocks), y=year), asked)
    lines = [LINE.match(part) for part in re.split(r"(?<=usual\b:)[^.]*\.\s*", reply) if part]
    assert [line[1] for line in lines if line] == stocks, (first, reply)
    for stock, line in zip(stocks, lines, strict=False):
        assert line is not None and line[3].startswith(f"{year}-01-0"), reply
        _check(line, "cagr", (RETURNS[stock],))


def test_a_figure_of_another_subject_is_not_read_as_the_one_just_given() -> None:
    *_, reply = answers_in_one_thread(
        "what's the correlation between XOM and CVX?", "is that higher than KO's?"
    )
    assert "one-year window" not in reply


def test_more_stocks_than_the_tool_rolls_pairs_of_are_refused_with_its_reason() -> None:
    names = "AAPL, MSFT, KO, PEP, XOM, CVX and JPM"
    *_, reply = answers_in_one_thread(f"correlation of {names} since 2020", "is that unusual?")
    assert reply.startswith(
        "I cannot set these beside their one-year windows: the rolling correlation of each pair "
        "is given for at most 6 stocks, not 7."
    ), reply
