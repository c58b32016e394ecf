"""Owner-only files and directories: what Stratigos keeps on a local disk (the SQLite store, chat
checkpoints, long-term memories, the research index) is readable by the user running it alone.

Directories are created with mode 0700 and SQLite files with mode 0600 (SQLite gives a
database's `-wal` and `-shm` files the database file's mode). What a library writes inside a
private directory (the research index's table files) keeps the process's umask but cannot be
reached by other users through that directory. Existing files and directories keep their modes:
a data directory may be one the user shares on purpose.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_directory(path: str | os.PathLike[str]) -> Path:
    """`path`, created if missing (with missing parents) as a directory of mode 0700."""
    directory = Path(path)
    directory.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    return directory


def private_file(path: str | os.PathLike[str]) -> Path:
    """`path`, created empty with mode 0600 if missing (its directory as `private_directory`);
    an empty file is what SQLite takes for a new database."""
    file = Path(path)
    private_directory(file.parent)
    with suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    return file
