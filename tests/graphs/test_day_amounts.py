"""An amount on the best or worst day just given ("what's the worst day for the S&P since 2020?",
then "how much would I have lost on $1m that day?"): the amount times that day's return, of each
subject whose day the answer said, nothing computed again. Before, the follow-up backtested every
stock of the data at equal weights over the whole window. Checked against pandas over the
embedded closes and index."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from quant.data import load_sp500_index
from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
FIRST = {
    "worst": ("what was {s}'s worst day in {y}?", "worst day of {s} in {y}"),
    "best": ("what was the best day for {s} in {y}?", "best day of {s} in {y}"),
}
THEN = {
    "worst": (
        "how much would I have lost on ${a} that day?",
        "what would ${a} have lost that day?",
    ),
    "best": ("how much would I have made on ${a} that day?", "and ${a} on that day?"),
}
AMOUNTS = {"1m": 1_000_000, "250k": 250_000, "100,000": 100_000, "2.5m": 2_500_000}
_SAID = re.compile(
    r"[Oo]n (\d{4}-\d\d-\d\d), \$([\d,]+(?:\.\d\d)?) held in "
    r"(the S&P 500 index|the portfolio|[A-Z]+) would have "
    r"(lost|made) \$([\d,]+(?:\.\d\d)?) \((-?[\d.]+)% that day"
)


def _day(closes: pd.Series, year: int, end: str) -> tuple[str, float]:
    """The worst or best day of `closes` in `year` and its return (from the close before)."""
    before = closes.loc[: f"{year - 1}-12-31"].index[-1]
    returns = closes.loc[before : f"{year}-12-31"].pct_change().iloc[1:]
    day = returns.idxmin() if end == "worst" else returns.idxmax()
    return day.strftime("%Y-%m-%d"), float(returns[day])


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@settings(max_examples=8, deadline=None)
@given(
    end=st.sampled_from(("worst", "best")),
    subject=st.sampled_from((*STOCKS_ASKED[:5], "the S&P")),
    year=st.integers(2015, 2022),
    first=st.integers(0, 1),
    then=st.integers(0, 1),
    amount=st.sampled_from(sorted(AMOUNTS)),
)
def test_an_amount_on_the_day_just_given_is_the_amount_times_its_return(
    end: str, subject: str, year: int, first: int, then: int, amount: str
) -> None:
    ask = FIRST[end][first].format(s=subject, y=year).replace("the S&P's", "the S&P 500's")
    _, reply = answers_in_one_thread(ask, THEN[end][then].format(a=amount))
    said = _SAID.findall(reply)
    assert len(said) == 1, reply
    date, held, name, verb, change, percent = said[0]
    closes = INDEX if subject == "the S&P" else PRICES[subject]
    assert name == ("the S&P 500 index" if subject == "the S&P" else subject), reply
    expected_date, expected = _day(closes, year, end)
    assert date == expected_date, (reply, expected_date)
    assert _number(held) == AMOUNTS[amount], reply
    assert verb == ("lost" if expected < 0 else "made"), reply
    assert abs(_number(change) - AMOUNTS[amount] * abs(expected)) <= AMOUNTS[amount] * 5e-5, reply
    assert abs(float(percent) / 100 - expected) <= 0.00006, reply
    assert "nothing new was computed" in reply, reply


def test_each_subject_whose_day_was_said_gets_its_amount() -> None:
    """After a portfolio's and its stocks' worst days, each on its own day (the portfolio held
    at constant weights, rebalanced daily); the index, whose day was not said, gets none."""
    _, reply = answers_in_one_thread(
        "worst day of my portfolio of 50% AAPL 50% KO in 2022",
        "how much would $2m have lost that day?",
    )
    said = {name: date for date, _, name, *_ in _SAID.findall(reply)}
    held = PRICES[["AAPL", "KO"]].pct_change().mean(axis=1).add(1).cumprod()
    assert said == {
        "the portfolio": _day(held, 2022, "worst")[0],
        "AAPL": _day(PRICES["AAPL"], 2022, "worst")[0],
        "KO": _day(PRICES["KO"], 2022, "worst")[0],
    }, reply
    assert "S&P 500" not in reply, reply


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(
        (
            "best and worst day of {s} in {y}",
            "what were the worst and best days for {s} in {y}?",
            "{s}'s strongest and weakest day in {y}",
        )
    ),
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(2015, 2022),
)
def test_a_best_and_worst_day_asked_together_are_both_said(ask: str, stock: str, year: int) -> None:
    """Both ends are said (before, "best and worst day" said the worst alone)."""
    (reply,) = answers_in_one_thread(ask.format(s=stock, y=year))
    for end in ("worst", "best"):
        date, value = _day(PRICES[stock], year, end)
        said = re.search(rf"{end} day (\d{{4}}-\d\d-\d\d) \((-?[\d.]+)%\)", reply)
        assert said is not None and said[1] == date, (reply, end, date)
        assert abs(float(said[2]) / 100 - value) <= 0.00006, reply
