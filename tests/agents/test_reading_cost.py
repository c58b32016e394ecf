"""The offline model reads a message (`parse_intent`, then the analysis, change and meaning readers) in
time linear in its length, whatever the message repeats: a pattern that backtracks over a run of
words ("is aapl and ko and ... in the data", a letter run split every way) cost the square of
the run or more (a reader of this kind once held a chat turn for minutes).

Linearity is the CPU time of this thread (`time.thread_time`), the least of a few runs, per
character: it may not grow by more than `LINEAR_SLACK` between a message of `SMALL` characters
and one of `LARGE`."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.changes import read_change
from agents.offline.intent.concepts import asks_what_it_meant, concepts_asked
from tests.support.reading_cost import cpu_seconds, repeated

SMALL = 500
LARGE = 4_000
LINEAR_SLACK = 3.0
TOKENS = [
    "is ", "are ", "aapl ", "KO", " and ", ", ", "abcdefghij", "abc ", "in the data", "top ",
    "5 ", "three ", "best ", "worst ", "stocks ", "of ", "2021 ", "how far back ", "does ",
    "do you have ", "the ", "least volatile ", "performers ", "since ", "which ", " ", "-",
    "what is a ", "sharpe ", "explain ", "vs ", "difference between ", "rolling 60 day ",
    "how does ", " work", "mean",
]  # fmt: skip
"""Pieces of the phrasings the readers look for, to be repeated."""


def _read(message: str) -> None:
    known = known_tickers()
    intent = parse_intent(message, known)
    read_analysis(intent, known)
    read_change(intent)
    concepts_asked(message, stocks=True, run=True)
    asks_what_it_meant(message)


def _cost(message: str) -> float:
    return cpu_seconds(_read, message)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4).map("".join))
def test_reading_a_message_grows_linearly_with_its_length(unit: str) -> None:
    small, large = repeated(unit, SMALL), repeated(unit, LARGE)
    per_char_small = _cost(small) / SMALL
    per_char_large = _cost(large) / LARGE
    assert per_char_large <= LINEAR_SLACK * per_char_small + 5e-6, (
        unit,
        per_char_small * SMALL,
        per_char_large * LARGE,
    )
