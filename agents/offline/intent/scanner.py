"""The text being parsed, and how a percentage becomes a fraction."""

from __future__ import annotations

import re

from settings import patterns


class Scanner:
    """The lower-cased text plus a copy in which consumed spans are blanked out."""

    def __init__(self, text: str) -> None:
        self.cased = " ".join(text.replace("’", "'").split())
        self.low = self.cased.lower()
        self.free = self.low
        if len(self.low) != len(self.cased):  # a character whose lower case is longer
            self.cased = self.low

    def cased_outside(self, before: str) -> str:
        """The text as written, blanked where `free` was consumed since it was `before`."""
        return "".join(
            " " if was != now else c
            for c, was, now in zip(self.cased, before, self.free, strict=True)
        )

    def consumed_within(self, start: int, end: int) -> bool:
        """Whether part of `free[start:end]` was consumed (read as something else)."""
        return self.free[start:end] != self.low[start:end]

    def consume(self, match: re.Match[str], group: int = 0) -> None:
        a, b = match.span(group)
        self.free = self.free[:a] + " " * (b - a) + self.free[b:]


def word_character(text: str, at: int) -> bool:
    """Whether `text[at]` is a character `\\w` matches (none outside the text)."""
    return 0 <= at < len(text) and (text[at].isalnum() or text[at] == "_")


def word_start(text: str, word: str) -> int:
    """Where `word` is first written in `text` with a word boundary on either side, as
    `re.search(rf"\\b{re.escape(word)}\\b", text)` finds it (-1 if nowhere): no pattern is
    compiled for a word a message or the data brings."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if word_character(text, at - 1) != word_character(text, at) and word_character(
            text, end - 1
        ) != word_character(text, end):
            return at
        at = text.find(word, at + 1)
    return -1


NUM = r"(?<!\d)(\d+(?:\.\d+)?)"


PCT = NUM + r"\s*(?:%|percent\b|per cent\b|pct\b)"


PCT_RE = patterns.compile(PCT)


def fraction(number: str, percent: bool = True) -> float:
    """`number` as a fraction: a percentage (or any number above 1) divided by 100, rounded to
    12 decimals so that "99.9" is 0.999, not 0.9990000000000001."""
    value = float(number)
    return round(value / 100.0, 12) if percent or value > 1.0 else value
