"""Hostile input for the doors' tests: text the one text boundary refuses (lone surrogates,
control and bidirectional characters), documents nested past `MAX_DEPTH`, and the check that an
answer is in our words (never a library's).

JSON bodies are sent as bytes from `json.dumps` (ASCII: a lone surrogate travels as its `\\ud800`
escape, as an attacker sends it; no UTF-8 encoder would write it)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from quant.problems import MAX_DEPTH

LIBRARY_WORDS = (
    "validation error",
    "pydantic",
    "type=",
    "errors.pydantic.dev",
    "Input should be",
    "Traceback",
    "RecursionError",
    "UnicodeEncodeError",
)
"""Words of the libraries' own errors, which no answer may hold."""

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
"""Lone surrogates (a high half without its low half, or a low half alone)."""
CONTROLS = st.sampled_from(
    [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
)
"""Control characters other than tab and line breaks."""
BIDI = st.sampled_from(list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
"""Bidirectional embeddings, overrides and isolates."""
PLAIN = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf")), max_size=8)
"""Text every door takes."""


def with_char(char: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Plain text with one character of `char` somewhere in it."""
    return st.tuples(PLAIN, char, PLAIN).map("".join)


HOSTILE_TEXT = with_char(st.one_of(SURROGATES, CONTROLS, BIDI))
"""Text every door refuses."""
LONE_SURROGATE_TEXT = with_char(SURROGATES)
"""Text no door takes anywhere, free-form parts included."""


def nested(depth: int, leaf: Any = 1) -> Any:
    """`leaf` inside `depth` arrays, alternating with objects (`{"a": [{"a": [...]}]}`)."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 == 0 else {"a": value}
    return value


def too_deep(depth: int = MAX_DEPTH + 1) -> bytes:
    """A JSON document nested `depth` deep (by default one level past the limit); built as text,
    so any depth, 100,000 too, is cheap and needs no recursion."""
    return b"[" * depth + b"1" + b"]" * depth


def body(value: Any) -> bytes:
    """`value` as the JSON bytes an attacker sends (lone surrogates as escapes)."""
    return json.dumps(value).encode()


def assert_our_words(text: str) -> None:
    """No library's words in an answer's text."""
    lowered = text.lower()
    for words in LIBRARY_WORDS:
        assert words.lower() not in lowered, (words, text[:500])
