"""The suite's scratch files go to this user's directory of a memory file system only when it is
one, has room, and the directory is the user's own; otherwise (or when `TMPDIR` is set) the default stays
(tests/support/scratch.py)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.scratch import DISK_TMPDIR, MEMORY_ROOT, disk_tempdir, use_memory_scratch

UID = os.getuid()


@pytest.fixture
def memory_dir() -> Iterator[Path]:
    """A fresh directory on the memory file system (skips where the machine has none)."""
    if not MEMORY_ROOT.is_dir():
        pytest.skip("no /dev/shm on this machine")
    with tempfile.TemporaryDirectory(dir=MEMORY_ROOT) as directory:
        yield Path(directory)


@pytest.fixture
def no_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`TMPDIR` (and what the scratch sets beside it) unset for the test; the process's own
    values and `tempfile`'s cache restored after it."""
    for variable in ("TMPDIR", DISK_TMPDIR, "RAY_TMPDIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # read from the environment again
    yield


def test_a_private_directory_on_tmpfs_becomes_tmpdir(memory_dir: Path, no_tmpdir: None) -> None:
    disk = tempfile.gettempdir()
    scratch = use_memory_scratch(memory_dir, min_free=1)
    assert scratch == memory_dir / f"st-{UID}"
    assert disk != str(scratch)
    assert disk_tempdir() == Path(disk) and os.environ["RAY_TMPDIR"] == disk  # kept on disk
    assert os.environ["TMPDIR"] == str(scratch)
    assert scratch.stat().st_mode & 0o777 == 0o711  # others pass through, never list or write
    assert Path(tempfile.mkdtemp()).parent == scratch  # `tempfile` reads it again


def test_a_set_tmpdir_stays(memory_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", "/somewhere/chosen")
    assert use_memory_scratch(memory_dir, min_free=1) is None
    assert os.environ["TMPDIR"] == "/somewhere/chosen"


def test_a_disk_or_a_full_tmpfs_is_not_used(
    memory_dir: Path, tmp_path_factory: pytest.TempPathFactory, no_tmpdir: None
) -> None:
    assert use_memory_scratch(memory_dir, min_free=1 << 60) is None  # too little room or memory
    disk = Path(__file__).resolve().parent  # the repository: not a tmpfs
    assert use_memory_scratch(disk, min_free=1) is None
    assert "TMPDIR" not in os.environ
    assert not (disk / f"st-{UID}").exists()


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_scratch_that_is_not_this_users_directory_is_not_used(
    memory_dir: Path, no_tmpdir: None, kind: str
) -> None:
    target = memory_dir / f"st-{UID}"
    if kind == "link":
        elsewhere = memory_dir / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        target.symlink_to(elsewhere)
    else:
        target.write_text("")
    assert use_memory_scratch(memory_dir, min_free=1) is None
    assert "TMPDIR" not in os.environ


def test_the_users_existing_directory_is_kept_and_closed_to_listing(
    memory_dir: Path, no_tmpdir: None
) -> None:
    target = memory_dir / f"st-{UID}"
    target.mkdir()
    target.chmod(0o777)
    (target / "kept").write_text("from an earlier session")
    assert use_memory_scratch(memory_dir, min_free=1) == target
    assert target.stat().st_mode & 0o777 == 0o711
    assert (target / "kept").read_text() == "from an earlier session"
