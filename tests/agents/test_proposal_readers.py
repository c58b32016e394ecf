"""The readers of a message sent while a proposal waits (`agents.approval_words`,
`agents.offline.proposal_questions`) take any text a client can send: every code point, lone
surrogates, control and bidirectional characters, text of any length up to the message bound.
Each answers within its type, the same way every time, and never raises (a raise would end a
PM's turn in a traceback before the proposal is put back)."""

from __future__ import annotations

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
