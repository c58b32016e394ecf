"""Calendar years set side by side in a question ("AAPL's return in 2022 vs 2021")."""

from __future__ import annotations

from settings import patterns

__all__ = ["years_compared"]

_YEAR = patterns.compile(r"(?:19|20)\d{2}")
_YEARS_COMPARED = patterns.compile(
    r"(?<!between )(?<!from )\b((?:19|20)\d{2})((?:\s*(?:,|\bvs\.?|\bversus|\bagainst|"
    r"\bcompared (?:to|with)|\band|\bor)\s+(?:in\s+)?(?:19|20)\d{2}\b)+)"
)


def years_compared(low: str) -> tuple[str, ...]:
    """Calendar years set side by side ("in 2022 vs 2021", "2008 and 2020", "2019, 2020 and
    2021"), in the order said, or () for one year or a range ("between 2015 and 2020")."""
    match = _YEARS_COMPARED.search(low)
    if match is None:
        return ()
    years = [match.group(1), *_YEAR.findall(match.group(2))]
    return tuple(dict.fromkeys(years)) if len(set(years)) > 1 else ()
