"""The ask accounting (`graphs.ask_items`) reads a message in time linear in its length, whatever
the message repeats: digit runs, percentages, lists of tickers or sectors joined by commas or
"and", money amounts, runs of spaces. A pattern that could start anywhere inside a run it then
scans to the end cost the square of the run (8,000 digits: 21 s for one message).

Linearity is measured as the CPU time of this thread (`time.thread_time`), the least of a few
runs, per character: it may not grow by more than `LINEAR_SLACK` between a message of
`SMALL` characters and one of `LARGE` (a quadratic reading grows 8-fold there)."""

from __future__ import annotations

import inspect

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.ask_items import ask_items
from graphs.ask_vocabulary import Vocabulary, vocabulary
from tests.support.reading_cost import cpu_seconds, repeated

VOCAB: Vocabulary = vocabulary()
READ = inspect.unwrap(ask_items)
"""The reading itself, not the readings `graphs.ask_items_memo` keeps."""
SMALL = 1_000
LARGE = 8_000
"""The chat's longest message (`api.schemas.threads`: 8,000 characters)."""
LINEAR_SLACK = 3.0
"""How much more a character of the long message may cost than one of the short."""
TOKENS = [
    "1", "12.5", ".", "%", "5% ", " ", "  ", ",", ", ", " and ", " & ", "/", "$", "$1,", "AAPL",
    "msft", "Apple", "energy", "tech", "cap ", "at most ", "between ", " each ", "bps", "x ",
    "var ", "99 ", "-", "\t", "\n", "since 2019 ", "=", "0.5 ",
]  # fmt: skip
"""Pieces of the phrasings the accounting reads, to be repeated."""


def _cost(message: str) -> float:
    return cpu_seconds(lambda m: READ(m, VOCAB), message)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4).map("".join))
def test_reading_a_message_grows_linearly_with_its_length(unit: str) -> None:
    small, large = repeated(unit, SMALL), repeated(unit, LARGE)
    per_char_small = _cost(small) / SMALL
    per_char_large = _cost(large) / LARGE
    assert per_char_large <= LINEAR_SLACK * per_char_small + 2e-6, (
        unit,
        per_char_small * SMALL,
        per_char_large * LARGE,
    )


def _limits(message: str) -> list[tuple[str, float, str | None]]:
    return [
        (item.kind, item.value, item.subject)
        for item in ask_items(message, VOCAB)
        if item.kind.endswith(("cap", "floor"))
    ]


def test_a_list_is_read_from_its_first_subject() -> None:
    """A list is read once, from its first subject: a cap on a list of every name named caps
    every asset, a universe joined by spaces before a cap (also ending in "and") caps every
    asset, not its last name, and a group after a ticker is still a group."""
    assert _limits("Max Sharpe on AAPL, MSFT and XOM, JPM and BAC capped at 10%") == [
        ("cap", 0.1, None)
    ]
    assert _limits("AAPL MSFT XOM capped at 30%") == [("cap", 0.3, None)]
    assert _limits("AAPL MSFT and XOM capped at 30%") == [("cap", 0.3, None)]
    assert _limits("XOM and energy capped at 10%") == [("group_cap", 0.1, "energy")]
    assert _limits("min var on AAPL MSFT XOM JPM, with JPM and XOM at most 20%") == [
        ("asset_cap", 0.2, "JPM"),
        ("asset_cap", 0.2, "XOM"),
    ]
