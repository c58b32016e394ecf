"""Calendar years set side by side in a question ("AAPL's return in 2022 vs 2021")."""

from __future__ import annotations

from agents.offline.intent.dates import year_start
from settings import patterns

__all__ = ["years_compared"]

_YEAR = patterns.compile(r"(?:19|20)\d{2}")
_YEARS_COMPARED = patterns.compile(
    r"(?<!between )(?<!from )\b((?:19|20)\d{2})((?:\s*(?:,|\bvs\.?|\bversus|\bagainst|"
    r"\bcompared (?:to|with)|\band|\bor)\s+(?:in\s+)?(?:19|20)\d{2}\b)+)"
)


_RELATIVE = patterns.compile(
    r"\b(this|last|previous|prior) year\b(?:'s)?\s*(?:,|\bvs\.?|\bversus|\bagainst|\bcompared "
    r"(?:to|with)|\band|\bor)\s+(?:(?:in|with)\s+)?(?:the\s+)?(this|last|previous|prior) year\b"
)
"""This year and last year set side by side ("AAPL's Sharpe this year vs last year")."""


def years_compared(low: str) -> tuple[str, ...]:
    """Calendar years set side by side ("in 2022 vs 2021", "2008 and 2020", "2019, 2020 and
    2021"; "this year vs last year": the data's last year and the one before), in the order
    said, or () for one year or a range ("between 2015 and 2020")."""
    if (relative := _RELATIVE.search(low)) is not None:
        this = int(year_start()[:4])
        years = [str(this if said == "this" else this - 1) for said in relative.groups()]
        return tuple(dict.fromkeys(years)) if len(set(years)) > 1 else ()
    match = _YEARS_COMPARED.search(low)
    if match is None:
        return ()
    years = [match.group(1), *_YEAR.findall(match.group(2))]
    return tuple(dict.fromkeys(years)) if len(set(years)) > 1 else ()
