"""Spelling distance between short words (tickers): what both readers of a message take as a
typo of a known ticker ("MFST" for MSFT, "appl" for AAPL)."""

from __future__ import annotations

from collections.abc import Collection

__all__ = ["one_edit_apart", "typo_of"]


def one_edit_apart(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one substitution, insertion, deletion or swap of neighbours
    (case-sensitive; a word is not one edit from itself)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = ([*diff, 0, 0])[:2]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def typo_of(word: str, tickers: Collection[str]) -> str | None:
    """The one known ticker (3+ letters) that `word` (upper case, 3+ letters) is one edit from,
    else None (none, or several: "ambiguous" is no reading). Gives up above 2,000 tickers, where
    one edit reaches too many."""
    if len(word) < 3 or len(tickers) > 2000:
        return None
    found = [t for t in tickers if len(t) >= 3 and one_edit_apart(word, t)]
    return found[0] if len(found) == 1 else None
