"""An optimization job whose disk fills while it runs, then has room again, in a child process
(`tests/jobs/test_full_disk.py`).

`python -m tests.support.full_disk_job DATA_DIR LIMIT` opens the store in DATA_DIR, and a
worker runs its pending job while no file may grow past LIMIT bytes (`RLIMIT_FSIZE`: the
store's database and WAL, the checkpoints, the run's files all fail as on a full disk once
they would pass it); then the limit is lifted (the disk has room again) and the worker polls
on (as `Worker.run_forever` does) until the job has ended. It prints a JSON object: `faults` (the store errors the worker
raised while the disk was full) and the job's final `status`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from graphs.job_handlers import KIND, optimization_handler
from jobs.worker import Worker
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


def main(argv: list[str]) -> int:
    data_dir, limit = Path(argv[0]), int(argv[1])
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
    print(json.dumps({"faults": faults, "status": store.get_job(OWNER, job.id).status}))
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
