"""Where the research index lives, checked without its libraries (LanceDB and Arrow take a
second to import): `ResearchIndexError`, `is_remote` and `open_local_directory`, which the index
(`research.index`) opens its location with and the API's readiness checks it with."""

from __future__ import annotations

import os

from settings.files import private_directory


class ResearchIndexError(RuntimeError):
    """The index could not be read or written (storage unreachable, a corrupt table)."""


def is_remote(uri: str) -> bool:
    """Whether the index at `uri` is in an object store (``s3://bucket/prefix``), not a local
    directory."""
    return "://" in uri


def open_local_directory(uri: str) -> None:
    """Create the local index directory `uri` owner-only if missing (`settings.files`) and check
    this process may read and write it; `ResearchIndexError` when it cannot."""
    try:
        private_directory(uri)
        if not os.access(uri, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(f"{uri} cannot be read and written by this process")
    except OSError as exc:
        raise ResearchIndexError(f"research index at {uri}: {exc}") from exc
