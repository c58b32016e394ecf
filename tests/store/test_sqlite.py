"""SQLite specifics: file settings, migrations, unavailability (unwritable path, full disk),
thread safety."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store import NotFoundError, Page, StoreUnavailableError, Trial
from store.sqlite import SCHEMA_VERSION, SQLiteStore
from store.sqlite.connection import MIGRATIONS
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, events, running_job


def test_file_settings_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "store.sqlite"
    store = SQLiteStore(path)
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    assert path.is_file()
    assert store.schema_version() == SCHEMA_VERSION
    with store._connection() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    store.close()
    # reopening keeps the data and does not re-run migrations
    again = SQLiteStore(path)
    assert again.get_job(ALICE, job.id) == job
    assert again.schema_version() == SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreUnavailableError, match="newer"):
        SQLiteStore(path)


def test_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailableError) as info:
        SQLiteStore(blocker / "store.sqlite")
    assert str(blocker) in str(info.value)
    assert not isinstance(info.value, OSError)


def test_directory_as_database_file(tmp_path: Path) -> None:
    (tmp_path / "store.sqlite").mkdir()
    with pytest.raises(StoreUnavailableError, match=r"store\.sqlite"):
        SQLiteStore(tmp_path / "store.sqlite")


def test_full_disk_never_marks_success(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "store.sqlite", max_db_bytes=512 * 1024, clock=clock)
    job_id = running_job(store)
    big = {"blob": "x" * (1024 * 1024)}
    with pytest.raises(StoreUnavailableError, match="full"):
        store.complete_job(ALICE, job_id, big, worker="w1")
    job = store.get_job(ALICE, job_id)
    assert job.status == "running" and job.lease_owner == "w1"
    with pytest.raises(NotFoundError, match="no result"):
        store.get_result(ALICE, job_id)
    # the store keeps working for what fits: the worker records the failure
    failed = store.transition(ALICE, job_id, ["running"], "failed", error="disk full")
    assert failed.status == "failed"
    store.close()


def test_many_threads_append_and_claim(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "store.sqlite", clock=clock)
    job_id = running_job(store)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            run = f"run_{i}"
            for start in range(1, 201, 20):
                store.append_events(ALICE, run, events(run, range(start, start + 20), clock))
            store.put_trials(ALICE, job_id, [Trial(i * 100 + n, {"i": i}) for n in range(100)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(6):
        assert [e.seq for e in store.events(ALICE, f"run_{i}")] == list(range(1, 201))
    assert len(store.trials(ALICE, job_id, limit=1000).items) == 600
    store.close()


def test_closed_store_reports_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite")
    store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.list_jobs(ALICE)


def test_a_version_5_store_gets_deployment_events_and_exports(tmp_path: Path) -> None:
    from store.sqlite import connection

    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:  # the store as migration 5 left it, with a deployment
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for _, script in connection.MIGRATIONS[:5]:
            conn.executescript(script)
        conn.execute("INSERT INTO schema_version VALUES (5)")
        conn.execute(
            "INSERT INTO deployments (id, owner, name, status, spec, version, created_at, "
            "updated_at) VALUES ('dep_1', ?, 'core', 'paused', '{}', 3, 1, 2)",
            (ALICE,),
        )
    store = SQLiteStore(path)
    [event] = store.deployment_events(ALICE, "dep_1")
    assert (event.seq, event.type, event.data["status"]) == (1, "created", "paused")
    store.update_deployment(ALICE, "dep_1", expected_version=3, status="active")
    assert [e.seq for e in store.deployment_events(ALICE, "dep_1")] == [1, 2]
    assert store.schema_version() == SCHEMA_VERSION == 19
    store.create_export(ALICE, "dep_1", "csv", b"x", rows=1)
    assert len(store.list_exports(ALICE, "dep_1")) == 1
    store.close()


def test_a_version_8_store_gets_profiles_and_ideas(tmp_path: Path) -> None:
    from store.sqlite import connection

    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:  # the store as migration 8 left it
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version, script in connection.MIGRATIONS:
            if version <= 8:
                conn.executescript(script)
        conn.execute("INSERT INTO schema_version VALUES (8)")
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.save_profile(ALICE, {"exclusions": ["AMD"]}).version == 1
    assert store.list_ideas(ALICE).items == []
    store.close()


def test_a_version_10_store_s_jobs_get_an_empty_trace_context(tmp_path: Path) -> None:
    from store.sqlite import connection

    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:  # the store as migration 10 left it, with a job
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version, script in connection.MIGRATIONS:
            if version <= 10:
                conn.executescript(script)
        conn.execute("INSERT INTO schema_version VALUES (10)")
        conn.execute(
            "INSERT INTO jobs (id, owner, kind, request, status, created_at, updated_at) "
            "VALUES ('job_old', ?, 'optimization', '{}', 'pending', 1, 1)",
            (ALICE,),
        )
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.get_job(ALICE, "job_old").trace_context is None
    context = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    new, _ = store.submit_job(ALICE, "optimization", {"n": 1}, trace_context=context)
    assert store.get_job(ALICE, new.id).trace_context == context
    store.close()


def test_a_version_15_store_keeps_its_orders_and_their_ids_become_the_owner_s(
    tmp_path: Path,
) -> None:
    from store.orders import NewOrder
    from store.sqlite import connection

    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:  # the store as migration 15 left it: ids were global
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for version, script in connection.MIGRATIONS:
            if version <= 15:
                conn.executescript(script)
        conn.execute("INSERT INTO schema_version VALUES (15)")
        conn.execute(
            "INSERT INTO queued_orders (client_order_id, owner, account, deployment_id, run_id, "
            "sequence, symbol, side, quantity, status, attempts, filled_quantity, average_price, "
            "created_at, updated_at, allocations) VALUES ('stg-1-00', ?, 'paper-shared-main', "
            "'paper-shared-main', 'acct-1', 1, 'KO', 'buy', 3.0, 'filled', 1, 3.0, 50.0, 1, 2, "
            "'[[\"dep_a\", 3.0]]')",
            (ALICE,),
        )
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    kept = store.get_order(ALICE, "stg-1-00")
    assert (kept.status, kept.filled_quantity, kept.average_price, kept.sequence) == (
        "filled",
        3.0,
        50.0,
        1,
    )
    assert [(a.deployment_id, a.quantity) for a in kept.allocations] == [("dep_a", 3.0)]
    # another owner's order under the same id on an account of the same name: another order
    same_id = [NewOrder("stg-1-00", "XOM", "sell", 2.0)]
    [bobs] = store.enqueue_orders(BOB, "paper-shared-main", "dep_b", "acct-1", same_id)
    assert (bobs.owner, bobs.symbol, bobs.sequence) == (BOB, "XOM", 1)
    assert store.get_order(ALICE, "stg-1-00") == kept
    more = [NewOrder("stg-2-00", "KO", "sell", 1.0)]
    [alices] = store.enqueue_orders(ALICE, "paper-shared-main", "dep_a", "acct-2", more)
    assert alices.sequence == 2
    assert [o.client_order_id for o in store.open_orders(ALICE, "paper-shared-main")] == [
        "stg-2-00"
    ]
    assert [o.symbol for o in store.list_orders(BOB)] == ["XOM"]
    store.close()


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    return [tuple(row) for row in rows]


def test_a_new_file_gets_the_schema_the_migrations_give_one_statement_at_a_time(
    tmp_path: Path,
) -> None:
    """A new file's schema is copied from the process's template: the same tables, indexes,
    their SQL and version as every migration run statement by statement (reference below)."""
    reference = sqlite3.connect(":memory:")
    reference.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for _, script in sorted(MIGRATIONS):
        for statement in script.split(";"):
            if statement.strip():
                reference.execute(statement)
    for name in ("one.sqlite", "two.sqlite"):  # the template serves every new file
        store = SQLiteStore(tmp_path / name)
        job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
        assert store.get_job(ALICE, job.id) == job
        store.close()
        with sqlite3.connect(tmp_path / name) as conn:
            assert _schema(conn) == _schema(reference)
            assert conn.execute("SELECT version FROM schema_version").fetchall() == [
                (SCHEMA_VERSION,)
            ]
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_holding_other_tables_is_migrated_in_place_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('kept')")
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT text FROM notes").fetchall() == [("kept",)]


def _steps(store: SQLiteStore, read: Callable[[], object]) -> int:
    """How many hundreds of virtual-machine steps SQLite takes for the reads of `read`."""
    steps = 0

    def tick() -> int:
        nonlocal steps
        steps += 1
        return 0

    with store._connection() as conn:  # the store's reads in this block use this connection
        conn.set_progress_handler(tick, 100)
        try:
            read()
        finally:
            conn.set_progress_handler(None, 0)
    return steps


def test_a_late_page_of_ideas_or_analyses_costs_what_the_first_does(tmp_path: Path) -> None:
    """Paging reads a range of the owner's index from the cursor on: the last page of 800
    records (two at each instant) takes about the steps of the first, not a walk over the
    790 records before it."""
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "pages.sqlite", clock=clock)
    for n in range(800):
        store.create_idea(ALICE, title=f"idea {n}", thesis="t", tickers=["KO"],
                          direction="long", horizon_days=30)  # fmt: skip
        store.put_analysis(ALICE, "simulation", None, {"n": n})
        clock.advance(0.5 * (n % 2))
    listings: list[Callable[[str | None, int], Page[Any]]] = [
        lambda cursor, limit: store.list_ideas(ALICE, cursor=cursor, limit=limit),
        lambda cursor, limit: store.list_analyses(ALICE, "simulation", cursor=cursor, limit=limit),
    ]
    for listing in listings:
        cursor = None
        for limit in (500, 290):
            cursor = listing(cursor, limit).next_cursor
        last = listing(cursor, 10)
        assert len(last.items) == 10 and last.next_cursor is None
        late = _steps(store, lambda f=listing, c=cursor: f(c, 10))
        early = _steps(store, lambda f=listing: f(None, 10))
        assert late <= 3 * early + 5, (late, early)
