"""A loss asked over a week or a month ("how much could I lose on 100k in AAPL in a bad month?")
is the risk report over that horizon with the capital named (it was a read of the market, the
capital said unused), as a loss in a day is the one-day report."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

SPANS = {"week": 5, "month": 21}
ASKS = ("how much could I lose on {c} in {s} in a bad {u}?",
        "how much could I lose in a bad {u} holding {c} of {s}?",
        "how much could I lose in a {u} on {c} in {s}?")  # fmt: skip
CAPITALS = {"100k": 100_000.0, "$1m": 1_000_000.0, "$250,000": 250_000.0}


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    unit=st.sampled_from(sorted(SPANS)), ask=st.sampled_from(ASKS),
    capital=st.sampled_from(sorted(CAPITALS)), stock=st.sampled_from(("AAPL", "KO", "XOM")),
)  # fmt: skip
def test_a_loss_over_a_week_or_a_month_is_the_report_over_it(
    offline_data_dir: Path, unit: str, ask: str, capital: str, stock: str
) -> None:
    session = ChatSession(f"loss-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(c=capital, s=stock, u=unit))
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], reply
    args = calls[0]["args"]
    assert args["horizon_days"] == SPANS[unit] and args["capital"] == CAPITALS[capital], args
    assert args["weights"] == {stock: 1.0}
    days = SPANS[unit]
    share = re.search(rf"Over {days} sessions at 95% confidence: overlapping: VaR ([\d.]+)%", reply)
    money = re.search(rf"over {days} sessions \(overlapping\) VaR \$([\d,]+\.\d\d)", reply)
    assert share is not None and money is not None, reply
    expected = CAPITALS[capital] * float(share[1]) / 100
    assert abs(float(money[1].replace(",", "")) - expected) <= CAPITALS[capital] * 5e-5, reply
    assert "Not used" not in reply, reply
