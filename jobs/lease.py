"""The lease a worker holds on the job it runs: a heartbeat thread that renews it every
`heartbeat_seconds` (with the progress the handler reported), and the stop signal the handler
reads (`ctx.cancelled()`): set when the job is cancelled or another worker took the lease over."""

from __future__ import annotations

import logging
import threading
import time
from typing import Literal

from store import ConflictError, Job, NotFoundError, Store, StoreUnavailableError
from store.owner_data import OwnerBusyError

__all__ = ["JobLease"]

log = logging.getLogger("jobs.worker")


class JobLease:
    """The lease on one job: a heartbeat thread, progress, and the stop signal for the handler."""

    def __init__(
        self,
        store: Store,
        job: Job,
        worker_id: str,
        lease_seconds: float,
        heartbeat_seconds: float,
        poll_seconds: float,
    ) -> None:
        self.store = store
        self.owner = job.owner
        self.job_id = job.id
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.poll_seconds = poll_seconds
        self.stopped = threading.Event()  # cancelled or lease lost
        self.reason: Literal["cancelled", "lost"] | None = None
        self._progress: tuple[int, int | None] | None = None
        self._last_write = 0.0
        self._last_poll = time.monotonic()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{job.id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    # -- signals -------------------------------------------------------------------------

    def _mark(self, current: Job | None) -> None:
        """Record why this worker must stop, from the job as the store has it now."""
        with self._lock:
            if self.reason is None:
                cancelled = current is not None and current.status == "cancelled"
                self.reason = "cancelled" if cancelled else "lost"
                log.info("job %s: %s", self.job_id, self.reason)
            self.stopped.set()

    def let_go(self) -> None:
        """Stop the handler at its next `ctx.cancelled()` without touching the job: its process
        is shutting down, and the job stays `running` until its lease expires and another
        worker takes it over (as after the process's death; reason "lost")."""
        with self._lock:
            if self.reason is None:
                self.reason = "lost"
                log.info("job %s: let go (the worker is stopping)", self.job_id)
            self.stopped.set()

    def refresh(self) -> bool:
        """Read the job now; True if this worker must stop (cancelled, or the lease is gone)."""
        self._last_poll = time.monotonic()
        try:
            job = self.store.get_job(self.owner, self.job_id)
        except (NotFoundError, OwnerBusyError):  # gone, or its owner's data erased
            self._mark(None)
            return True
        except StoreUnavailableError:
            return self.stopped.is_set()
        if job.status != "running" or job.lease_owner != self.worker_id:
            self._mark(job)
        return self.stopped.is_set()

    def cancelled(self) -> bool:
        """`ctx.cancelled()`: set by the heartbeat, or by a (rate-limited) read of the job."""
        if self.stopped.is_set():
            return True
        if time.monotonic() - self._last_poll >= self.poll_seconds:
            return self.refresh()
        return False

    def record_error(self, error: str) -> None:
        """Keep the failure of the attempt that just ended with the job (a heartbeat carrying
        it): the worker that gives up on the job, this one or another after a takeover, then
        states the cause. A store that cannot take the write leaves it to this process."""
        try:
            self.store.heartbeat(
                self.owner, self.job_id, self.worker_id, self.lease_seconds, error=error
            )
        except (ConflictError, NotFoundError, StoreUnavailableError, OwnerBusyError) as exc:
            log.warning("job %s: could not record the attempt's failure: %s", self.job_id, exc)

    def progress(self, done: int, total: int | None) -> None:
        """`ctx.progress`: kept for the next heartbeat; written now unless written < 0.2 s ago."""
        self._progress = (done, total)
        if done == total or time.monotonic() - self._last_write >= 0.2:
            self._beat()

    def store_progress(self) -> None:
        """Store the last progress reported now, before the job's result (a succeeded job's
        progress is the one its handler reported last); errors of the write propagate."""
        if self._progress is not None:
            self._renew()

    # -- heartbeat -----------------------------------------------------------------------

    def _renew(self) -> None:
        """Extend the lease, with the progress as it is when the write starts (one write at a
        time: a heartbeat never lands an older progress after a newer one)."""
        with self._write_lock:
            self.store.heartbeat(
                self.owner, self.job_id, self.worker_id, self.lease_seconds, progress=self._progress
            )

    def _beat(self) -> None:
        if self.stopped.is_set():
            return
        try:
            self._renew()
            self._last_write = time.monotonic()
        except ConflictError as exc:
            self._mark(exc.current if isinstance(exc.current, Job) else None)
        except (NotFoundError, OwnerBusyError):  # gone, or its owner's data erased
            self._mark(None)
        except StoreUnavailableError as exc:
            log.warning("job %s: heartbeat failed, will retry: %s", self.job_id, exc)

    def _loop(self) -> None:
        while not self._done.wait(self.heartbeat_seconds):
            self._beat()
