"""Changes to the conversation's universe said as a swap: "swap XOM for WMT", "replace XOM with
WMT", "exchange PFE for MRK", "take out JPM, put in BAC", "swap in JNJ for WMT", "substitute
MRK for PFE", "use WMT instead of XOM", "swap xom -> cvx" (the ticker taken out, then the one
put in), or a swap supposed ("what if we sold KO and bought PEP?", "if I swapped KO for PEP").

`read_swaps(scan, known)` returns the tickers taken out and those put in (in order) and
consumes what it read, so neither is read again as the message's universe or an exclusion.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intent.scanner import Scanner
from agents.offline.intent.words import read_tickers
from settings import patterns

__all__ = ["read_swaps"]

_NAME = r"(?!(?:in|out|to|it)\b)(\$?[a-z][a-z&.\-]*(?:\s+[a-z][a-z&.\-]*)?)"
_OUT_IN = patterns.compile(
    rf"\b(?:swap(?:ped)?|switch(?:ed)?|exchanged?|traded?|rotated?|replaced?)\s+(?:out\s+)?"
    rf"{_NAME}\s*(?:out\s+)?(?:(?:for|with|by|into)\s+|(?:->|=>|→|>)\s*){_NAME}"
    rf"|\b(?:take|taking|took|pull|pulling|pulled|drop|dropping|dropped|remove|removing|removed"
    rf"|sell|selling|sold)\s+(?:out\s+)?{_NAME}\s*(?:out\s*)?(?:,|and|then|;)?\s*(?:put"
    rf"|putting|add|adding|added|bring|bringing|brought|buy|bought|use|used|swap|swapped|throw"
    rf"|threw)\s+(?:in\s+)?{_NAME}"
)
_IN_OUT = patterns.compile(
    rf"\b(?:swap|switch|rotate|put|bring)\s+in\s+{_NAME}\s+(?:for|instead of|in place of)\s+"
    rf"{_NAME}|\bsubstitute\s+{_NAME}\s+for\s+{_NAME}"
    rf"|\b(?:use|take|hold|pick|with)\s+{_NAME}\s+(?:instead of|in place of|rather than)\s+{_NAME}"
)


def _one(words: str, known: Sequence[str]) -> str | None:
    """The ticker that words name, alone (a ticker or a company's name), else None."""
    upper = words.upper() if len(words) <= 6 else words
    found = read_tickers(upper, known) or read_tickers(words.split()[0].upper(), known)
    return found[0] if len(found) == 1 else None


def read_swaps(scan: Scanner, known: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tickers taken out, tickers put in) of the swaps the message says (see the module
    docstring); () and () when none."""
    removed: list[str] = []
    added: list[str] = []
    for pattern, order in ((_OUT_IN, (0, 1)), (_IN_OUT, (1, 0))):
        for match in list(pattern.finditer(scan.free)):
            groups = [g for g in match.groups() if g is not None]
            if len(groups) != 2:
                continue
            out, into = _one(groups[order[0]], known), _one(groups[order[1]], known)
            if out is None or into is None or out == into:
                continue
            scan.consume(match)
            removed.append(out)
            added.append(into)
    return tuple(dict.fromkeys(removed)), tuple(dict.fromkeys(added))
