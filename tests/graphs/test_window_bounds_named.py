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


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(VERBS),
    st.sampled_from(
        [("start", n) for n in ("start", "start date", "beginning", "start year")]
        + [("end", n) for n in ("end", "end date", "end year")]
    ),
    st.sampled_from(CONNECTORS),
    st.integers(1995, 2021),
)
def test_a_bound_named_before_its_year_is_that_bound(
    verb: str, bound: tuple[str, str], connector: str, year: int
) -> None:
    kind, name = bound
    text = f"{verb} the {name} {connector} {year}".strip()
    day = f"{year}-01-01" if kind == "start" else f"{year}-12-31"
    offline, accounting = _read(text)
    assert offline == ((day, None) if kind == "start" else (None, day)), text
    assert accounting == {kind: day}, text


@given(st.sampled_from(("from the start to", "since the start to", "from start to")),
       st.integers(1995, 2021))  # fmt: skip
def test_from_the_start_to_a_year_still_ends_there(opening: str, year: int) -> None:
    offline, accounting = _read(f"{opening} {year}")
    assert offline == (None, f"{year}-12-31")
    assert accounting == {"end": f"{year}-12-31"}
