"""A comparison asked again against something else keeps the subject and the window asked before:
"and versus the S&P?" after "how did it do in 2022?" sets the built portfolio against the S&P 500
index over 2022, and "and versus KO?" after "how did LLY do versus the S&P 500 since 2019?" sets
LLY against KO since 2019 (before: a read of the market over the default window, with "Not used:
the window"). The total returns are checked against the embedded prices."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.offline.intent.measures import ORDERED_BY
from agents.offline.statistic_words import RANKED_BY
from agents.offline.thread_versus import versus_again
from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread

PRICES = load_sp500_prices()
OPENINGS = ("and versus {t}?", "vs {t}", "and against {t}?", "ok, and compared to {t}?",
            "what about versus {t}?", "and relative to {t}", "Versus {t}?")  # fmt: skip
INDEX_SAID = ("the S&P", "the S&P 500", "the market", "SPX")


def _total_return(stock: str, window: str) -> float:
    """`stock`'s total return over `window` ("2021" or "since 2019"), from the close before."""
    year = int(window.split()[-1])
    before = PRICES.loc[: f"{year - 1}-12-31", stock].iloc[-1]
    prices = PRICES.loc[f"{year}" if window.isdigit() else f"{year}-01-01" :, stock]
    return float(prices.iloc[-1] / before - 1.0)


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    year=st.integers(min_value=2008, max_value=2021),
    opening=st.sampled_from(OPENINGS),
)
@example(stocks=["KO", "PEP"], year=2019, opening="and versus {t}?")
def test_a_stock_set_against_the_index_is_set_against_another_stock_over_the_same_window(
    stocks: list[str], year: int, opening: str
) -> None:
    a, b = stocks
    first, reply = answers_in_one_thread(
        f"how did {a} do versus the S&P 500 since {year}?", opening.format(t=b)
    )
    assert first.startswith(f"Statistics from {year}-01-0"), first
    assert reply.startswith(first.split(":", 1)[0]), (first, reply)  # the same window
    assert "Not used" not in reply and "market is in a" not in reply, reply
    returns = {name: _total_return(name, f"since {year}") for name in stocks}
    said = re.search(
        rf"\b{a} had a (higher|lower) total return than {b}: (-?[\d,]+\.\d)% against "
        r"(-?[\d,]+\.\d)%",
        reply,
    )
    assert said is not None, reply
    for name, value in zip(stocks, said.groups()[1:], strict=True):
        said_value = float(value.replace(",", "")) / 100  # four significant digits at least
        assert abs(said_value - returns[name]) < max(6e-4, 2e-4 * abs(returns[name])), reply
    if abs(returns[a] - returns[b]) > 2e-3:
        assert said[1] == ("higher" if returns[a] > returns[b] else "lower"), reply


@settings(max_examples=8, deadline=None)
@given(
    methods=st.sampled_from(("min vol", "HRP", "risk parity")),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    year=st.integers(min_value=2019, max_value=2022),
    opening=st.sampled_from(OPENINGS),
    index=st.sampled_from(INDEX_SAID),
)
@example(methods="min vol", stocks=["KO", "PEP", "PG", "JNJ"], year=2022,
         opening="and versus {t}?", index="the S&P")  # fmt: skip
def test_a_portfolio_s_year_is_set_against_the_index_when_asked_after_it(
    methods: str, stocks: list[str], year: int, opening: str, index: str
) -> None:
    _, year_read, reply = answers_in_one_thread(
        f"build a {methods} portfolio of {', '.join(stocks)}",
        f"how did it do in {year}?",
        opening.format(t=index),
    )
    assert reply.startswith(f"Statistics from {year}-01-0"), (year_read, reply)
    assert "Not used" not in reply and "market is in a" not in reply, reply
    portfolio = re.search(
        r"^The portfolio \((.+?)\) had a total return of (-?[\d,]+\.\d)%",
        reply.split(": ", 1)[1].split(". ", 1)[1],
    )
    assert portfolio is not None, reply
    weights = {n: float(w) / 100 for n, w in re.findall(r"([A-Z]+) (\d+\.\d)%", portfolio[1])}
    year_prices = PRICES.loc[: f"{year - 1}-12-31", list(weights)].iloc[-1:]
    daily = pd.concat([year_prices, PRICES.loc[str(year), list(weights)]]).pct_change().dropna()
    held = float(np.prod(1.0 + daily.to_numpy() @ np.array(list(weights.values()))) - 1.0)
    assert abs(float(portfolio[2].replace(",", "")) / 100 - held) < 2e-3, (held, reply)
    index_return = re.search(r"The S&P 500 index: a total return of (-?[\d,]+\.\d)%", year_read)
    assert index_return is not None, year_read
    side = "higher" if held > float(index_return[1]) / 100 else "lower"
    assert reply.split(": ", 1)[1].startswith(
        f"The portfolio had a {side} total return than the S&P 500 index: "
    ), reply


@given(
    before=st.sampled_from(("how did it do in 2022?", "how did LLY do versus the S&P 500 since 2019?",
                            "what was AAPL's return in 2021", "how did KO do against PEP over 2015")),
    opening=st.sampled_from(OPENINGS),
    target=st.sampled_from(("KO", "the S&P 500", "the market", "JNJ")),
)  # fmt: skip
def test_the_question_asked_again_keeps_its_window_and_names_the_new_target_once(
    before: str, opening: str, target: str
) -> None:
    again = versus_again(opening.format(t=target), [opening.format(t=target), before])
    assert again is not None
    assert again.count(f"versus {target}") == 1, again
    for word in re.findall(r"\b(?:19|20)\d\d\b", before):
        assert word in again, (before, again)
    for other in ("S&P 500 since", "PEP over"):
        if other in before and target not in other:
            assert other.split()[0] not in again.replace(target, ""), again  # replaced


@given(text=st.sampled_from(("how did it do versus the S&P in 2022?", "and KO?",
                             "versus the market since 2019 please", "what about MSFT?",
                             "vs min vol?", "compared to HRP?")))  # fmt: skip
def test_a_full_question_is_not_read_as_a_target_alone(text: str) -> None:
    assert versus_again(text, [text, "how did AAPL do in 2021?"]) is None


MEASURE_ASKS = {
    "return": ("what was {a}'s return in {y}?", "how did {a} do in {y}?", "{a}'s return in {y}"),
    "volatility": ("what was {a}'s volatility in {y}?", "how volatile was {a} in {y}?"),
}


def _measured(stock: str, year: int, measure: str) -> float:
    """`stock`'s total return over `year` from the close before, or its annualised volatility
    (daily returns of the year, ddof=1, x sqrt(252))."""
    closes = PRICES.loc[: f"{year}-12-31", stock]
    daily = closes.pct_change().loc[f"{year}-01-01" :]
    if measure == "return":
        return float(np.prod(1.0 + daily.to_numpy()) - 1.0)
    return float(daily.std(ddof=1) * np.sqrt(252))


@settings(max_examples=10, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    year=st.integers(min_value=2005, max_value=2021),
    measure=st.sampled_from(tuple(MEASURE_ASKS)),
    ask=st.integers(min_value=0, max_value=2),
    opening=st.sampled_from(OPENINGS),
)
@example(stocks=["AAPL", "MSFT"], year=2021, measure="return", ask=0, opening="compared to {t}?")
def test_one_stock_s_measure_asked_against_another_says_which_is_higher(
    stocks: list[str], year: int, measure: str, ask: int, opening: str
) -> None:
    """ "what was AAPL's return in 2021?" then "compared to MSFT?" (or "... in 2021 vs MSFT")
    says which is higher with both values (before: both values, no sentence setting them side by
    side)."""
    a, b = stocks
    asks = MEASURE_ASKS[measure]
    first = asks[ask % len(asks)].format(a=a, y=year)
    reply = answers_in_one_thread(first, opening.format(t=b))[-1]
    words = "total return" if measure == "return" else "volatility"
    said = re.search(
        rf"\b{a} had (?:a (higher|lower)|(the same)) {words} than {b}: (-?[\d,]+\.\d)% against "
        r"(-?[\d,]+\.\d)%",
        reply,
    )
    assert said is not None, reply
    values = {name: _measured(name, year, measure) for name in stocks}
    for name, value in zip(stocks, said.groups()[2:], strict=True):
        assert abs(float(value.replace(",", "")) / 100 - values[name]) < 6e-4, (values, reply)
    if abs(values[a] - values[b]) > 2e-3:
        assert said[1] == ("higher" if values[a] > values[b] else "lower"), (values, reply)


def test_the_measures_read_as_set_beside_are_those_the_answers_order_by() -> None:
    assert set(RANKED_BY) == ORDERED_BY
