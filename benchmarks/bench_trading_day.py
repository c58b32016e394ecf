"""The trading day's part of a tick: 1,000 opened paper accounts (one deployment each) at 21:20
in New York, when each is due its snapshot (the 16:00 slot), its post-market run and its
tearsheets' job waits for that run; a first tick submits 2,000 jobs, the next finds them all
submitted (what every later tick of the evening does).

Target: no peer; the rows report the two ticks' times (the tick runs every minute: it must stay
well under one).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import Row, Table
from settings import Settings
from store.sqlite import SQLiteStore
from trading.day.schedule import submit_day_jobs

ACCOUNTS = 1_000
SPEC = {
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "capital": 1.0,
    "universe": ["AAPL"],
}
ACTIVATED = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
LOOK = datetime(2024, 7, 2, 1, 20, tzinfo=UTC)  # 21:20 on Monday 2024-07-01 in New York


def run(table: Table) -> None:
    """The rows: the first tick (submitting) and the next (all submitted already)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "store.sqlite", clock=lambda: ACTIVATED)
        for i in range(ACCOUNTS):
            owner = f"owner{i % 50}"
            draft = store.create_deployment(owner, f"d{i}", "draft", SPEC)
            store.update_deployment(owner, draft.id, expected_version=1, status="active")
            store.create_broker_account(owner, f"paper-{draft.id}", "paper", {})  # opened
        settings = Settings(data_dir=Path(tmp))
        times, counts = [], []
        for _ in range(2):
            started = time.perf_counter()
            jobs = submit_day_jobs(store, LOOK, settings)
            times.append(time.perf_counter() - started)
            counts.append((len(jobs.jobs), jobs.already_claimed))
        store.close()
    for label, seconds, (new, claimed) in zip(("first", "next"), times, counts, strict=True):
        table.add(
            Row(
                f"trading day: a tick's {label} look at 1,000 accounts",
                "SQLite",
                "(information)",
                seconds * 1000,
                seconds * 1000,
                f"{new} jobs submitted, {claimed} already: {seconds:.2f} s",
            )
        )
