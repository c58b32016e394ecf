"""A window said alone after "is that usual?" ("and since 08?") changes the figure's own request,
not the history read to set it beside ("and since 08?" after a correlation's "is that usual?"
read the stocks' general statistics since 2008, the correlation lost); the correlation given is
checked against pandas on the embedded prices."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, tool_args

RETURNS = load_sp500_prices().pct_change()
WINDOWS_SAID = ("and since {short}?", "and since {year}?", "what about since {year}?")
USUAL_ASKED = ("is that usual?", "is that normal?", "is that higher than usual?")


@settings(max_examples=5, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    first=st.integers(min_value=2012, max_value=2019),
    then=st.integers(min_value=2001, max_value=2011),
    usual=st.sampled_from(USUAL_ASKED),
    said=st.sampled_from(WINDOWS_SAID),
)
def test_a_window_after_is_that_usual_changes_the_figure_asked(
    pair: list[str], first: int, then: int, usual: str, said: str
) -> None:
    session = ChatSession(f"usual-{uuid.uuid4().hex}", settings=Settings())
    session.send(f"what's the correlation between {pair[0]} and {pair[1]} since {first}?")
    assert "windows' mean" in session.send(usual).replies[-1]
    reply = session.send(said.format(short=f"'{then % 100:02d}", year=then)).replies[-1]
    changed = tool_args(session, "asset_statistics")[-1]
    assert changed["start"] == f"{then}-01-01" and "rolling_sessions" not in changed, changed
    assert sorted(changed["universe"]) == sorted(pair)
    either = f"(?:{pair[0]} and {pair[1]}|{pair[1]} and {pair[0]})"
    shown = re.search(rf"Correlation of daily returns: {either} (-?\d\.\d\d)", reply)
    assert shown is not None, reply
    held = RETURNS.loc[f"{then}-01-01" : "2022-12-28", pair]
    assert abs(float(shown[1]) - float(held[pair[0]].corr(held[pair[1]]))) <= 0.005 + 1e-9
