"""The bear market of a year whose historical episode it is ("how would KO do in a bear market in
2008?", "how did KO hold up in the 2020 bear market?", "the bear market of 2022") is that
episode's replay, as "the 2008 financial crisis" asks it; before, a target-vol strategy's
backtest over the year, or a drafted search. Whether the market was in a bear market that year
("were we in a bear market in 2008?") stays the market read's verdict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

EPISODES = {"2008": "the 2008 financial crisis", "2020": "the covid crash",
            "2022": "the 2022 rate shock"}  # fmt: skip
ASKS = (
    "how would {s} do in a bear market in {y}?",
    "how did {s} hold up in the {y} bear market?",
    "how would {s} have done in the bear market of {y}?",
    "what happened to {s} during the {y} bear market?",
)


@settings(max_examples=8, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.sampled_from(sorted(EPISODES)),
    ask=st.sampled_from(ASKS),
)
def test_a_year_s_bear_market_is_its_episode(stock: str, year: str, ask: str) -> None:
    reply = answer_in_new_thread(ask.format(s=stock, y=year))
    episode = answer_in_new_thread(f"how did {stock} do in {EPISODES[year]}?")
    assert reply.startswith(f"Stress test of {stock}"), reply
    assert reply == episode, (reply, episode)


def test_whether_the_market_was_in_one_stays_the_market_read() -> None:
    reply = answer_in_new_thread("were we in a bear market in 2008?")
    assert reply.startswith(("Yes, by the 20% rule", "No, by the 20% rule")), reply
