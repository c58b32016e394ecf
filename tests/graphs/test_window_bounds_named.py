"""A bound of the window named before its date is that bound, in both readers of a message (the
offline model, `agents.offline.intent.dates`, and the ask accounting, `graphs.ask_patterns`):
"change the start to 2015" asked for a start in 2015 and both read an end at 2015-12-31 (the
"to" of a range); "from the start to 2015" is still a window ending in 2015."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import Vocabulary, vocabulary
from settings import Settings


@cache
def _vocab() -> Vocabulary:
    return vocabulary(Settings())


def _read(text: str) -> tuple[tuple[str | None, str | None], dict[str, object]]:
    """(the offline model's start and end, the accounting's window items by kind)."""
    intent = parse_intent(text, known_tickers())
    items = {i.kind: i.value for i in ask_items(text, _vocab()) if i.kind in ("start", "end")}
    return (intent.start, intent.end), items


VERBS = ("change", "set", "move", "shift", "put", "make it so", "")
CONNECTORS = ("to", "at", "as", "=", ":", "is")


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(VERBS),
    st.sampled_from(("start", "start date", "beginning", "start year")),
    st.sampled_from(CONNECTORS),
    st.integers(1995, 2021),
)
def test_a_start_named_before_its_year_is_the_start(
    verb: str, bound: str, connector: str, year: int
) -> None:
    text = f"{verb} the {bound} {connector} {year}".strip()
    offline, accounting = _read(text)
    assert offline == (f"{year}-01-01", None), text
    assert accounting == {"start": f"{year}-01-01"}, text


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(VERBS),
    st.sampled_from(("end", "end date", "end year")),
    st.sampled_from(CONNECTORS),
    st.integers(1995, 2021),
)
def test_an_end_named_before_its_year_is_the_end(
    verb: str, bound: str, connector: str, year: int
) -> None:
    text = f"{verb} the {bound} {connector} {year}".strip()
    offline, accounting = _read(text)
    assert offline == (None, f"{year}-12-31"), text
    assert accounting == {"end": f"{year}-12-31"}, text


@given(st.sampled_from(("from the start to", "since the start to", "from start to")),
       st.integers(1995, 2021))  # fmt: skip
def test_from_the_start_to_a_year_still_ends_there(opening: str, year: int) -> None:
    offline, accounting = _read(f"{opening} {year}")
    assert offline == (None, f"{year}-12-31")
    assert accounting == {"end": f"{year}-12-31"}
