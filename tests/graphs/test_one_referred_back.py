""" "It" after an answer that judged one name best or worst ("what was the best performing stock
in 2022?", then "how volatile was it?") is that name: the next question's tools work on it alone
(they worked on all twenty stocks of the ranking). The pick is checked against the year's total
returns of the embedded closes, computed here with pandas."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings

PRICES = load_sp500_prices()
FIRST = {"best": "what was the best performing stock in {y}?",
         "worst": "which stock did worst in {y}?"}  # fmt: skip
THEN = ("how volatile was it?", "what's its beta?", "and that stock's max drawdown?")


def _pick(year: int, end: str) -> str:
    closes = PRICES.loc[: f"{year}-12-31"]
    start = closes.loc[: f"{year - 1}-12-31"].iloc[-1]
    total = closes.iloc[-1] / start - 1
    return str(total.idxmax() if end == "best" else total.idxmin())


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(year=st.integers(2008, 2022), end=st.sampled_from(sorted(FIRST)), then=st.sampled_from(THEN))
def test_it_after_a_best_or_worst_is_that_one_name(
    offline_data_dir: Path, year: int, end: str, then: str
) -> None:
    session = ChatSession(f"one-{uuid.uuid4().hex}", settings=Settings())
    first = session.send(FIRST[end].format(y=year)).replies[-1]
    pick = _pick(year, end)
    assert f"{end.capitalize()} by total return: {pick} (the" in first, (pick, first)
    before = len(session.history())
    reply = session.send(then).replies[-1]
    calls = [
        call["args"]
        for message in session.history()[before:]
        for call in getattr(message, "tool_calls", [])
    ]
    assert calls, reply
    for args in calls:
        assert args.get("universe") == [pick] or args.get("weights") == {pick: 1.0}, calls
        assert args.get("start", "")[:4] == str(year) and args.get("end") == f"{year}-12-31"
    assert f"Used: {pick}; {year}-" in reply, reply
