"""A backtest of a portfolio the conversation built says when it is in-sample: the weights were
estimated on a window that overlaps the backtest's, so it shows them with hindsight (before: a
build since 2015 backtested over 2018-2022 read as a test of the weights, with nothing said)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread

BACKTESTS = ("backtest it", "how much would $100k in it have made?", "backtest it since {y}",
             "backtest it over {y}-2022")  # fmt: skip


@settings(max_examples=10, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    method=st.sampled_from(("HRP", "min vol", "risk parity")),
    built=st.sampled_from(("", " since {b}", " over {b}-{e}")),
    years=st.tuples(st.integers(2006, 2012), st.integers(2013, 2016), st.integers(2017, 2021)),
    backtest=st.sampled_from(BACKTESTS),
)
@example(stocks=["AAPL", "MSFT", "AMD"], method="HRP", built=" since {b}", years=(2010, 2015, 2018),
         backtest="how much would $100k in it have made?")  # fmt: skip
@example(stocks=["AAPL", "MSFT", "AMD"], method="HRP", built=" over {b}-{e}",
         years=(2010, 2015, 2018), backtest="backtest it since {y}")  # fmt: skip
def test_a_backtest_of_a_build_says_in_sample_exactly_when_the_windows_overlap(
    stocks: list[str], method: str, built: str, years: tuple[int, int, int], backtest: str
) -> None:
    begin, end, later = years
    asked = built.format(b=begin, e=end)
    build, reply = answers_in_one_thread(
        f"build a {method} portfolio of {', '.join(stocks)}{asked}", backtest.format(y=later)
    )
    estimated = re.search(r"estimated from (\S+) to (\S+) \(", build)
    tested = re.search(r"^Backtest of .+? from (\S+) to (\S+) \(", reply)
    assert estimated is not None and tested is not None, (build, reply)
    overlaps = not (tested[2] < estimated[1] or tested[1] > estimated[2])
    note = (
        f"In-sample: the weights were estimated from {estimated[1]} to {estimated[2]}, which "
        "overlaps this window"
    )
    assert (note in reply) == overlaps, (build, reply)
