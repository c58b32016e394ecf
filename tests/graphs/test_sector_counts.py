"""A build of a count of a sector's stocks ("a max-Sharpe portfolio of the 10 largest tech
stocks", "a portfolio of 5 bank stocks"): the sector's stocks the data holds, all of them when
it holds no more than the count, the shortfall said; fewer than the sector holds are chosen by
the optimizer, and a size asked for ("largest") is said to be unknown. Before, the first built
the 3 tech stocks saying nothing of the 10, and the second was refused ("holdings: 5 asked of a
universe of 2")."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

SECTORS = {"tech": "tech", "bank": "banks", "healthcare": "healthcare", "energy": "energy",
           "staples": "staples"}  # fmt: skip
ASKS = (
    "build a max sharpe portfolio of the {n} {size}{s} stocks",
    "build a portfolio of {n} {size}{s} stocks",
    "min vol portfolio of the {n} {size}{s} names",
)


@settings(max_examples=10, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    sector=st.sampled_from(sorted(SECTORS)),
    count=st.integers(2, 12),
    size=st.sampled_from(("", "largest ", "biggest ")),
)
def test_a_count_of_a_sector_s_stocks_builds_what_the_data_holds_and_says_so(
    ask: str, sector: str, count: int, size: str
) -> None:
    session = ChatSession(f"count-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, ask.format(n=count, size=size, s=sector))
    members = sorted(sector_tickers([SECTORS[sector]]))
    assert not pending and [c["name"] for c in calls] == ["optimize_portfolio"], (reply, calls)
    args = calls[0]["args"]
    assert sorted(args["universe"]) == members, (reply, args)
    if count >= len(members):
        assert "holdings" not in args, args
        assert f"The data holds {len(members)} " in reply and "all of them were used" in reply
        if count > len(members):
            assert f"fewer than the {count} asked" in reply, reply
        assert ("no company sizes" in reply) == bool(size), reply
    else:
        assert args.get("holdings") == count, args
        assert ("not the largest" in reply) == bool(size), reply
    assert "I could not build" not in reply and "  " not in reply and " \n" not in reply, reply
