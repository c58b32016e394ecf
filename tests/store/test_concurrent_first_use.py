"""Concurrent first use (issue 50): what is set up lazily on first use — the SQLite store's
schema (and its upgrade from an older version), LangGraph's memory store and checkpointer (the
project's and `langgraph dev`'s), the research index's tables and full-text index — tolerates
any number of threads and processes arriving at once on a fresh data directory.

`PROCESSES` processes (`tests/support/first_use.py`, started once and prepared by each test
for what it opens) of `THREADS` threads each open the same thing at the same moment (the
processes are released together once all are ready, the threads of each by a barrier) and
write one record each; over `ROUNDS` fresh data directories every
call must succeed, every record must be there and the schema must be the one a lone opener
makes. Before the fix, two memory recalls at once failed with "UNIQUE constraint failed:
store_migrations.v", and concurrent research uploads with LanceDB commit conflicts.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from store.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore

pytestmark = pytest.mark.slow  # processes that import LangGraph or LanceDB, several rounds

PROCESSES = 4
THREADS = 6
ROUNDS = 3
STORE_ROUNDS = 12
"""Rounds of the SQLite store, whose race (two connections switching a new file to WAL) is
rarer and whose rounds are cheap."""
OPENERS = PROCESSES * THREADS
ROOT = Path(__file__).resolve().parents[2]


class Openers:
    """The `PROCESSES` opener processes (`tests/support/first_use.py`), started once for the
    module: each test prepares them for its kind, then races them on fresh data directories."""

    def __init__(self) -> None:
        command = [sys.executable, "-m", "tests.support.first_use", str(THREADS)]
        self.processes = [
            subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            for _ in range(PROCESSES)
        ]

    def _send(self, line: str) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(f"{line}\n")
            process.stdin.flush()

    def _answers(self) -> list[str]:
        answers = []
        for process in self.processes:
            assert process.stdout is not None
            answers.append(process.stdout.readline())
        return answers

    def prepare(self, kind: str) -> None:
        """Every process has imported what `kind` needs (none is left importing in a race)."""
        self._send(f"prepare {kind}")
        assert self._answers() == ["ready\n"] * PROCESSES

    def go(self, data_dir: Path) -> list[str]:
        """Every process's threads open the prepared kind in `data_dir` at once; the errors."""
        self._send(f"open {data_dir}")  # all are waiting on their stdin: released together
        return [error for answer in self._answers() for error in json.loads(answer)]

    def close(self) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in self.processes:
            assert process.wait(timeout=60) == 0


@pytest.fixture(scope="module")
def openers() -> Iterator[Openers]:
    started = Openers()
    try:
        yield started
    finally:
        started.close()


def run_rounds(
    openers: Openers,
    tmp_path: Path,
    kind: str,
    prepare: Callable[[Path], None] | None = None,
    rounds: int = ROUNDS,
) -> list[Path]:
    """`rounds` fresh data directories (each made by `prepare` when given), each opened by
    every thread of every process at once; every call must succeed."""
    openers.prepare(kind)
    directories = []
    for number in range(rounds):
        data_dir = tmp_path / f"round-{number}"
        data_dir.mkdir()
        if prepare is not None:
            prepare(data_dir)
        errors = openers.go(data_dir)
        assert errors == [], f"round {number}: {len(errors)} failed:\n" + "\n".join(errors[:3])
        directories.append(data_dir)
    return directories


def schema(path: Path) -> list[tuple[str, str, str]]:
    """The tables and indexes of the SQLite file `path` with their SQL, sorted."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return sorted((kind, name, " ".join((sql or "").split())) for kind, name, sql in rows)


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def check_store(data_dir: Path, reference: list[tuple[str, str, str]]) -> None:
    """The store's schema is current, as a lone opener makes it, with one job per opener."""
    path = data_dir / "store.sqlite"
    assert rows(path, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    assert schema(path) == reference
    assert rows(path, "SELECT count(*) FROM jobs") == [(OPENERS,)]


def test_the_store_schema_is_created_once_by_concurrent_openers(
    openers: Openers, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    SQLiteStore(reference / "store.sqlite").close()
    for data_dir in run_rounds(openers, tmp_path, "store", rounds=STORE_ROUNDS):
        check_store(data_dir, schema(reference / "store.sqlite"))


def old_store(data_dir: Path, version: int = 10) -> None:
    """A store file at schema `version` (the migrations up to it applied, as that release did)."""
    with closing(sqlite3.connect(data_dir / "store.sqlite", isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for number, script in sorted(MIGRATIONS):
            if number <= version:
                connection.executescript(script)
        connection.execute("INSERT INTO schema_version VALUES (?)", (version,))


def test_an_older_store_is_upgraded_once_by_concurrent_openers(
    openers: Openers, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    old_store(reference)
    SQLiteStore(reference / "store.sqlite").close()
    for data_dir in run_rounds(openers, tmp_path, "store", prepare=old_store, rounds=STORE_ROUNDS):
        check_store(data_dir, schema(reference / "store.sqlite"))


def check_memories(path: Path) -> None:
    """LangGraph's store migrations ran once each, in order, and every opener's memory is kept."""
    from langgraph.store.sqlite.base import MIGRATIONS as STORE_MIGRATIONS

    versions = rows(path, "SELECT v FROM store_migrations ORDER BY v")
    assert versions == [(v,) for v in range(len(STORE_MIGRATIONS))]
    columns = {row[1] for row in rows(path, "PRAGMA table_info(store)")}
    assert {"prefix", "key", "value", "expires_at", "ttl_minutes"} <= columns
    assert rows(path, "SELECT count(*) FROM store") == [(OPENERS,)]


def test_the_memory_store_is_set_up_once_by_concurrent_openers(
    openers: Openers, tmp_path: Path
) -> None:
    for data_dir in run_rounds(openers, tmp_path, "memories"):
        check_memories(data_dir / "memories.sqlite")


def check_checkpoints(path: Path, threads: int) -> None:
    """The checkpointer's tables (with the column its migration adds) and `threads` threads."""
    columns = {row[1] for row in rows(path, "PRAGMA table_info(writes)")}
    assert "task_path" in columns
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert rows(path, "SELECT count(DISTINCT thread_id) FROM checkpoints") == [(threads,)]


def test_the_checkpointer_is_set_up_once_by_concurrent_openers(
    openers: Openers, tmp_path: Path
) -> None:
    for data_dir in run_rounds(openers, tmp_path, "checkpoints"):
        check_checkpoints(data_dir / "checkpoints.sqlite", OPENERS)


def test_the_langgraph_dev_store_and_checkpointer_are_set_up_once(
    openers: Openers, tmp_path: Path
) -> None:
    for data_dir in run_rounds(openers, tmp_path, "platform"):
        check_memories(data_dir / "memories.sqlite")
        check_checkpoints(data_dir / "checkpoints.sqlite", 0)


def test_the_research_index_takes_concurrent_first_uploads(
    openers: Openers, tmp_path: Path
) -> None:
    from research.embeddings import HashingEmbedder
    from research.index import ResearchIndex

    for data_dir in run_rounds(openers, tmp_path, "research"):
        index = ResearchIndex(str(data_dir / "research-index"), HashingEmbedder())
        assert len(index.document_ids("alice")) == OPENERS
        hits = index.search("alice", "bonds", k=50, mode="bm25")
        assert len(hits) == OPENERS  # the full-text index covers every opener's chunk
