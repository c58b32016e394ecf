"""Scheduler: 1,000 active deployments due at the same minute, fired by 2 schedulers looking at
the same time (two threads sharing one SQLite store, as two workers share it), each fire exactly
once (checked: 1,000 rebalance jobs, one per deployment).

Target: no peer; the row reports the time to fire them all (the issue asks for it measured).
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import Row, Table
from store.sqlite import SQLiteStore
from trading.scheduling import REBALANCE_KIND, fire_due

DEPLOYMENTS = 1_000
SPEC = {"schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"}, "capital": 1.0}
ACTIVATED = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
LOOK = datetime(2024, 7, 1, 19, 46, tzinfo=UTC)


def run(table: Table) -> None:
    """The row: time for two racing schedulers to fire 1,000 due deployments once each."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "store.sqlite", clock=lambda: ACTIVATED)
        for i in range(DEPLOYMENTS):
            draft = store.create_deployment(f"owner{i % 50}", f"d{i}", "draft", SPEC)
            store.update_deployment(draft.owner, draft.id, expected_version=1, status="active")
        barrier = threading.Barrier(2)
        submitted: list[int] = []

        def scheduler() -> None:
            barrier.wait()
            submitted.append(len(fire_due(store, LOOK).submitted))

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        jobs = [
            job
            for owner in range(50)
            for job in store.list_jobs(f"owner{owner}", limit=1000)
            if job.kind == REBALANCE_KIND
        ]
        once = len(jobs) == DEPLOYMENTS == sum(submitted)
        store.close()
    table.add(
        Row(
            "scheduler: 1,000 deployments due at one minute",
            "2 schedulers racing, SQLite",
            "(information)",
            seconds * 1000,
            seconds * 1000,
            f"{len(jobs)} jobs, each fire {'once' if once else 'NOT once'}: {seconds:.2f} s",
        )
    )
