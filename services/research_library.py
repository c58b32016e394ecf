"""What the agents are told about an owner's research library at the start of each chat turn:
the documents they have (newest first, at most `LIBRARY_DOCUMENTS`) and the tickers of the
universe those documents name. With it, a question phrased without "my research" ("what's our
view on RRC?") is known to be one the library speaks to, and is searched there.

A document's contents never change (a new upload is a new document), so the tickers it names
are read once per process and kept by its digest (`MAX_CACHED_DOCUMENTS` at most).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bounded_lru import BoundedLru
from services.documents import all_chunks
from store import Document, NotFoundError, Store

__all__ = ["LIBRARY_DOCUMENTS", "MAX_CACHED_DOCUMENTS", "library_context", "tickers_named"]

LIBRARY_DOCUMENTS = 20
"""Documents listed by name in a turn's context (the search covers every document)."""

MAX_CACHED_DOCUMENTS = 4096
"""Documents whose named tickers this process keeps."""

_SYMBOL = re.compile(r"\b[A-Z][A-Z.]{0,5}\b")
_named: BoundedLru[tuple[str, tuple[str, ...]], tuple[str, ...]] = BoundedLru(MAX_CACHED_DOCUMENTS)


def tickers_named(
    store: Store, owner: str, document: Document, universe: Sequence[str]
) -> tuple[str, ...]:
    """The tickers of `universe` that `owner`'s `document` writes (as upper-case symbols), in
    the order the universe lists them."""
    key = (document.sha256, tuple(universe))
    kept = _named.get(key)
    if kept is not None:
        return kept
    written = {
        symbol
        for chunk in all_chunks(store, owner, document.id)
        for symbol in _SYMBOL.findall(chunk.text)
    }
    named = tuple(ticker for ticker in universe if ticker in written)
    _named.put(key, named)
    return named


def _kind(document: Document) -> str:
    if document.pages is not None:
        return f"PDF, {document.pages} page{'s' if document.pages != 1 else ''}"
    name = document.name.lower()
    if name.endswith((".xlsx", ".csv")):
        return "spreadsheet"
    return "notes"


def library_context(store: Store, owner: str, universe: Sequence[str]) -> str | None:
    """The text the agents read about `owner`'s research library (None when they have no
    document): the latest `LIBRARY_DOCUMENTS` documents by name and kind, and the tickers of
    `universe` they name."""
    documents = sorted(store.list_documents(owner), key=lambda d: d.created_at, reverse=True)
    if not documents:
        return None
    shown = documents[:LIBRARY_DOCUMENTS]
    lines = [
        "The user's research library (their own documents): search it with `search_research` "
        "for any question on what they, their team or 'the house' think, expect or forecast "
        "(views, outlooks, forecasts, theses on a stock, sector or theme), and quote what it "
        "returns with its citations."
    ]
    lines += [f"- {document.name} ({_kind(document)})" for document in shown]
    if len(documents) > len(shown):
        lines.append(f"- ({len(documents) - len(shown)} older documents, searched as well.)")
    named: set[str] = set()
    for document in shown:
        try:
            named.update(tickers_named(store, owner, document, universe))
        except NotFoundError:
            continue  # deleted since it was listed
    tickers = [ticker for ticker in universe if ticker in named]
    if tickers:
        lines.append("Tickers these documents name: " + ", ".join(tickers) + ".")
    return "\n".join(lines)
