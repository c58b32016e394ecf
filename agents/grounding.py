"""Grounding check: every number an explanation cites must appear in the results it explains.

Numbers are read from the text as written ("12.5%", "0.91", "1,234", "-3.2 %"); a percentage
stands for its fraction too (12.5% matches 0.125). A cited number is grounded when some number in
the facts equals it after rounding the fact to the cited number's decimals (0.9134 grounds "0.91"
and "91.3%"). Small integers 0-10 used as counts or ordinals ("3 scenarios", "top 5") and years
are exempt, since they are words more than measurements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+−]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?P<pct>\s?(?:%|percent\b))?"
)


@dataclass(frozen=True)
class CitedNumber:
    """A number as written in a text: its value, decimals shown, and whether it was a percent."""

    text: str
    value: float
    decimals: int
    percent: bool


def cited_numbers(text: str) -> list[CitedNumber]:
    """Every number written in `text`, in order."""
    found = []
    for match in _NUMBER.finditer(text):
        digits = match.group("int").replace(",", "")
        frac = match.group("frac") or ""
        value = float(f"{digits}.{frac}" if frac else digits)
        if match.group("sign") in ("-", "−"):
            value = -value
        found.append(
            CitedNumber(
                text=match.group(0).strip(),
                value=value,
                decimals=len(frac),
                percent=match.group("pct") is not None,
            )
        )
    return found


def fact_numbers(facts: Any) -> list[float]:
    """Every finite number found in a nested structure of dicts, lists and scalars."""
    out: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            if math.isfinite(float(value)):
                out.append(float(value))
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            out.extend(n.value for n in cited_numbers(value))

    walk(facts)
    return out


def _exempt(number: CitedNumber) -> bool:
    if number.percent or number.decimals:
        return False
    value = abs(number.value)
    return value <= 10 or 1900 <= value <= 2100


def _matches(number: CitedNumber, facts: Iterable[float]) -> bool:
    targets = [number.value / 100.0, number.value] if number.percent else [number.value]
    for target in targets:
        decimals = number.decimals + (2 if number.percent and target != number.value else 0)
        tolerance = 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)
        for fact in facts:
            for candidate in (fact, abs(fact)) if target >= 0 else (fact,):
                if abs(candidate - target) <= tolerance:
                    return True
    return False


def ungrounded_numbers(text: str, facts: Any) -> list[str]:
    """The numbers cited in `text` that no number in `facts` supports (as written)."""
    values = fact_numbers(facts)
    return [n.text for n in cited_numbers(text) if not _exempt(n) and not _matches(n, values)]
