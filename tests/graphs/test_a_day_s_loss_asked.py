"""How much could be lost in a day ("how much could I lose in a day on $1m in AAPL?", "what
could I lose on a bad day holding $250k of KO and PEP?") is the one-day VaR and CVaR of those
stocks, on that capital when one is said; before, it was answered with a market read and "Not
used: the capital $1m"."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

ASKS = (
    "how much could I lose in a day on {capital} in {stocks}?",
    "what could I lose on a bad day holding {capital} of {stocks}?",
    "How much might I lose in a single day with {capital} in {stocks}",
    "what's the one-day loss I could take on {capital} of {stocks}?",
)
CAPITALS = (("$1m", 1_000_000.0), ("$250k", 250_000.0), ("$50,000", 50_000.0))
VAR = re.compile(r"^At 95% confidence the one-day VaR is (\d+\.\d+)% and the CVaR (\d+\.\d+)%")
AMOUNTS = re.compile(r"On \$([\d,]+)\.00 of capital: one-day VaR \$([\d,.]+) and CVaR \$([\d,.]+)")


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=3, unique=True),
    capital=st.sampled_from(CAPITALS),
    ask=st.sampled_from(ASKS),
)
def test_a_day_s_loss_is_the_one_day_var_on_the_capital(
    stocks: list[str], capital: tuple[str, float], ask: str
) -> None:
    named = " and ".join(stocks)
    reply = answer_in_new_thread(ask.format(capital=capital[0], stocks=named))
    var, amounts = VAR.search(reply), AMOUNTS.search(reply)
    assert var is not None and amounts is not None, reply
    assert float(amounts[1].replace(",", "")) == capital[1], reply
    for share, amount in ((var[1], amounts[2]), (var[2], amounts[3])):
        assert abs(float(amount.replace(",", "")) / capital[1] - float(share) / 100) < 1e-4
    asked_so = answer_in_new_thread(f"what is the one-day 95% VaR of {named}?")
    assert VAR.search(asked_so)[0] == var[0], (reply, asked_so)  # type: ignore[index]
    assert "Not used" not in reply, reply
