"""Writes of results, reports and exports are atomic (issue 50: a full disk left a 0-byte
`result.json`): `settings.files.write_atomic` (which `write_private` uses) leaves the old file
or the whole new one, never a part, and nothing beside it.

The full disk is real: a child process (`tests/support/full_disk.py`) writes under a file size
limit (`RLIMIT_FSIZE`), so the kernel refuses the bytes past it as a full disk would.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings.files import write_atomic, write_private

ROOT = Path(__file__).resolve().parents[2]


class Writer:
    """The child process that writes under a size limit."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.full_disk"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def write(self, path: Path, size: int, limit: int) -> int | None:
        """Write `size` bytes to `path` where no file may pass `limit` bytes; the errno."""
        failed: int | None = self.ask({"path": str(path), "size": size, "limit": limit})["errno"]
        return failed

    def ask(self, case: dict[str, Any]) -> dict[str, Any]:
        """The child's answer to `case` (see `tests/support/full_disk.py`)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(case) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer


@pytest.fixture(scope="module")
def writer() -> Iterator[Writer]:
    child = Writer()
    yield child
    assert child.process.stdin is not None
    child.process.stdin.close()
    assert child.process.wait(timeout=30) == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    old=st.one_of(st.none(), st.integers(0, 6_000)),
    size=st.integers(0, 30_000),
    limit=st.integers(1, 30_000),
)
def test_a_full_disk_leaves_the_old_file_or_the_whole_new_one(
    writer: Writer, tmp_path_factory: pytest.TempPathFactory, old: int | None, size: int, limit: int
) -> None:
    directory = tmp_path_factory.mktemp("atomic")
    path = directory / "result.json"
    if old is not None:
        path.write_bytes(b"o" * old)
    failed = writer.write(path, size, limit)
    if size <= limit:
        assert failed is None
        assert path.read_bytes() == b"n" * size
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    else:
        assert failed == errno.EFBIG  # the disk was full for it
        if old is None:
            assert not path.exists()  # no empty or partial file in its place
        else:
            assert path.read_bytes() == b"o" * old
    assert [p.name for p in directory.iterdir()] == (["result.json"] if path.exists() else [])


def test_a_named_file_keeps_its_mode_and_a_new_one_gets_the_umask(tmp_path: Path) -> None:
    """`mode=None` is for files a user names (`--output`): written atomically as well."""
    shared = tmp_path / "ledger.csv"
    shared.write_text("old")
    os.chmod(shared, 0o640)
    write_atomic(shared, "new", mode=None)
    assert shared.read_text() == "new" and stat.S_IMODE(shared.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        fresh = write_atomic(tmp_path / "report.html", b"<html>", mode=None)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    assert write_private(tmp_path / "deep" / "er" / "result.json", "{}").read_text() == "{}"
    assert stat.S_IMODE((tmp_path / "deep").stat().st_mode) == 0o700
