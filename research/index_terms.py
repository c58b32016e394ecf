"""What the research index's callers name without loading it (LanceDB and Arrow take a second
to import): its search modes, fusions and most results, its error, and where it lives
(`is_remote`, `open_local_directory`, which the index (`research.index`) opens its location with
and the API's readiness checks it with), and how its writers compact (`writers_cleanup_window`)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal

from settings.files import private_directory

SearchMode = Literal["hybrid", "bm25", "vector"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "bm25", "vector")
Fusion = Literal["scores", "rrf"]
FUSIONS: tuple[Fusion, ...] = ("scores", "rrf")

MAX_K = 50
"""The most results one search returns."""


class ResearchIndexError(RuntimeError):
    """The index could not be read or written (storage unreachable, a corrupt table)."""


def is_remote(uri: str) -> bool:
    """Whether the index at `uri` is in an object store (``s3://bucket/prefix``), not a local
    directory."""
    return "://" in uri


WRITERS_KEEP = timedelta(days=365 * 100)
"""The cleanup window of a compaction by a writer of an index in an object store: no version is
that old, so LanceDB's cleanup step deletes no version's files there; the cleanup function deletes
them (`store.lance_versions`). (A file no version names is deleted only once it predates every
version kept and is 7 days old; the cleanup, keeping the same versions, deletes it first on its
daily run.)"""


def writers_cleanup_window(uri: str) -> timedelta | None:
    """The `cleanup_older_than` of a compaction by a writer of the index at `uri`:
    `WRITERS_KEEP` in an object store, LanceDB's default (7 days) in a directory."""
    return WRITERS_KEEP if is_remote(uri) else None


def open_local_directory(uri: str) -> None:
    """Create the local index directory `uri` owner-only if missing (`settings.files`) and check
    this process may read and write it; `ResearchIndexError` when it cannot."""
    try:
        private_directory(uri)
        if not os.access(uri, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(f"{uri} cannot be read and written by this process")
    except OSError as exc:
        raise ResearchIndexError(f"research index at {uri}: {exc}") from exc
