"""A message that only says what is held ("60% AAPL 40% KO", "AAPL and KO", "it's 50% XOM 50%
JPM"), as the answer to the question back of a question about the user's portfolio ("what's the
VaR of my portfolio?" -> "Which portfolio or stocks? ..."): the question it answers is read
again of those holdings (it was read alone: a market read of the stocks, the weights said
unused)."""

from __future__ import annotations

from collections.abc import Collection

from settings import patterns

__all__ = ["holdings_given"]

_WORDS = patterns.compile(r"[A-Za-z][A-Za-z.']*|\d+(?:\.\d+)?")
_BESIDE = frozenset({
    "and", "of", "in", "each", "plus", "with", "equal", "equally", "weight", "weighted",
    "weights", "my", "our", "portfolio", "is", "it", "its", "i", "hold", "own", "it's", "a",
})  # fmt: skip
"""The words beside tickers and numbers of a message that only says what is held."""


def holdings_given(message: str, known: Collection[str]) -> str | None:
    """What `message` says is held, as a subject to put in the question it answers ("60% AAPL
    40% KO"; "a portfolio of AAPL and KO" when it gives no weights: held at equal weights), or
    None when it says something else."""
    words = _WORDS.findall(message)
    names = [w for w in words if w.upper().rstrip(".") in known]
    rest = [w for w in words if w not in names and not w[0].isdigit()]
    if not names or any(w.lower() not in _BESIDE for w in rest):
        return None
    said = message.strip().rstrip(".!")
    return said if any(w[0].isdigit() for w in words) else f"a portfolio of {said}"
