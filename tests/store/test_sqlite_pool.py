"""The SQLite store's connection pool (`store.sqlite.connection`): connections are bounded per
store however many threads come and go, given back after each read or transaction, and closed
with the store, so the process's open descriptors on the database return to where they were."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from store import StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.support.store_contract import ALICE


def descriptors_on(path: Path) -> int:
    """This process's open file descriptors on the database file and its WAL and index."""
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                count += 1
        except OSError:  # closed meanwhile (the listing's own descriptor)
            pass
    return count


pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc (Linux)"
)


def test_opening_and_closing_the_store_many_times_leaves_no_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    SQLiteStore(path).close()
    baseline = descriptors_on(path)
    for i in range(50):
        store = SQLiteStore(path)
        store.create_portfolio(ALICE, f"p{i}", {"weights": []})
        assert len(store.list_portfolios(ALICE)) == i + 1
        assert descriptors_on(path) > baseline
        store.close()
        assert store.open_connections() == 0
        assert descriptors_on(path) == baseline


def test_threads_that_come_and_go_share_a_bounded_pool(tmp_path: Path) -> None:
    """200 short-lived threads (as a thread pool grows and shrinks) each read and write: the
    store never holds more than `max_connections` connections, and after closing none."""
    path = tmp_path / "store.sqlite"
    store = SQLiteStore(path, max_connections=3)
    baseline_after_open = store.open_connections()
    peak = [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        store.create_portfolio(ALICE, f"p{i}", {"weights": []})
        store.list_portfolios(ALICE)
        with lock:
            peak[0] = max(peak[0], store.open_connections())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.list_portfolios(ALICE)) == 200
    assert baseline_after_open <= 1 and 1 <= peak[0] <= 3
    assert store.open_connections() <= 3
    assert descriptors_on(path) <= 2 * 3 + 1  # each connection: the database and its WAL
    store.close()
    assert store.open_connections() == 0 and descriptors_on(path) == 0


def test_a_read_inside_a_transaction_uses_its_connection(tmp_path: Path) -> None:
    """With one connection, a read inside a transaction neither waits for a second one nor
    misses the transaction's own writes."""
    store = SQLiteStore(tmp_path / "store.sqlite", max_connections=1, busy_timeout=0.5)
    with store._tx("test") as conn:
        conn.execute(
            "INSERT INTO cache (owner, key, value, expires_at) VALUES (?, ?, ?, ?)",
            (ALICE, "k", "v", 2**62),
        )
        rows = store._read("test", "SELECT value FROM cache WHERE key = ?", ("k",))
        assert [r[0] for r in rows] == ["v"]
    store.close()


def test_a_borrower_waits_for_a_connection_then_gives_up(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", max_connections=1, busy_timeout=0.2)
    with store._connection(), ThreadPoolExecutor(1) as other:
        waiting = other.submit(store.list_portfolios, ALICE)
        with pytest.raises(StoreUnavailableError, match="all 1 connections stayed in use"):
            waiting.result(timeout=10)
    assert store.list_portfolios(ALICE) == []  # given back: the next borrower gets it
    store.close()
    with pytest.raises(StoreUnavailableError, match="closed"):
        store.list_portfolios(ALICE)
