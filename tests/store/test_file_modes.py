"""What Stratigos writes to a local disk is its owner's alone: a fresh data directory is 0700, the
SQLite store, chat checkpoints and memories (with their WAL files) are 0600, and the research
index's directory is 0700; a run's directory is 0700 and its request, trace, result and reports
0600, however deep the directories it needs. What an older version left readable by others is
tightened when the data directory is opened. An existing data directory keeps the mode its user
gave it, and what is not Stratigos's in it is left alone."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.reports import write_reports
from graphs.optimization_run import run_optimization
from graphs.request import OptimizationRequest
from research.chunking import Chunk
from research.index import IndexedChunk
from services.research import research_index
from settings import Settings
from settings.files import DATA_DIR_ENTRIES
from store.checkpoints import checkpointer
from store.memories import memory_store
from store.sqlite import SQLiteStore
from tests.support.requests import SMALL_REQUEST


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> object:
    """The common umask 022 (files 0644, directories 0755 unless asked otherwise)."""
    import os

    previous = os.umask(0o022)
    yield previous
    os.umask(previous)


def test_a_fresh_data_directory_and_its_files_are_owner_only(
    tmp_path: Path, loose_umask: object
) -> None:
    data_dir = tmp_path / "fresh" / "data"
    settings = Settings(data_dir=data_dir, models={"provider": "offline"})
    store = SQLiteStore(data_dir / "store.sqlite")
    store.create_api_key("alice", "tests")
    store.add_document("alice", "a.txt", "text/plain", b"text", [Chunk(0, "text", {})], None)
    with checkpointer(settings) as saver:
        assert saver is not None
    with memory_store(settings) as memories:
        memories.put(("memories", "alice"), "m1", {"text": "prefers ETFs"})
    index = research_index(settings)
    chunk = IndexedChunk("doc_1", "a.txt", 0, {}, "some text", datetime.now(UTC))
    index.add("alice", [chunk])
    try:
        assert mode(data_dir) == 0o700
        sqlite_files = sorted(p for p in data_dir.iterdir() if ".sqlite" in p.name)
        names = {p.name for p in sqlite_files}
        assert {"store.sqlite", "store.sqlite-wal", "store.sqlite-shm"} <= names
        assert {"checkpoints.sqlite", "memories.sqlite"} <= names
        assert {p.name: mode(p) for p in sqlite_files} == dict.fromkeys(names, 0o600)
        assert mode(data_dir / "research-index") == 0o700
    finally:
        store.close()


def test_an_existing_directory_keeps_its_mode(tmp_path: Path, loose_umask: object) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    with SQLiteStore(shared / "store.sqlite") as store:
        store.create_api_key("alice", "tests")
    assert mode(shared) == 0o755
    assert mode(shared / "store.sqlite") == 0o600


def owned_entries(data_dir: Path) -> list[str]:
    """What is in `data_dir` that `DATA_DIR_ENTRIES` does not name."""
    return [
        p.name
        for p in data_dir.iterdir()
        if not any(p.name == own or p.name.startswith(f"{own}-") for own in DATA_DIR_ENTRIES)
    ]


def test_a_run_s_directory_and_files_are_owner_only(tmp_path: Path, loose_umask: object) -> None:
    """A run in a data directory that has no `runs/` yet: the directories it makes (`runs/`
    too, which `mkdir(parents=True)` would leave 0755) are 0700, its files 0600."""
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, models={"provider": "offline"})
    settings.ensure_data_dir()
    outcome = run_optimization(OptimizationRequest.model_validate(SMALL_REQUEST), settings=settings)
    assert outcome.status == "succeeded", outcome.reason
    reports = write_reports(outcome.directory)
    assert [p.name for p in reports] == ["report.md", "report.html"]
    assert mode(data_dir / "runs") == 0o700 and mode(outcome.directory) == 0o700
    files = sorted(outcome.directory.iterdir())
    names = {p.name for p in files}
    assert {"request.json", "events.jsonl", "result.json", "report.md", "report.html"} <= names
    assert {p.name: mode(p) for p in files} == dict.fromkeys(names, 0o600)
    assert owned_entries(data_dir) == []  # everything the run left is Stratigos's, by name


def test_what_an_older_version_left_readable_is_tightened_when_the_data_dir_opens(
    tmp_path: Path, loose_umask: object
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    run = data_dir / "runs" / "run_old"
    run.mkdir(parents=True, mode=0o755)
    (run / "result.json").write_text("{}")
    (data_dir / "threads").mkdir(mode=0o755)
    for name in ("store.sqlite", "store.sqlite-wal", "checkpoints.sqlite", "serve-sign-in.txt"):
        (data_dir / name).write_text("")
    mine = data_dir / "notes.txt"  # not Stratigos's: left as its user made it
    mine.write_text("mine")
    assert mode(run / "result.json") == 0o644 and mode(run) == 0o755
    Settings(data_dir=data_dir).ensure_data_dir()
    assert mode(data_dir) == 0o755  # the user's directory keeps its mode
    assert mode(data_dir / "runs") == 0o700 and mode(run) == 0o700
    assert mode(run / "result.json") == 0o600
    assert mode(data_dir / "threads") == 0o700
    for name in ("store.sqlite", "store.sqlite-wal", "checkpoints.sqlite", "serve-sign-in.txt"):
        assert mode(data_dir / name) == 0o600, name
    assert mode(mine) == 0o644
    assert owned_entries(data_dir) == ["notes.txt"]
