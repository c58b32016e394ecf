"""Memory asks in a chat message, by rules: remember a fact, say what is known, forget.

`read_memory_ask(text, known_tickers, classification_file)` returns a `MemoryAsk` or None:

- ``remember``: "remember that I never hold tobacco", "note that I prefer low turnover", and
  bare exclusion statements ("no AMD", "never tobacco", "exclude energy stocks"): the fact in
  the user's words and the exclusion terms it states (tickers upper case as written, industry
  terms as written; the profile validates them). A bare statement counts only when each term
  is a known ticker or names a GICS sector or sub-industry (`quant.classification`, with the
  configured `classification_file` the caller passes), so "no, cancel" stays a refusal.
- ``recall``: "what do you know about me?", "what do you remember?", "list my memories".
- ``forget``: "forget that" (the memory just made), "forget that I never hold tobacco" (the
  memory those words name), "forget mem_0123456789ab"; ``forget_all``: "forget everything",
  "forget all my memories". "Forget it" stays a refusal of a proposal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quant.classification import classify, matching
from settings import patterns

MemoryAction = Literal["remember", "recall", "forget", "forget_all"]

MEMORY_KEY = patterns.compile(r"\bmem_[0-9a-f]{12}\b")

_POLITE = r"^(?:(?:please|ok|okay|and|also|hey|then),?\s+)*"
_RECALL = patterns.compile(
    _POLITE + r"(?:what (?:do|did) you (?:know|remember|recall) about me"
    r"|what (?:do|did) you remember|what have you (?:remembered|learned|learnt)"
    r"|(?:list|show|tell)(?: me)? (?:all )?(?:my |your |the )?(?:memories|memory)"
    r"|what(?:'s| is) in (?:your|my) memory|what do you know of me)\b"
)
_FORGET_ALL = patterns.compile(
    _POLITE + r"(?:forget|delete|erase|clear) (?:everything|all(?: of)?(?: (?:my|your|the))?"
    r"(?: memor(?:y|ies))?|(?:my|your|the) memor(?:y|ies)|what you know about me"
    r"|everything about me)\s*[.!]*$"
)
_FORGET = patterns.compile(_POLITE + r"(?:forget|stop remembering|delete the memory)\b\s*(.*)$")
_REMEMBER = patterns.compile(
    _POLITE + r"(?:remember|note|keep in mind|bear in mind|don't forget)(?: that)?[:,]?\s+(.+)$"
)
_BARE_EXCLUSION = patterns.compile(
    r"^(?:i\s+)?(?:never|no|exclude|avoid|don't hold|do not hold|don't buy|do not buy)\b"
)
_EXCLUSION_LEAD = patterns.compile(
    r"\b(?:never|no longer|don't|do not|won't|will not|not)\s+(?:ever\s+)?"
    r"(?:(?:want to|like to)\s+)?(?:hold|own|buy|invest(?:ing)? in|trade|touch|have)?\b"
    r"|\bno\b|\bexclude\b|\bavoid\b|\bkeep out\b|\bstay away from\b"
)
_TRAILING = patterns.compile(
    r"\b(?:stocks?|shares?|companies|company|names|sector|industry|industries|equities|please"
    r"|ever|again|at all|in (?:my|any|the) portfolios?|anymore|any more)\b"
)
_LEADING = patterns.compile(r"^(?:any|the|in|of|from|a|an)\s+")


@dataclass(frozen=True)
class MemoryAsk:
    """What a message asks of the memory: `action`; for ``remember`` the `fact` (the user's
    words) and the `exclusions` it states; for ``forget`` what names the memory (`about`,
    empty for "forget that") or its `key`."""

    action: MemoryAction
    fact: str = ""
    exclusions: tuple[str, ...] = ()
    about: str = ""
    key: str | None = None
    bare: bool = False
    """An exclusion said without asking to remember it ("exclude XOM", "no tobacco"): in a
    conversation about a request, a change of that request rather than a memory."""


_PIECES = patterns.compile(r",|;|/|\band\b|\bor\b|\bnor\b", re.IGNORECASE)
_ABOUT = patterns.compile(r"^(?:that|this|the fact that|about)\b\s*")


def _clean(text: str) -> str:
    return " ".join(text.strip().strip(".!?").split())


def exclusion_terms(fact: str) -> list[str]:
    """The exclusion terms a statement makes ("I never hold tobacco or AMD" -> tobacco, AMD),
    as written, or [] when it states none."""
    match = _EXCLUSION_LEAD.search(fact)
    if match is None:
        return []
    rest = fact[match.end() :]
    terms: list[str] = []
    for piece in _PIECES.split(rest):
        term = _TRAILING.sub(" ", piece.strip().strip(".!?").lower())
        term = " ".join(term.split())
        while _LEADING.match(term):
            term = _LEADING.sub("", term, count=1)
        if not term:
            continue
        written = re.search(re.escape(term), piece, flags=re.IGNORECASE)  # the user's: not kept
        shown = written.group(0) if written else term
        terms.append(shown.upper() if shown.isupper() else term)
    return terms


def _known(term: str, known_tickers: Sequence[str], classification_file: Path | None) -> bool:
    return (
        term.upper() in known_tickers
        or classify(term, classification_file) is not None
        or bool(matching(term, classification_file))
    ) and term.lower() not in ("it", "that", "this", "thanks", "thank you")


def read_memory_ask(
    text: str, known_tickers: Sequence[str], classification_file: Path | None = None
) -> MemoryAsk | None:
    """The memory ask of `text`, or None when it makes none (see the module docstring);
    `classification_file` is the configured classification (None: the embedded one alone)."""
    words = _clean(text)
    low = words.lower()
    if not low:
        return None
    if _RECALL.search(low):
        return MemoryAsk("recall")
    if _FORGET_ALL.match(low):
        return MemoryAsk("forget_all")
    forget = _FORGET.match(low)
    if forget is not None:
        rest = forget.group(1)
        if rest in ("it", "it please", "about it"):
            return None  # "forget it": a refusal
        key = MEMORY_KEY.search(rest)
        about = _ABOUT.sub("", rest).strip()
        return MemoryAsk("forget", about=about if key is None else "", key=key and key.group(0))
    remember = _REMEMBER.match(low)
    if remember is not None:
        fact = words[len(words) - len(remember.group(1)) :]
        return MemoryAsk("remember", fact=fact, exclusions=tuple(exclusion_terms(fact)))
    if _BARE_EXCLUSION.match(low):
        terms = exclusion_terms(words)
        if terms and all(_known(t, known_tickers, classification_file) for t in terms):
            return MemoryAsk("remember", fact=words, exclusions=tuple(terms), bare=True)
    return None
