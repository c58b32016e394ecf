"""A sum said again after a request that takes a capital ("what about $20,000?", "and with
$250k?") asks that request again on the new capital, saying what changed; before, it asked what
to do ("Nothing was computed ... the capital $20,000"), so a next "and AAPL?" had no request to
change either. A stock said next ("and AAPL?") is the same request of that stock on that
capital."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, tool_args

SUMS = (("$20,000", 20_000.0), ("$50k", 50_000.0), ("$1m", 1_000_000.0), ("$12,500", 12_500.0))
SAID = ("what about {s}?", "and with {s}?", "same with {s}", "how about {s} instead?")
BECAME = re.compile(r"([\d,]+) would have become ([\d,]+)")


def _amount(text: str) -> float:
    return float(text.replace(",", ""))


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    year=st.integers(2010, 2021),
    amount=st.sampled_from(SUMS),
    said=st.sampled_from(SAID),
)
def test_a_sum_backtested_again_on_another_capital_then_of_another_stock(
    stocks: list[str], year: int, amount: tuple[str, float], said: str
) -> None:
    session = ChatSession(f"capital-{uuid.uuid4().hex}", settings=Settings())
    first = session.send(
        f"How much would I have made investing $10,000 in {stocks[0]} in {year}?"
    ).replies[-1]
    again = session.send(said.format(s=amount[0])).replies[-1]
    other = session.send(f"and {stocks[1]}?").replies[-1]
    runs = tool_args(session, "backtest_weights")
    assert [r["capital"] for r in runs] == [10_000.0, amount[1], amount[1]], runs
    assert [r["universe"] for r in runs] == [[stocks[0]], [stocks[0]], [stocks[1]]], runs
    assert len({(r["start"], r["end"]) for r in runs}) == 1, runs  # the year kept
    assert again.startswith(
        f"Changed from your previous request: capital ${amount[1]:,.0f} instead of $10,000."
    ), again
    assert other.startswith(
        f"Changed from your previous request: {stocks[1]} instead of {stocks[0]}."
    ), other
    growth = [BECAME.search(text) for text in (first, again)]
    assert all(growth), (first, again)
    ratios = [_amount(m[2]) / _amount(m[1]) for m in growth]  # type: ignore[index]
    assert abs(ratios[0] - ratios[1]) < 1e-3, ratios  # the same stock and year, scaled
    assert _amount(growth[1][1]) == amount[1]  # type: ignore[index]
    assert "Not used" not in again + other, (again, other)


def test_a_stress_test_on_a_capital_gives_its_loss_in_money() -> None:
    session = ChatSession(f"capital-{uuid.uuid4().hex}", settings=Settings())
    session.send("stress test KO and PEP through 2008")
    reply = session.send("and with $250k?").replies[-1]
    tests = tool_args(session, "stress_test")
    assert [t.get("capital") for t in tests] == [None, 250_000.0], tests
    loss = re.search(r"loses (\d+\.\d)% \((-[\d,]+)\)", reply)
    assert loss is not None, reply
    assert abs(_amount(loss[2]) / 250_000 + float(loss[1]) / 100) < 1e-3, reply
