"""Percentages written in words, as digits ("thirty percent" -> "30 percent", "twenty-five per
cent" -> "25 per cent", "fifteen pct"), so that every reader of percentages reads them."""

from __future__ import annotations

import re

from agents.offline import patterns

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_ONES = "|".join(name for name, value in _UNITS.items() if 0 < value < 10)
_NUMBER = rf"\b(?:(a|one)\s+hundred|({'|'.join(_TENS)})(?:[\s-]+({_ONES}))?|({'|'.join(_UNITS)}))"
_SPELLED = patterns.compile(_NUMBER + r"(\s*(?:percent|per\s*cent|pct)\b|\s*%)", re.IGNORECASE)


def _value(match: re.Match[str]) -> int:
    if match.group(1):
        return 100
    if match.group(2):
        return _TENS[match.group(2).lower()] + (
            _UNITS[match.group(3).lower()] if match.group(3) else 0
        )
    return _UNITS[match.group(4).lower()]


def spelled_percentages(text: str) -> str:
    """`text` with each percentage written in words written in digits."""
    return _SPELLED.sub(lambda m: f"{_value(m)}{m.group(5)}", text)
