"""Misspellings of the domain's key words corrected before parsing ("buld" -> "build")."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache

from services.shorthand import expand_shorthand
from settings import patterns

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
    "against",
    "forecast",
    "forecasts",
    "maximum",
    "minimum",
    "exposure",
    "between",
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
        "again",
        "gains",
        "gained",
        "gaining",
        "forecasted",
        "forecaster",
        "forecasters",
        "forecasting",
        "part",
        "partly",
        "sparsity",
        "shared",
        "shaped",
        "compress",
        "comparable",
        "explore",
        "expose",
        "exposed",
        "exposes",
        "forest",
        "forests",
        "volatilities",
        "comprise",
        "recast",
        # near a word of `_ANALYSIS_VOCABULARY`
        "weekl", "rather", "marked", "markets", "retune", "worse", "stressed", "returned",
        "comparing", "month", "quarter", "quarters", "annual", "manually", "works", "words",
        "worth", "change", "cancel", "created", "creation", "related", "relation", "corrected",
        "correction", "corrections", "marker", "stores", "turns", "balance", "balanced",
        "unbalanced", "replacing", "probabilistic", "portability", "smoothly", "manual",
    ]
)  # fmt: skip
"""Real words close to a word of a vocabulary, never "corrected" ("3-month" is not
"monthly", "what would change" is not "chance", "a balanced mix" is not "rebalanced")."""

_ANALYSIS_VOCABULARY = (
    "correlation", "correlated", "probability", "backtest", "rebalanced", "rebalancing",
    "monthly", "quarterly", "annually", "weekly", "stress", "market", "return", "returns",
    "worst", "losing", "compare", "chance", "scenario", "crisis", "drawdown", "annual",
)  # fmt: skip
"""Words whose misspellings `normalised` repairs for the analysis readers."""


_THEN = patterns.compile(
    r"\b(more|less|fewer|greater|higher|lower|bigger|smaller|larger|worse|better|riskier|safer)"
    r"\s+then\b",
    re.IGNORECASE,
)
"""A comparison misspelt with "then" ("no more then 25%")."""


def correct_typos(text: str) -> str:
    """`text` with shorthand written out ("bt" -> "backtest", `services.shorthand`), "then"
    after a comparative as "than" ("no more then 25%") and
    misspelled key words replaced ("buld" -> "build", "sharp" -> "sharpe", "portfolo" ->
    "portfolio"): words of 4+ letters within a similarity of 0.8 of one."""
    text = expand_shorthand(text)
    text = _THEN.sub(r"\1 than", text)
    return repair_words(text, _VOCABULARY, _NOT_TYPOS, min_letters=4)


def normalised(text: str) -> str:
    """`text` as the analysis readers read it: misspellings of their words repaired (words of
    5+ letters), lower case, one space between words."""
    repaired = repair_words(text, _ANALYSIS_VOCABULARY, _NOT_TYPOS, min_letters=5)
    return " ".join(repaired.lower().replace("’", "'").split())


def repair_words(
    text: str, vocabulary: Sequence[str], keep: Collection[str], *, min_letters: int
) -> str:
    """`text` with each word of `min_letters`+ letters that is within a similarity of 0.8 of a
    `vocabulary` word replaced by it; words in `keep` and upper-case words (tickers) stay."""
    words = tuple(vocabulary)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in keep or word.isupper() or any(w in low for w in words):
            return word  # a word of the vocabulary, or one holding it ("maxsharpe")
        return _closest(low, words) or word

    return patterns.compile(rf"\b[A-Za-z]{{{min_letters},}}\b").sub(fix, text)


@lru_cache(maxsize=16384)
def _closest(word: str, vocabulary: tuple[str, ...]) -> str | None:
    """The `vocabulary` word within a similarity of 0.8 of `word`, if any."""
    import difflib

    close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.8)
    return close[0] if close else None
