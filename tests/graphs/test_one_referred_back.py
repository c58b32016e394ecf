""" "It" after an answer that judged one name best or worst ("what was the best performing stock
in 2022?", then "how volatile was it?") or picked it at one end of a measure ("which stock had
the lowest volatility in 2022?") is that name: the next questions' tools work on it alone, over
that year (they worked on all twenty stocks of the ranking; a second question lost the year).
The pick is checked against the year's total returns and volatilities of the embedded closes,
computed here with pandas."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from prompts.canonical import TOOL_SIGNIFICANT_DIGITS
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
FIRST = {
    ("return", "best"): "what was the best performing stock in {y}?",
    ("return", "worst"): "which stock did worst in {y}?",
    ("return", "highest"): "which one had the highest return in {y}?",
    ("volatility", "lowest"): "which stock had the lowest volatility in {y}?",
    ("volatility", "highest"): "what was the most volatile stock in {y}?",
}
SAID = {"return": "total return", "volatility": "volatility"}
THEN = (
    ("how volatile was it?",),
    ("what's its beta?",),
    ("and that stock's max drawdown?",),
    ("how volatile was it?", "what's its beta?"),
)


def _pick(year: int, measure: str, end: str) -> tuple[str, bool]:
    """The stock at `end` of `measure` over `year`, and whether another ties with it to the
    four significant digits a tool's result holds (the answer then says the tie)."""
    closes = PRICES.loc[: f"{year}-12-31"]
    start = closes.loc[: f"{year - 1}-12-31"].iloc[-1]
    if measure == "return":
        values = closes.iloc[-1] / start - 1
    else:
        year_closes = closes.loc[f"{year}-01-01" :]
        daily = year_closes.pct_change().fillna(year_closes.iloc[0] / start - 1)
        values = daily.std() * math.sqrt(252)  # annualised, as the tool rounds it
    pick = str(values.idxmax() if end in ("best", "highest") else values.idxmin())
    held = values.map(lambda v: f"{v:.{TOOL_SIGNIFICANT_DIGITS}g}")
    return pick, int((held == held[pick]).sum()) > 1


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    year=st.integers(2008, 2022), first=st.sampled_from(sorted(FIRST)), then=st.sampled_from(THEN)
)
def test_it_after_a_best_or_worst_is_that_one_name(
    offline_data_dir: Path, year: int, first: tuple[str, str], then: tuple[str, ...]
) -> None:
    session = ChatSession(f"one-{uuid.uuid4().hex}", settings=Settings())
    answer = session.send(FIRST[first].format(y=year)).replies[-1]
    measure, end = first
    pick, tied = _pick(year, measure, end)
    if tied:  # told as a tie, so "it" names no one name
        assert re.search(rf"\b{pick}\b[^.]* tie as the ", answer), (pick, answer)
        return
    assert f"{end.capitalize()} by {SAID[measure]}: {pick} (" in answer, (pick, answer)
    for message in then:
        reply, calls, _ = turn_calls(session, message)
        assert calls, reply
        for args in (call["args"] for call in calls):
            assert args.get("universe") == [pick] or args.get("weights") == {pick: 1.0}, calls
            assert args.get("start", "")[:4] == str(year) and args.get("end") == f"{year}-12-31"
        assert f"Used: {pick}; {year}-" in reply, reply
