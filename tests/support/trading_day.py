"""Driving the scheduler through simulated trading days: the worker's minute tick
(`fire_due_schedules`) at every step of an injected clock, and every job it submits run before
the clock moves on (no real sleeps)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from api.tearsheet_jobs import HANDLERS as TEARSHEET_HANDLERS
from jobs.handlers import Handler
from jobs.job_runner import JobRunner
from settings import Settings
from store import Store
from tests.store.conftest import FakeClock
from trading.execution_jobs import HANDLERS as EXECUTION_HANDLERS
from trading.tick_jobs import FIRE_DUE_KIND

SPEC: dict[str, Any] = {
    "strategy": {"kind": "weights", "weights": {"AAPL": 0.5, "KO": 0.45}},
    "universe": ["AAPL", "KO"],
    "capital": 50_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
}
"""A paper deployment rebalanced at 15:45 New York every session (on the embedded data)."""


def day_runner(store: Store, settings: Settings) -> JobRunner:
    """A runner of every job kind of a trading day: the deployments' and the tearsheets'."""
    handlers: Mapping[str, Handler] = {**EXECUTION_HANDLERS, **TEARSHEET_HANDLERS}
    return JobRunner(store, handlers=handlers, settings=settings, backoff=(0.0,))


def simulate(
    runner: JobRunner,
    clock: FakeClock,
    start: datetime,
    end: datetime,
    *,
    step: timedelta = timedelta(minutes=15),
    before_tick: Callable[[datetime], object] = lambda now: None,
) -> int:
    """Tick at `start` and every `step` up to `end` (`before_tick(now)` first: e.g. what a
    broker stand-in does meanwhile), running every job due before the next step; the ticks."""
    ticks = 0
    clock.now = start
    while clock.now <= end:
        before_tick(clock.now)
        runner.worker.submit_tick(FIRE_DUE_KIND)
        while runner.run_once() is not None:
            pass
        ticks += 1
        clock.now += step
    return ticks


def paper_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a simulated day on the embedded market data (loopback webhooks allowed)."""
    return Settings(data_dir=data_dir, notifications={"smtp": {"host": "127.0.0.1"}}, **overrides)
