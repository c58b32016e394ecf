"""Misspellings of the domain's key words corrected before parsing ("buld" -> "build")."""

from __future__ import annotations

import re

_VOCABULARY = (
    "build",
    "sharpe",
    "portfolio",
    "volatility",
    "parity",
    "drawdown",
    "frontier",
    "hierarchical",
    "optimize",
    "optimise",
    "compare",
)
"""Words whose misspellings `correct_typos` repairs."""


_NOT_TYPOS = frozenset(
    [
        "share",
        "shares",
        "shape",
        "shapes",
        "volatile",
        "research",
        "built",
        "guild",
        "parties",
        "party",
        "frontiers",
    ]
)
"""Real words close to a `_VOCABULARY` word, never "corrected"."""


def correct_typos(text: str) -> str:
    """`text` with misspelled key words replaced ("buld" -> "build", "sharp" -> "sharpe",
    "portfolo" -> "portfolio"): words of 4+ letters within a similarity of 0.8 of one."""
    import difflib

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in _VOCABULARY or low in _NOT_TYPOS or word.isupper():
            return word
        close = difflib.get_close_matches(low, _VOCABULARY, n=1, cutoff=0.8)
        return close[0] if close else word

    return re.sub(r"\b[A-Za-z]{4,}\b", fix, text)
