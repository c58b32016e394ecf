"""What Stratigos writes to a local disk is its owner's alone: a fresh data directory is 0700, the
SQLite store, chat checkpoints and memories (with their WAL files) are 0600, and the research
index's directory is 0700. An existing directory keeps the mode its user gave it."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from research.chunking import Chunk
from research.index import IndexedChunk
from services.research import research_index
from settings import Settings
from store.checkpoints import checkpointer
from store.memories import memory_store
from store.sqlite import SQLiteStore


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
