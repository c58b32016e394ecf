"""Percentages written in words, as digits ("thirty percent" -> "30 percent", "twenty-five per
cent" -> "25 per cent", "fifteen pct", "at most a fifth" -> "at most 20%"), so that every reader
of percentages reads them."""

from __future__ import annotations

import re

from settings import patterns

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


_PARTS = {"half": 50, "third": 100 / 3, "quarter": 25, "fifth": 20, "sixth": 100 / 6,
          "eighth": 12.5, "tenth": 10}  # fmt: skip
_FRACTION = patterns.compile(
    r"\b(at most|no more than|not more than|up to|under|below|less than|at least|no less than"
    r"|max(?:imum)?(?: of)?|min(?:imum)?(?: of)?|capped at|cap(?:ped)? (?:it |them )?at"
    r"|limited to|within)\s+(?:(a|one|two|three)\s+)?(half|third|quarter|fifth|sixth|eighth"
    r"|tenth)s?\b(?!\s+(?:of\s+)?(?:the\s+|a\s+)?(?:year|month|week|day|session)s?\b)",
    re.IGNORECASE,
)
"""A share said as a fraction after a limit's words ("at most a fifth", "up to half", "no more
than two thirds"); "a quarter of a year" is a time."""


def _fraction(match: re.Match[str]) -> str:
    count = {"two": 2, "three": 3}.get((match.group(2) or "").lower(), 1)
    share = count * _PARTS[match.group(3).lower()]
    return f"{match.group(1)} {share:.4g}%"


_BARE_LIMIT = patterns.compile(
    r"\b(at most|no more than|not more than|up to|under|below|less than|at least|no less than"
    r"|max(?:imum)?(?: of)?|min(?:imum)?(?: of)?|capped at|cap(?:ped)? (?:it |them )?at"
    r"|limited to|floor of)\s+(\d{1,2}(?:\.\d+)?|100)"
    r"(?=\s+(?:(?:(?:in|on|for|of)\s+(?:any|each|every)\s+(?:one\s+|single\s+)?|per\s+|a\s+)"
    r"(?:name|stock|position|holding|asset|ticker|security|company)\b|each\b|apiece\b))",
    re.IGNORECASE,
)
"""A number without its "%" after a limit's words and before a limit on every weight ("no more
than 40 in any name", "max 25 per stock"): a percentage."""


_EACH_SHARE = patterns.compile(
    r"(?<![\w./])(?:1\s*/\s*([2-9]|10)%?|(?:a|one)\s+(half|third|quarter|fifth|sixth|eighth"
    r"|tenth))\s+(?=(?:each|apiece)\b)",
    re.IGNORECASE,
)
"""An equal share said as a fraction before "each" ("1/3 each", "a quarter each")."""


def _each_share(match: re.Match[str]) -> str:
    share = 100 / int(match.group(1)) if match.group(1) else _PARTS[match.group(2).lower()]
    return f"{share:.12g}% "


def spelled_percentages(text: str) -> str:
    """`text` with each percentage written in words written in digits, each share said as a
    fraction after a limit's words as a percentage ("at most a fifth" -> "at most 20%"), and
    each number said without "%" as a limit on every weight as a percentage ("no more than 40
    in any name" -> "no more than 40% in any name"), and each equal share said as a fraction
    before "each" as a percentage ("1/3 each" -> "33.3333333333% each")."""
    text = _FRACTION.sub(_fraction, text)
    text = _EACH_SHARE.sub(_each_share, text)
    text = _BARE_LIMIT.sub(lambda m: f"{m.group(1)} {m.group(2)}%", text)
    return _SPELLED.sub(lambda m: f"{_value(m)}{m.group(5)}", text)
