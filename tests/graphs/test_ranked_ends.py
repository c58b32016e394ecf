"""A ranking question that limits itself to an end ("top 5 stocks by return in 2021", "the 3
worst performers of 2022", "the 3 least volatile stocks in 2020") is answered with those names
alone, in order from that end, out of every stock of the data; "the biggest losers" lists every
stock from the lowest return; "the best and worst performing stocks of 2021" is 2021 alone. The
names and their order are checked against numpy on the same window."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.rankings import Ends, ranked_ends
from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
WORDS = {
    "return": "total return",
    "volatility": "volatility",
    "sharpe": "Sharpe ratio (risk-free rate 0%)",
}
ASKS = {
    "top {n} stocks by return in {y}": ("return", "highest"),
    "the {n} worst performers of {y}": ("return", "lowest"),
    "what were the {n} best performing stocks in {y}?": ("return", "highest"),
    "which {n} stocks were the most volatile in {y}?": ("volatility", "highest"),
    "the {n} least volatile stocks in {y}": ("volatility", "lowest"),
    "bottom {n} stocks by sharpe in {y}": ("sharpe", "lowest"),
}
"""Each question: the measure and the end it asks for."""
COUNTS = {"2": 2, "3": 3, "three": 3, "4": 4, "five": 5, "7": 7}


def _measured(year: int, measure: str) -> pd.Series:
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"].dropna(axis=1)
    if measure == "return":
        return (1 + window).prod() - 1
    vol = window.std(ddof=1) * np.sqrt(252)
    return window.mean() * 252 / vol if measure == "sharpe" else vol


def _listed(reply: str, words: str, end: str) -> tuple[int, list[str]]:
    """How many stocks the answer says it ranked, and the names it lists at `end`."""
    line = re.search(
        rf"By {re.escape(words)}, (?:the \d+ \w+ of \d+, \w+ first: [^;]+; )?the (?:\d+ )?"
        rf"{end} of (\d+), {end} first: "
        r"((?:[A-Z]+ -?\d+\.\d+%?(?:, )?)+)",
        reply,
    )
    assert line is not None, reply
    return int(line.group(1)), [item.split()[0] for item in line.group(2).split(", ")]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ask=st.sampled_from(sorted(ASKS)),
    count=st.sampled_from(sorted(COUNTS)),
    year=st.integers(2019, 2022),
)
def test_the_end_asked_for_is_listed_alone_in_order(
    offline_data_dir: Path, ask: str, count: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(n=count, y=year))
    assert "portfolio (pf_" not in reply  # a question, not a build
    measure, end = ASKS[ask]
    values = _measured(year, measure).sort_values(ascending=end == "lowest")
    ranked, names = _listed(reply, WORDS[measure], end)
    assert ranked == len(values), reply
    assert names == list(values.index[: COUNTS[count]]), reply
    assert reply.startswith(f"Statistics from {year}-01-0"), reply


def test_the_biggest_losers_are_every_stock_from_the_lowest_return(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("who were the biggest losers in 2022?")
    line = re.search(r"By total return, lowest first: (.+?) \(lowest", reply)
    assert line is not None, reply
    expected = _measured(2022, "return").sort_values()
    assert [item.split()[0] for item in line.group(1).split(", ")] == list(expected.index)


def test_the_best_and_worst_of_a_year_rank_every_stock_over_that_year(
    offline_data_dir: Path,
) -> None:
    reply = answer_in_new_thread("show me the best and worst performing stocks of 2021")
    assert reply.startswith("Statistics from 2021-01-04 to 2021-12-31"), reply
    expected = _measured(2021, "return").sort_values(ascending=False)
    assert f"(highest {expected.index[0]}, lowest {expected.index[-1]})" in reply


def _parse(text: str) -> Intent:
    return parse_intent(text, known_tickers())


def _analysis_kind(text: str) -> str | None:
    ask = read_analysis(_parse(text), known_tickers())
    return None if ask is None else ask.kind


def test_ranking_words_in_an_action_leave_it_an_action() -> None:
    """Building, investing in or backtesting "the 5 best performers" is not a question."""
    for text, intent in (
        ("give me a portfolio of the 5 best stocks of 2021", "optimize_portfolio"),
        ("backtest the 5 best performers of 2021", "backtest"),
        ("invest in the 3 biggest winners since 2020", "optimize_portfolio"),
        ("build the least volatile stocks portfolio", "optimize_portfolio"),
        ("build the least volatile portfolio of AAPL, KO and XOM", "optimize_portfolio"),
    ):
        assert _analysis_kind(text) != "statistics", text
        assert _parse(text).intent == intent, text
    assert _parse("build the least volatile portfolio of AAPL, KO and XOM").methods == (
        "min_volatility",
    )


def test_the_end_is_read_from_the_words_beside_the_count() -> None:
    assert ranked_ends("top 5 losers of 2022") == Ends(worst=5)
    assert ranked_ends("which 5 stocks lost the most in 2022") == Ends(worst=5, worst_first=True)
    assert ranked_ends("the top 5 worst performers") == Ends(worst=5)
    assert ranked_ends("top 10 least volatile stocks") == Ends(lowest=10)
    assert ranked_ends("top three and bottom three by sharpe") == Ends(highest=3, lowest=3)
    assert ranked_ends("which stocks were in the top 5% by return") == Ends()
    # each end of a question that names both
    assert ranked_ends("top 5 winners and top 5 losers of 2022") == Ends(highest=5, worst=5)
    assert ranked_ends("top 5 stocks and the worst 3 by return") == Ends(highest=5, worst=3)
    assert ranked_ends("the 3 highest and 3 lowest sharpe stocks") == Ends(highest=3, lowest=3)
    assert ranked_ends("best 3 and worst 2 stocks of 2021") == Ends(best=3, worst=2)
    # a year after "of" is that year only after what is ranked
    assert _parse("since the crash of 2020").end is None
    assert _parse("run a backtest of 2019 onwards").end is None
    assert _parse("the best stocks of 2019 to date").end is None
    assert _parse("returns of 2015 and after").end is None
    assert _parse("the best stocks of 2021").end == "2021-12-31"


def test_a_question_naming_both_ends_lists_each(offline_data_dir: Path) -> None:
    for text, high, low in (
        ("top 5 winners and top 5 losers of 2022", 5, 5),
        ("best 3 and worst 2 stocks of 2022", 3, 2),
    ):
        reply = answer_in_new_thread(text)
        values = _measured(2022, "return").sort_values(ascending=False)
        assert _listed(reply, "total return", "highest")[1] == list(values.index[:high]), reply
        assert _listed(reply, "total return", "lowest")[1] == list(values.index[::-1][:low])
