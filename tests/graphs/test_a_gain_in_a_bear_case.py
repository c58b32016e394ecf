"""A stock or portfolio whose median in the bear case is a gain while the S&P 500 index's
median on the same paths is a fall (a defensive stock: KO +8.9% against -23.2% on 2018-2022)
is said to be no error, and why (the case replays days of the market's bear regime, on which the
holding held up); a median fall gets no such note. The history the case is drawn from may be
said ("using data since 2015", "since 2010": before, a target-vol strategy's backtest with "Not
used: the bear scenario"), and is the one used."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CASE = re.compile(
    r"bear case over \d+ sessions \([\d,]+ paths\): median return (-?\d+\.\d)%.*?"
    r"the S&P 500 index's median on the same paths (-?\d+\.\d)%"
)
NOTE = "while the index's median falls is no error: the bear case replays days of the history"


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    since=st.sampled_from((2010, 2015, 2018)),
    history=st.sampled_from((", using data since {}", " since {}", " based on data from {}")),
)
def test_a_median_gain_in_the_bear_case_says_why(
    stocks: list[str], since: int, history: str
) -> None:
    reply = answer_in_new_thread(
        f"how would {' and '.join(stocks)} do in a bear market{history.format(since)}?"
    )
    assert reply.startswith("Stress test of"), reply
    assert f"History used from {since}-01-" in reply, reply
    case = CASE.search(reply)
    assert case is not None, reply
    median, index = float(case[1]), float(case[2])
    assert (NOTE in reply) == (median > 0 and index < 0), reply
