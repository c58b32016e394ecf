"""An optimization job whose disk fills while it runs, then has room again, in a child process
forked from a forkserver that imported the workflow once (`tests/jobs/test_full_disk.py`,
`tests.support.forked`).

`run(data_dir, limit, summary)` opens the store in `data_dir`, and a worker runs its pending
job while no file may grow past `limit` bytes (`RLIMIT_FSIZE`: the store's database and WAL,
the checkpoints, the run's files all fail as on a full disk once they would pass it); then the
limit is lifted (the disk has room again) and the worker polls on (as `Worker.run_forever`
does) until the job has ended. It writes a JSON object to `summary`: `faults` (the store
errors the worker raised while the disk was full) and the job's final `status`.
"""

from __future__ import annotations

import json
from pathlib import Path

from graphs.job_handlers import KIND, optimization_handler
from graphs.manifest import tool_schema_hash
from jobs.worker import Worker
from quant.data import sp500_prices
from settings import ModelSettings, Settings
from store import TERMINAL_STATUSES, StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.full_disk import file_size_limit

OWNER = "alice"
TURNS = 6
"""Times the worker looks for work once the disk has room again (each after the lease of a
job left running ran out)."""
LEASE_SECONDS = 30.0
PRELOAD = ["graphs.job_handlers", "tests.support.full_disk_job"]
"""What the forkserver imports (and `warm`s) once, before any child is forked."""


def warm() -> None:
    """What every child would otherwise do on its first run (called by the forkserver, before
    any limit): the embedded market data loaded, and the tools' schema hash of the run's
    manifest."""
    sp500_prices()
    tool_schema_hash()


def run(data_dir: Path, limit: int, summary: Path) -> None:
    """Run the store's one job on a disk full at `limit` bytes a file, then with room again;
    the summary to `summary` (see the module docstring)."""
    settings = Settings(data_dir=data_dir, models=ModelSettings(provider="offline"))
    clock = FakeClock()
    store = SQLiteStore(data_dir / "store.sqlite", clock=clock)
    (job,) = store.list_jobs(OWNER)
    worker = Worker(
        store,
        {KIND: optimization_handler},
        lease_seconds=LEASE_SECONDS,
        backoff=(0.0,),
        max_attempts=3,
        settings=settings,
    )
    faults: list[str] = []
    with file_size_limit(limit):
        try:
            worker.run_once()
        except StoreUnavailableError as exc:
            faults.append(str(exc))
    for _ in range(TURNS):  # the disk has room again: the worker polls on, as `run_forever`
        if worker.run_once() is None and store.get_job(OWNER, job.id).status == "running":
            clock.advance(LEASE_SECONDS + 1)  # left running (its lease held): the lease runs out
        if store.get_job(OWNER, job.id).status in TERMINAL_STATUSES:
            break
    status = store.get_job(OWNER, job.id).status
    store.close()
    summary.write_text(json.dumps({"faults": faults, "status": status}))
