"""The latest result asked again as a sum of money ("what would that be on $1m?", "how much did
the costs come to on $2m?", after a backtest or a stress test): the same request with that
capital, and a backtest's costs said in money too. Before, the first asked what to do and the
second quoted the documentation's model prices (then proposed a strategy search)."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

SUMS = {"$1m": 1_000_000.0, "500k": 500_000.0, "$2,000,000": 2_000_000.0, "$250k": 250_000.0}
AGAIN = (
    "what would that be on {c}?",
    "how much did the costs come to on {c}?",
    "and what would it be with {c}?",
    "what'd that be on {c}",
)


@settings(max_examples=6, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.integers(10, 90),
    bps=st.sampled_from([5, 10, 25]),
    year=st.integers(2012, 2020),
    said=st.sampled_from(sorted(SUMS)),
    again=st.sampled_from(AGAIN),
)
def test_a_backtest_asked_again_on_a_sum_is_run_with_that_capital(
    pair: list[str], share: int, bps: int, year: int, said: str, again: str
) -> None:
    session = ChatSession(f"sum-{uuid.uuid4().hex}", settings=Settings())
    first = f"backtest {share}% {pair[0]} {100 - share}% {pair[1]} with {bps}bps costs since {year}"
    _, calls, _ = turn_calls(session, first)
    reply, again_calls, _ = turn_calls(session, again.format(c=said))
    capital = SUMS[said]
    assert [c["args"] for c in again_calls] == [calls[0]["args"] | {"capital": capital}], (
        reply,
        again_calls,
    )
    total = re.search(r"total return (-?[\d.]+)%", reply)
    became = re.search(r"([\d,]+) would have become ([\d,]+)", reply)
    costs = re.search(r"costs took ([\d.]+)% of the return \(([\d,]+) of the final value\)", reply)
    assert total and became and costs, reply
    assert float(became[1].replace(",", "")) == capital, reply
    final = capital * (1 + float(total[1]) / 100)
    assert abs(float(became[2].replace(",", "")) - final) <= 0.0006 * final + 1, reply
    lost = capital * float(costs[1]) / 100  # the share said to 0.01 points
    assert abs(float(costs[2].replace(",", "")) - lost) <= capital * 0.00005 + 1, reply


def test_a_stress_test_asked_again_on_a_sum_is_run_with_that_capital() -> None:
    session = ChatSession(f"sum-{uuid.uuid4().hex}", settings=Settings())
    _, calls, _ = turn_calls(session, "stress test 60% AAPL 40% KO in the covid crash")
    reply, again, _ = turn_calls(session, "what would that be on 500k?")
    assert [c["args"] for c in again] == [calls[0]["args"] | {"capital": 500_000.0}], again
    loss = re.search(r"loses ([\d.]+)% \(-([\d,]+)\)", reply)
    assert loss is not None, reply
    assert abs(float(loss[2].replace(",", "")) - 5_000 * float(loss[1])) <= 0.0006 * 500_000
