"""The readers of a message sent while a proposal waits (`agents.approval_words`,
`agents.offline.proposal_questions`, `agents.offline.deployment_drafts`,
`search_drafts.names_only_stocks` and `states_search_change`, the capped limits and both readers
of past downturns) take any text a client can send: every code point, lone
surrogates, control and bidirectional characters, text of any length up to the message bound.
Each answers within its type, the same way every time, and never raises (a raise would end a
PM's turn in a traceback before the proposal is put back)."""

from __future__ import annotations

import math
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.approval_words import decision_said, kinds_named
from agents.offline.proposal_questions import ASPECTS, asks_change, aspects_asked

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
"""Any text, lone surrogates and control characters included."""

SAID = st.sampled_from(
    ["how long will that take?", "yes, go ahead", "how about 100 trials?", "run the search",
     "approve the deployment", "what does the lookback mean?", "nope", "cancel the search"]
)  # fmt: skip
"""Messages the readers act on, to be surrounded by hostile text."""


def _read(text: str) -> tuple[str | None, frozenset[str], list[str], bool]:
    return decision_said(text), kinds_named(text), aspects_asked(text), asks_change(text)


@settings(max_examples=400, deadline=None)
@given(before=ANY_TEXT, said=SAID, after=ANY_TEXT)
def test_any_text_is_read_within_each_reader_s_answers(before: str, said: str, after: str) -> None:
    for text in (before, f"{before} {said} {after}"):
        decision, kinds, aspects, change = _read(text)
        assert decision in ("approve", "reject", None)
        assert kinds <= {"search", "deployment"}
        assert aspects == [name for name in ASPECTS if name in aspects]  # known, in their order
        assert isinstance(change, bool)
        assert _read(text) == (decision, kinds, aspects, change)


def test_a_message_as_long_as_the_bound_allows_is_read() -> None:
    from api.schemas.threads import MessageIn

    bound = MessageIn.model_fields["content"].metadata[-1].max_length
    text = ("how long " * (bound // 9))[: bound - 2] + "\ud800\x00"
    assert aspects_asked(text) == ["time"]
    assert decision_said(text) is None and not asks_change(text)


CHANGES = st.sampled_from(
    ["make it monthly", "with $250k instead", "at 10:30 instead", "is it monthly?",
     "make it biweekly", "with KO only", "could you backtest it since 2015?", "make it $0",
     "weight the bear scenario double", "cap the drawdown at 20%", "how did KO do in bear markets?"]
)  # fmt: skip
"""Changes of a waiting deployment or search, to be surrounded by hostile text."""


def _changes(text: str) -> tuple[Any, ...]:
    from agents.offline.deployment_drafts import (
        asks_deployment_change,
        asks_schedule,
        capital_said,
        reads_deployment_change,
    )
    from agents.offline.intent import parse_intent
    from agents.offline.intent.numbers import capped_limits
    from agents.offline.intent.stress_reading import past_downturns_asked
    from agents.offline.search_drafts import names_only_stocks, states_search_change
    from graphs.ask_downturns import downturns_said

    intent = parse_intent(text, ("KO", "PG", "XOM"))
    low = text.lower()
    downturns = downturns_said(low, low)
    return (
        asks_deployment_change(intent),
        reads_deployment_change(intent),
        asks_schedule(text),
        capital_said(low),
        names_only_stocks(intent),
        states_search_change(intent),
        past_downturns_asked(low),
        capped_limits(low),
        None if downturns is None else downturns.span(),
    )


_AS_MONEY = re.compile(r"\$|usd|dollars|\d\s*(?:k|m|mn|thousand|million)\b|\d,\d")
"""An amount said as money ("$500", "250k", "50,000"): read whatever its size."""


@settings(max_examples=200, deadline=None)
@given(before=ANY_TEXT, said=CHANGES, after=ANY_TEXT)
def test_any_text_is_read_by_the_change_readers_the_same_way_every_time(
    before: str, said: str, after: str
) -> None:
    for text in (before, f"{before} {said} {after}"):
        read = _changes(text)
        capital, capped = read[3], read[7]
        assert capital is None or math.isfinite(capital)
        if capital is not None and abs(capital) < 1_000:  # a count is no capital: money is
            assert _AS_MONEY.search(text.lower()), (text, capital)  # said as such
        assert all(0 <= v <= 100 for v in capped.values()), capped
        assert isinstance(read[5], bool) and isinstance(read[6], bool)
        assert _changes(text) == read


def test_a_change_as_long_as_the_bound_allows_is_read() -> None:
    from api.schemas.threads import MessageIn

    bound = MessageIn.model_fields["content"].metadata[-1].max_length
    text = ("make it monthly at 10:30 " * (bound // 25))[: bound - 2] + "\ud800\x00"
    assert _changes(text)[:3] == (True, True, False)
