"""A replay of a historical episode asked again over another year ("stress test it in the covid
crash", then "and in 2022?", "what about 2008?"): the episodes that year holds instead, said so,
or why none can be replayed. Before, the Covid crash was replayed again, with "Changed from your
previous request: 2022-01-01 to 2022-12-31" said above it."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant.episodes import EPISODES
from settings import Settings
from tests.support.chat_answers import turn_calls

FIRST = {"gfc_2008": "the 2008 crisis", "covid_2020": "the covid crash",
         "rates_2022": "the 2022 rate shock"}  # fmt: skip
AGAIN = ("and in {y}?", "what about {y}?", "how about in {y}?")


def _in_year(year: int) -> list[str]:
    """The episodes with a day in `year`, in the order they are defined."""
    return [e.key for e in EPISODES.values() if e.start[:4] <= str(year) <= e.end[:4]]


@settings(max_examples=8, deadline=None)
@given(
    first=st.sampled_from(sorted(FIRST)),
    again=st.sampled_from(AGAIN),
    year=st.sampled_from((2007, 2008, 2009, 2012, 2015, 2020, 2021, 2022)),
)
def test_an_episode_asked_again_in_another_year_is_that_year_s(
    first: str, again: str, year: int
) -> None:
    session = ChatSession(f"episode-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build a risk parity portfolio of AAPL KO XOM")
    _, calls, _ = turn_calls(session, f"stress test it in {FIRST[first]}")
    assert [c["args"]["episodes"] for c in calls] == [[first]], calls
    reply, calls, _ = turn_calls(session, again.format(y=year))
    expected = _in_year(year)
    if not expected:
        assert calls == [] and "No historical episode the stress tests replay" in reply, reply
        return
    assert [c["name"] for c in calls] == ["stress_test"], calls
    assert calls[0]["args"]["episodes"] == expected and "start" not in calls[0]["args"], calls
    if expected != [first]:
        names = " and ".join(EPISODES[k].name for k in expected)
        assert f"{names} instead of {EPISODES[first].name}" in reply, reply
    else:
        assert "instead of" not in reply, reply  # the same episode: nothing changed to say
    for key in expected:
        assert f"{EPISODES[key].name[:1].upper()}{EPISODES[key].name[1:]} (" in reply, reply
