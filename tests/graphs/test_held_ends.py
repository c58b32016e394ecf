"""The largest or smallest holdings of the portfolio just built, asked alone ("what's the biggest
position?", "which holding is the largest?", "what are the top 3 weights?", "the smallest
position?"), are read from the build's weights, nothing computed (before: it asked what to do,
and "what are the top 3 weights?" built another portfolio)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

ASKS = {
    "what's the biggest position?": (True, 1), "which holding is the largest?": (True, 1),
    "what are the top {n} weights?": (True, None), "my {n} largest holdings?": (True, None),
    "and the smallest position?": (False, 1), "what's the smallest holding in it?": (False, 1),
}  # fmt: skip
"""Each way of asking: whether the largest are asked, and how many (None: `n`)."""


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=6, unique=True),
    method=st.sampled_from(("HRP", "risk parity", "min vol", "inverse volatility")),
    asked=st.sampled_from(sorted(ASKS)), n=st.integers(2, 3),
)  # fmt: skip
def test_the_largest_or_smallest_holdings_are_the_build_s_own(
    offline_data_dir: Path, names: list[str], method: str, asked: str, n: int
) -> None:
    session = ChatSession(f"held-ends-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, f"build a {method} portfolio of {', '.join(names)}")
    portfolio_id, weights = built_portfolio(built)
    large, count = ASKS[asked]
    count = count or n
    held = {t: w for t, w in weights.items() if large or w > 0}
    ordered = sorted(held, key=lambda t: -held[t] if large else held[t])
    if len(ordered) <= count or len({held[t] for t in ordered[: count + 1]}) < count + 1:
        return  # too few held, or a tie at the reply's precision at the boundary
    reply, calls, _ = turn_calls(session, asked.format(n=n))
    assert calls == [], (asked, reply)  # nothing computed, nothing built
    which = "largest" if large else "smallest"
    noun = f"{which} holding" if count == 1 else f"{count} {which} holdings"
    said = re.match(rf"The {noun} of the [\w -]+ portfolio \({portfolio_id}\): (.+?); next ", reply)
    assert said is not None, (asked, reply)
    assert re.findall(r"([A-Z]+) \d", said[1]) == ordered[:count], (reply, weights)
    assert "Nothing new was computed" in reply, reply
