"""After a build, "sell XOM", "get rid of XOM and KO", "dump XOM" leave those names out of the
build, as "drop XOM" does (before: a market read of XOM, with "Not used: the exclusion of XOM");
"should I sell XOM now?" asks whether, and changes nothing (tests/graphs/test_timing_asked.py)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread

VERBS = ("sell", "get rid of", "dump", "ditch", "Sell")


def _weights(reply: str) -> dict[str, str]:
    listed = re.search(r"portfolio \(pf_\w+\): ((?:[A-Z]+ \d+\.\d%(?:, )?)+)", reply)
    assert listed is not None, reply
    return dict(item.split(" ") for item in listed[1].split(", "))


@settings(max_examples=10, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=4, max_size=5, unique=True),
    sold=st.integers(min_value=1, max_value=2),
    verb=st.sampled_from(VERBS),
    method=st.sampled_from(("HRP", "min vol", "risk parity")),
)
@example(stocks=["AAPL", "MSFT", "KO", "XOM"], sold=1, verb="sell", method="HRP")
def test_a_name_sold_after_a_build_is_left_out_as_a_dropped_one_is(
    stocks: list[str], sold: int, verb: str, method: str
) -> None:
    build = f"build a {method} portfolio of {', '.join(stocks)}"
    names = " and ".join(stocks[-sold:])
    _, reply = answers_in_one_thread(build, f"{verb} {names}")
    _, dropped = answers_in_one_thread(build, f"drop {names}")
    assert reply.startswith(
        f"Changed from your previous request: {', '.join(stocks[-sold:])} left out."
    ), reply
    assert "Not used" not in reply, reply
    assert _weights(reply) == _weights(dropped), (reply, dropped)  # the same build as "drop"
    assert not set(stocks[-sold:]) & set(_weights(reply)), reply


@settings(max_examples=8, deadline=None)
@given(
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    verb=st.sampled_from((*VERBS, "drop")),
)
@example(names=["XOM"], verb="sell")
def test_a_name_sold_first_is_asked_about_without_it_not_the_other_stocks(
    names: list[str], verb: str
) -> None:
    """ "sell XOM" as a conversation's first message: what to do without XOM (before: "What
    would you like for AAPL, AMD, BAC, ...", the nineteen other stocks)."""
    said = " and ".join(names)
    [reply] = answers_in_one_thread(f"{verb} {said}")
    holds = "it" if len(names) == 1 else "them"
    assert reply.startswith(
        f"Selling or dropping {said} needs a portfolio or strategy that holds {holds}. What "
        f"would you like without {said}: a portfolio (for example 'an HRP portfolio without "
        f"{names[0]}')"
    ), reply
    assert "What would you like for" not in reply
