"""Exclusive locks that hold across threads and processes, for work that must run once at a
time on a shared file: setting up or upgrading a database's schema, creating an index.

`exclusive(path)` holds an advisory `flock` on the lock file `path` (created owner-only if
missing, `settings.files`) for the `with` block. Each call opens the file anew, and a `flock`
belongs to the open file description, so two threads of one process exclude each other as two
processes do. The kernel drops the lock when its holder closes the file or dies, so a killed
process never leaves it held. POSIX only (`fcntl`), like the rest of the data directory's
handling; the lock file stays in place (removing it while another process waits on it would
let a third take a lock on a new file).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from settings.files import PRIVATE_FILE_MODE, private_directory


def lock_path(path: str | os.PathLike[str]) -> str:
    """The lock file that guards the setup of the file `path`: ``<path>-lock`` beside it (its
    name starts with the file's, so `settings.files.tighten_data_dir` covers it)."""
    return f"{os.fspath(path)}-lock"


@contextmanager
def exclusive(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on the lock file `path` for the block, waiting for any other
    holder (thread or process) to let go first."""
    private_directory(os.path.dirname(os.fspath(path)) or ".")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
