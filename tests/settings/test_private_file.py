"""`settings.files.private_file` makes an owner-only file without ever opening the file itself.

Closing any descriptor of a file drops every POSIX lock the process holds on it (SQLite's own
among them): a thread that created a SQLite file by opening and closing it while another thread
of the process had already opened it through SQLite released that connection's locks, and
another process could then checkpoint and delete the write-ahead log under it. The concurrent
first-use test lost one job of 24 that way (`tests/store/test_concurrent_first_use.py`).
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings.files import PRIVATE_FILE_MODE, private_file

_watched: list[tuple[str, list[str]]] = []
"""(file name, the opens of a path ending with it) while a test watches."""


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _watched and isinstance(args[0], str | bytes | os.PathLike):
        opened = os.fsdecode(args[0])
        for name, seen in _watched:
            if os.path.basename(opened) == name:
                seen.append(opened)


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one only looks while watched


@contextmanager
def opens_of(path: Path) -> Iterator[list[str]]:
    """The opens of `path`'s name (any directory) in this process while the block runs."""
    seen: list[str] = []
    _watched.append((path.name, seen))
    try:
        yield seen
    finally:
        _watched.remove((path.name, seen))


def test_a_new_file_is_made_owner_only_without_opening_it(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "store.sqlite"
    with opens_of(path) as opened:
        assert private_file(path) == path
    assert opened == []
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_FILE_MODE and path.stat().st_size == 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["store.sqlite"]  # nothing left


def test_an_existing_file_keeps_its_bytes_and_loses_others_permissions(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"SQLite format 3\0")
    path.chmod(0o644)
    with opens_of(path) as opened:
        private_file(path)
    assert opened == []
    assert path.read_bytes() == b"SQLite format 3\0"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(threads=st.integers(2, 12))
def test_threads_making_the_same_file_at_once_make_one(
    tmp_path_factory: pytest.TempPathFactory, threads: int
) -> None:
    directory = tmp_path_factory.mktemp("same")
    path = directory / "store.sqlite"
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def make() -> None:
        barrier.wait()
        try:
            private_file(path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    started = [threading.Thread(target=make) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    assert errors == []
    assert [p.name for p in directory.iterdir()] == ["store.sqlite"]
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_FILE_MODE


def test_a_file_system_without_hard_links_still_gets_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT and some network shares refuse `link`: the file is then created directly."""

    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "store.sqlite"
    assert private_file(path) == path
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE_FILE_MODE
    assert [p.name for p in tmp_path.iterdir()] == ["store.sqlite"]
