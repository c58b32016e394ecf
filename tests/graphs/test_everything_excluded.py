"""A build whose exclusions leave out every stock it names ("build a portfolio of AAPL and MSFT
excluding tech"): a question back saying why, nothing built. Before, every stock of the data
was built, those left out among them, under "Left out as asked: tech"."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

SECTORS = ("tech", "energy", "staples", "healthcare", "banks")
ASKS = (
    "build a portfolio of {names} excluding {s}",
    "build an hrp portfolio of {names} without {s} stocks",
    "min vol portfolio of {names}, no {s}",
)


@settings(max_examples=8, deadline=None)
@given(ask=st.sampled_from(ASKS), sector=st.sampled_from(SECTORS), data=st.data())
def test_leaving_out_every_stock_named_is_asked_back_and_builds_nothing(
    ask: str, sector: str, data: st.DataObject
) -> None:
    members = sorted(sector_tickers([sector]))
    names = data.draw(st.lists(st.sampled_from(members), min_size=2, max_size=len(members),
                               unique=True))  # fmt: skip
    session = ChatSession(f"excluded-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, ask.format(names=" and ".join(names), s=sector))
    assert calls == [] and not pending, (reply, calls)
    assert reply.startswith("Leaving those out excludes every stock you named"), reply
    assert all(name in reply for name in names) and "Nothing was computed" in reply, reply


def test_leaving_out_some_of_the_stocks_named_builds_the_rest() -> None:
    reply, calls, _ = turn_calls(
        ChatSession(f"excluded-{uuid.uuid4().hex}", settings=Settings()),
        "build a portfolio of AAPL MSFT KO PG excluding tech",
    )
    assert [c["name"] for c in calls] == ["optimize_portfolio"], calls
    assert sorted(calls[0]["args"]["universe"]) == ["KO", "PG"], calls
    assert "Left out as asked: tech" in reply, reply
