"""A word of the data found in a message without compiling a pattern for it: `word_start` finds
where `re.search(rf"\\b{re.escape(word)}\\b", text)` does, and a ticker's position in a question of
coverage is where `(?<![\\w.])ticker(?![\\w])` matches."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agents.offline.intent.coverage import _position
from agents.offline.intent.scanner import word_start

ALPHABET = st.sampled_from(list("ab_.-$ 1é٣ſK"))
"""Word characters (letters, a digit of another script, "_") and others, few enough to repeat."""


def _found(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return match.start() if match else -1


@given(st.text(ALPHABET, max_size=12), st.text(ALPHABET, max_size=4))
def test_a_word_starts_where_the_pattern_of_it_matches(text: str, word: str) -> None:
    assert word_start(text, word) == _found(rf"\b{re.escape(word)}\b", text)


def test_a_word_is_found_whole_only() -> None:
    assert word_start("jnj, brk.b and ko", "brk.b") == 5
    assert word_start("kodak and ko", "ko") == 10
    assert word_start("ko_x ko", "ko") == 5
    assert word_start("$ko", "ko") == 1
    assert word_start("kodak", "ko") == -1
    assert word_start("x .b", ".b") == -1  # a boundary before "." needs a word character
    assert word_start("x.b", ".b") == 1


@given(st.text(ALPHABET, min_size=1, max_size=12), st.text(ALPHABET, min_size=1, max_size=4))
def test_a_tickers_position_is_where_its_pattern_matches(low: str, ticker: str) -> None:
    word = ticker.lower()
    found = re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", low)
    assert _position(low, ticker) == (found.start() if found else len(low))
