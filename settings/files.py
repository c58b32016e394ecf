"""Owner-only files and directories: what Stratigos keeps on a local disk (the SQLite store, chat
checkpoints, long-term memories, runs and chat threads, the research index, market data it
keeps) is readable by the user running it alone.

Directories are created with mode 0700 and files with mode 0600 (`private_directory`,
`private_file`, `write_private`; SQLite gives a database's `-wal` and `-shm` files the database
file's mode). What a library writes inside a private directory (the research index's table
files) keeps the process's umask but cannot be reached by other users through that directory.

What older versions left readable by others is tightened: `private_file` tightens the file it
is given, and `tighten_data_dir` (when the data directory is opened:
`Settings.ensure_data_dir`) the entries of `DATA_DIR_ENTRIES` in it, descending into each
directory that was not owner-only. The data directory itself keeps the mode it has: it may be
one its user shares on purpose.

A file written whole (a run's request and result, reports, exports, market data versions, shard
results) is written at once (`write_atomic`, which `write_private` uses): a temporary file beside
it, flushed to the disk, renamed over it. A full disk or a crash leaves the old file or none,
never an empty or truncated one.
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import suppress
from pathlib import Path

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
OTHERS = 0o077
"""The permission bits of the group and of others."""

DATA_DIR_ENTRIES = (
    "store.sqlite",
    "checkpoints.sqlite",
    "memories.sqlite",
    "runs",
    "threads",
    "research-index",
    "market-data",
    "serve-sign-in.txt",
)
"""What Stratigos keeps in its data directory (a SQLite file's `-wal`, `-shm` and `-journal`
files included): the entries `tighten_data_dir` tightens."""


def private_directory(path: str | os.PathLike[str]) -> Path:
    """`path`, created if missing as a directory of mode 0700, and so are its missing parents
    (`Path.mkdir(parents=True)` would give them the umask's mode)."""
    directory = Path(path)
    missing = [directory, *directory.parents]
    for depth, parent in enumerate(missing):
        if parent.is_dir():
            missing = missing[:depth]
            break
    for created in reversed(missing):
        with suppress(FileExistsError):
            created.mkdir(mode=PRIVATE_DIRECTORY_MODE)
    return directory


def private_file(path: str | os.PathLike[str]) -> Path:
    """`path`, created empty with mode 0600 if missing (its directory as `private_directory`),
    else tightened (`tighten`); an empty file is what SQLite takes for a new database.

    The file is made under a temporary name, closed, then linked to `path`: `path` itself is
    never opened here. Closing any descriptor of a file drops every POSIX lock this process
    holds on it, so a thread creating a SQLite file while another thread of the process has
    already opened it through SQLite would release that connection's locks, and another
    process could then checkpoint and delete the write-ahead log under it (its commits lost).
    """
    file = Path(path)
    private_directory(file.parent)
    if os.path.lexists(file):
        tighten(file)
        return file
    made = file.with_name(f".{file.name}.{secrets.token_hex(8)}.new")
    os.close(os.open(made, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    try:
        os.link(made, file)
    except FileExistsError:
        tighten(file)
    except OSError:  # a file system without hard links (FAT, some network shares)
        with suppress(FileExistsError):
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    finally:
        os.unlink(made)
    return file


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write `data` (text as UTF-8) to `path` at once (`write_atomic`), replacing what it held,
    as a file of mode 0600 (its directory as `private_directory`)."""
    file = Path(path)
    private_directory(file.parent)
    return write_atomic(file, data)


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, *, mode: int | None = PRIVATE_FILE_MODE
) -> Path:
    """Write `data` (text as UTF-8) to `path` whole or not at all: into a new temporary file
    beside it (``.<name>.<random>.partial``), flushed to the disk (`fsync`), then renamed over
    `path` (`os.replace`, atomic), so that a reader sees the old file or the whole new one,
    never a part, also after a crash or on a full disk. On any failure (`OSError`, e.g. no
    space left) the temporary file is removed and `path` is left as it was. The file gets
    `mode` (default 0600); with None, the mode `path` had, or a new file's default under the
    umask (a file the user named). The directory must exist."""
    file = Path(path)
    temporary = file.with_name(f".{file.name}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode or 0o666)
    try:
        with os.fdopen(descriptor, "wb") as out:
            if mode is not None:
                os.fchmod(descriptor, mode)  # exactly `mode`, whatever the umask
            else:
                with suppress(FileNotFoundError):
                    os.fchmod(descriptor, stat.S_IMODE(os.stat(file).st_mode))
            out.write(data.encode() if isinstance(data, str) else data)
            out.flush()
            os.fsync(descriptor)
        os.replace(temporary, file)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(file.parent)
    return file


def _sync_directory(directory: Path) -> None:
    """Flush `directory`'s entries to the disk (a rename is durable once its directory is);
    where a file system cannot (`OSError`), the rename stands as the kernel keeps it."""
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def tighten(path: str | os.PathLike[str]) -> bool:
    """Take the group's and others' permissions off `path` (not followed if a symbolic link);
    whether it had any."""
    with suppress(FileNotFoundError):
        status = os.lstat(path)
        mode = stat.S_IMODE(status.st_mode)
        if mode & OTHERS and not stat.S_ISLNK(status.st_mode):
            os.chmod(path, mode & ~OTHERS)
            return True
    return False


def _tighten_tree(path: Path) -> None:
    """`tighten` `path`, and what it holds when it is a directory that was not owner-only."""
    if tighten(path) and path.is_dir() and not path.is_symlink():
        for entry in path.iterdir():
            _tighten_tree(entry)


def tighten_data_dir(data_dir: str | os.PathLike[str]) -> None:
    """Tighten what older versions left readable by others among the `DATA_DIR_ENTRIES` of
    `data_dir` (see the module docstring)."""
    directory = Path(data_dir)
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if any(entry.name == own or entry.name.startswith(f"{own}-") for own in DATA_DIR_ENTRIES):
            _tighten_tree(entry)
