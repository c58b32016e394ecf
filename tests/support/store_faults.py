"""Store faults for job tests: a real SQLite store whose n-th write fails as chosen.

`FaultyStore(store, fail_at, kind)` forwards every call to a real `SQLiteStore` and numbers the
writes a job run makes (`WRITES`, in the order they happen; heartbeats run on a timer thread, so
they are not numbered: their position is not reproducible). Write number `fail_at` fails once,
one of `FAULT_KINDS`:

- `locked`: for real. Another connection holds `BEGIN EXCLUSIVE` on the file while the write
  runs (the store's busy timeout is short in these tests), then lets go.
- `unavailable`, `read-only`, `disk full`: SQLite's own error (`disk I/O error`, `attempt to
  write a readonly database`, `database or disk is full`) raised inside the store's error
  translation, so the caller gets exactly the `StoreUnavailableError` a real fault produces.
  (This machine runs tests as root, for whom file modes do not make a file read-only, and a
  page limit only fails a write that needs a new page.)
- `deleted`: for real. The database file and its WAL are unlinked (as a user deleting the data
  directory would, with the store's connections open) before the write; the fault is
  permanent.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from quant.fanova import EncodedSpace
from store import StoreUnavailableError
from store.sqlite import SQLiteStore

WRITES = frozenset(
    {
        "submit_job",
        "transition",
        "claim",
        "release",
        "complete_job",
        "append_events",
        "put_trials",
    }
)
"""The store methods with which a job run writes, in a reproducible order."""

SIMULATED = {
    "unavailable": "disk I/O error",
    "read-only": "attempt to write a readonly database",
    "disk full": "database or disk is full",
}
"""SQLite's message for each fault kind that is raised rather than caused."""

TRANSIENT_FAULTS = ("locked", *SIMULATED)
"""Faults that go away: the job must then end as if nothing had happened."""

FAULT_KINDS = (*TRANSIENT_FAULTS, "deleted")

BUSY_TIMEOUT = 0.05
"""Seconds a write waits for a lock in these tests (production waits 10 s)."""


class FaultyStore:
    """`store` with its `fail_at`-th write (1-based; None: never) failing once as `kind`."""

    def __init__(
        self, store: SQLiteStore, fail_at: int | None = None, kind: str = "locked"
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        self.inner = store
        self.fail_at = fail_at
        self.kind = kind
        self.writes: list[str] = []
        self.injected: str | None = None
        """The write chosen to fail (method and label), once it was reached."""
        self.failed = False
        """Whether that write did fail (a harness check)."""
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name not in WRITES:
            return attribute
        return self._wrap(name, attribute)

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.writes.append(label(name, args))
                number = len(self.writes)
            if number != self.fail_at:
                return method(*args, **kwargs)
            self.injected = self.writes[-1]
            try:
                return self._fail(name, method, *args, **kwargs)
            except StoreUnavailableError:
                self.failed = True
                raise

        return write

    def _fail(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.kind == "locked":
            return self._while_locked(method, *args, **kwargs)
        if self.kind == "deleted":
            for path in self.inner.path.parent.glob(self.inner.path.name + "*"):
                path.unlink()
            return method(*args, **kwargs)
        with self.inner._errors(name):
            raise sqlite3.OperationalError(SIMULATED[self.kind])

    def _while_locked(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        locker = sqlite3.connect(self.inner.path, isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            return method(*args, **kwargs)
        finally:
            locker.execute("ROLLBACK")
            locker.close()


def label(name: str, args: tuple[Any, ...]) -> str:
    """`append_events progress evaluate` for an event append, else the method name."""
    if name == "append_events" and len(args) == 3:
        return " ".join([name] + [f"{e.type} {e.node}" for e in args[2]])
    return name


Importance = Callable[..., dict[str, float]]


def remembered(importance: Importance) -> Importance:
    """`quant.fanova.fanova_importance` answering again from what it answered for the same
    trials (their encoding, bounds and columns), objective and seed: it is a pure function of
    them, and a job run again and again (a fault at each of its writes) asks it the same."""
    answers: dict[tuple[Any, ...], dict[str, float]] = {}

    def importance_of(space: EncodedSpace, objective: np.ndarray, *, seed: int) -> dict[str, float]:
        values = np.asarray(objective, dtype=np.float64)
        key = (
            space.X.shape,
            space.X.tobytes(),
            space.bounds.tobytes(),
            tuple((name, columns.tobytes()) for name, columns in space.columns.items()),
            values.tobytes(),
            seed,
        )
        if key not in answers:
            answers[key] = importance(space, values, seed=seed)
        return dict(answers[key])

    return importance_of


def remembered_fit(fit: Callable[..., Any]) -> Callable[..., Any]:
    """`quant.strategy_model.fit_strategy_model` answering again with the model it fitted to
    the same rows, targets, held-out rows and options: the same inputs and seed give the same
    trees, and a job run again and again teaches its owner's new model the same trials."""
    answers: dict[tuple[Any, ...], Any] = {}

    def fitted(X: np.ndarray, Y: np.ndarray, held_out: np.ndarray, **options: Any) -> Any:
        arrays = [np.asarray(a) for a in (X, Y, held_out)]
        key = (
            tuple((a.shape, a.dtype.str, a.tobytes()) for a in arrays),
            tuple(sorted(options.items())),
        )
        if key not in answers:
            answers[key] = fit(X, Y, held_out, **options)
        return answers[key]

    return fitted
