"""A portfolio asked to hold a number of stocks ("give me a low risk portfolio of 5 stocks", "a
10-stock HRP portfolio") holds that many, chosen from the universe, and says how they were
chosen (or why it holds fewer); before, the count was dropped without a word and the portfolio
held every stock its method gave weight to (min volatility: 7 of 20). The weights are the same
portfolio asked of those stocks by name."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import answer_in_new_thread, answers_in_one_thread

ASKS = (
    ("give me a low risk portfolio of {n} stocks", "min volatility"),
    ("build me a diversified portfolio with {n} stocks", "HRP"),
    ("a {n}-stock max sharpe portfolio since 2019", "max sharpe"),
    ("pick {n} names for a risk parity portfolio", "risk parity"),
    ("I want an HRP portfolio holding just {n} stocks", "HRP"),
)
HELD = re.compile(r"portfolio \(pf_[0-9a-f]+\): ((?:[A-Z]+ \d+\.\d%(?:, )?)+)\.")
HOLDS = re.compile(r"It holds (\d+) stocks(?: as asked|, not the (\d+) asked)")
WINDOW = re.compile(r"estimated from (\S+) to (\S+) ")


@settings(max_examples=10, deadline=None)
@given(ask=st.sampled_from(ASKS), n=st.integers(min_value=2, max_value=12))
def test_a_portfolio_holds_the_number_of_stocks_asked(ask: tuple[str, str], n: int) -> None:
    text, method = ask
    reply = answer_in_new_thread(text.format(n=n))
    held, holds = HELD.search(reply), HOLDS.search(reply)
    assert held is not None and holds is not None, reply
    weights = dict(item.rsplit(" ", 1) for item in held[1].split(", "))
    count = int(holds[1])
    assert count == len(weights) <= n, reply
    assert count == n or holds[2] == str(n), reply  # fewer only when it says so
    assert "Not used" not in reply, reply
    window = WINDOW.search(reply)
    assert window is not None, reply
    named = ", ".join(weights)
    again = answer_in_new_thread(f"{method} portfolio of {named} from {window[1]} to {window[2]}")
    same = HELD.search(again)
    assert same is not None, again
    assert dict(item.rsplit(" ", 1) for item in same[1].split(", ")) == weights, (reply, again)


@settings(max_examples=8, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=2, max_value=9), min_size=2, max_size=2, unique=True),
    follow_up=st.sampled_from(
        ("what about {m} stocks?", "now with {m} stocks", "make it {m}", "try it with {m} names")
    ),
)
def test_a_count_said_again_builds_the_same_portfolio_asked_afresh(
    counts: list[int], follow_up: str
) -> None:
    n, m = counts
    _, changed = answers_in_one_thread(
        f"give me a low risk portfolio of {n} stocks", follow_up.format(m=m)
    )
    afresh = answer_in_new_thread(f"give me a low risk portfolio of {m} stocks")
    held, again = HELD.search(changed), HELD.search(afresh)
    assert held is not None and again is not None, (changed, afresh)
    assert held[1] == again[1], (changed, afresh)
    holds = HOLDS.search(changed)
    assert holds is not None and (holds[1] == str(m) or holds[2] == str(m)), changed


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    n=st.integers(min_value=3, max_value=8),
    why=st.sampled_from(
        (
            "why these {n}?",
            "why these stocks?",
            "why did you pick these?",
            "how were they chosen?",
            "why does it hold these names?",
        )
    ),
)
def test_why_these_stocks_is_answered_with_how_they_were_chosen_and_weighted(
    ask: tuple[str, str], n: int, why: str
) -> None:
    """After a build of a number of stocks, a question why it holds those gives how they were
    chosen and each one's weight beside its risk (the weights' explanation); before, it was
    "no strategy search has finished"."""
    built, answer = answers_in_one_thread(ask[0].format(n=n), why.format(n=n))
    held, holds = HELD.search(built), HOLDS.search(built)
    assert held is not None and holds is not None, built
    chosen = built[holds.start() : built.index(" Expected return")]  # how they were chosen
    assert chosen in answer, (chosen, answer)
    for item in held[1].split(", "):
        ticker, weight = item.rsplit(" ", 1)
        assert re.search(rf"\b{ticker} {re.escape(weight)} \(volatility", answer), (item, answer)
    assert "No strategy search" not in answer and "Not used" not in answer, answer
