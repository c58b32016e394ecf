"""Whether to buy or sell now ("is now a good time to buy tech?", "should we sell the banks
now?") is answered with a market read of what it names, said first not to be a forecast (before:
the help text, with "none of these was used: the tech names", or the banks read as left out)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import answer_in_new_thread

NOT_TIMED = (
    "Whether to buy or sell now is your call: nothing here forecasts prices or times the market. "
    "Where things stand on the data: "
)
ASKS = (
    "is now a good time to buy {s}?",
    "is it a good time to get into {s}?",
    "should I buy {s} now?",
    "should we sell {s} now?",
    "is this a good moment to sell {s}?",
    "Is now the right time to invest in {s}?",
)
SUBJECTS = {
    "tech": "AAPL, AMD, MSFT",
    "the banks": "BAC, JPM",
    "energy": "CVX, RRC, XOM",
    "AAPL": "AAPL",
    "KO and PEP": "KO, PEP",
}


@settings(max_examples=12, deadline=None)
@given(ask=st.sampled_from(ASKS), subject=st.sampled_from(sorted(SUBJECTS)))
@example(ask="is now a good time to buy {s}?", subject="tech")
@example(ask="should we sell {s} now?", subject="the banks")
def test_whether_to_buy_now_is_a_market_read_said_not_to_be_a_forecast(
    ask: str, subject: str
) -> None:
    reply = answer_in_new_thread(ask.format(s=subject))
    assert reply.startswith(NOT_TIMED), reply
    assert f"Used: {SUBJECTS[subject]}; " in reply and "Not used" not in reply, reply
    read = answer_in_new_thread(f"give me a market read of {subject}")
    body = reply.removeprefix(NOT_TIMED)
    assert body == read[:1].lower() + read[1:], (reply, read)  # the same read, unchanged


@given(ask=st.sampled_from(("should I buy KO if it drops 10%?", "how is tech doing right now?",
                            "sell XOM and buy JNJ in my portfolio")))  # fmt: skip
def test_other_questions_about_buying_are_not_said_to_be_timing(ask: str) -> None:
    assert not answer_in_new_thread(ask).startswith(NOT_TIMED)
