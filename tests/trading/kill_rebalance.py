"""Child processes for `test_kill_rebalance.py`: a rebalance job run by a worker that SIGKILLs
its own process right after its k-th store write, and the next worker that takes it over.

Each runs in a process forked from a forkserver that imported the execution services once.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobs.worker import Worker
from settings import JobSettings, NotificationSettings, Settings, SmtpSettings
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND

OWNER = "alice"
LEASE_SECONDS = 30.0
PRELOAD = ["trading.execution_jobs", "tests.trading.kill_rebalance"]
"""What the forkserver imports once, before any child is forked."""
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)
SPEC = {
    "strategy": {"kind": "weights", "weights": {"AAPL": 0.35, "KO": 0.3, "XOM": 0.3}},
    "universe": ["AAPL", "KO", "XOM"],
    "capital": 100_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
}
WRITES = (
    "claim",
    "heartbeat",
    "set_progress",
    "append_events",
    "create_broker_account",
    "save_broker_account",
    "append_ledger",
    "enqueue_orders",
    "update_orders",
    "record_executions",
    "update_deployment",
    "append_deployment_event",
    "complete_job",
)
"""The store's writes a rebalance job makes (those the store has are counted)."""


def _store(data_dir: Path, clock: FakeClock) -> SQLiteStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(data_dir / "store.sqlite", clock=clock)


def _clock() -> FakeClock:
    clock = FakeClock()
    clock.now = FIRE + timedelta(hours=2)  # after the session's close: the orders can fill
    return clock


def _worker(store: SQLiteStore, data_dir: Path) -> Worker:
    settings = Settings(
        data_dir=data_dir,
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1")),
        jobs=JobSettings(ticks=[]),
    )
    return Worker(store, HANDLERS, lease_seconds=LEASE_SECONDS, settings=settings)


def _count_writes(store: SQLiteStore, on_write: Callable[[int, str], None]) -> None:
    """Call `on_write(n, name)` after the store's n-th write in this process."""
    count = [0]
    for name in WRITES:
        method = getattr(store, name, None)
        if method is None:
            continue

        def counted(*args: Any, _method: Any = method, _name: str = name, **kwargs: Any) -> Any:
            done = _method(*args, **kwargs)
            count[0] += 1
            on_write(count[0], _name)
            return done

        setattr(store, name, counted)


def essence(store: SQLiteStore, deployment_id: str) -> dict[str, Any]:
    """What must not depend on where a worker died: the ledger's entries (without ids), the
    paper account's orders and cash, and the deployment's events (one `run_finished`)."""
    ledger = [
        [e.kind, e.symbol, e.side, e.quantity, e.price, e.fee, e.amount]
        for e in store.ledger(OWNER, deployment_id)
    ]
    state = store.get_broker_account(OWNER, f"paper-{deployment_id}").state
    orders = sorted(
        [o["symbol"], o["side"], o["quantity"], o["filled_quantity"], o["status"]]
        for o in state["orders"]
    )
    fills_per_order: dict[str, float] = {}
    for fill in state["fills"]:
        fills_per_order[fill["order_id"]] = (
            fills_per_order.get(fill["order_id"], 0.0) + fill["quantity"]
        )
    events = [
        [event.type, event.data.get("outcome"), event.data.get("filled")]
        for event in store.deployment_events(OWNER, deployment_id)
    ]
    return {
        "ledger": ledger,
        "orders": orders,
        "filled": sorted(fills_per_order.values()),
        "events": events,
    }


def run_until_killed(data_dir: Path, kill_after: int | None, report: Path) -> None:
    """Set up an active deployment and its rebalance job, run it, SIGKILLing this process
    after the store's write number `kill_after` (None: run to the end and write the number of
    writes and the essence to `report`)."""
    store = _store(data_dir, _clock())
    draft = store.create_deployment(OWNER, "core", "draft", SPEC)
    deployment = store.update_deployment(OWNER, draft.id, expected_version=1, status="active")
    store.submit_job(
        OWNER, REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    writes: list[str] = []

    def on_write(n: int, name: str) -> None:
        writes.append(name)
        if n == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    _count_writes(store, on_write)
    outcome = _worker(store, data_dir).run_once()
    assert outcome is not None and outcome.status == "succeeded", outcome
    report.write_text(json.dumps({"writes": writes, "essence": essence(store, deployment.id)}))


def take_over(data_dir: Path, reference: Path) -> None:
    """The next worker, once the killed one's lease ran out: the job ends succeeded with the
    uninterrupted run's ledger and paper account, every order placed once."""
    clock = _clock()
    clock.advance(LEASE_SECONDS + 1)
    store = _store(data_dir, clock)
    (deployment,) = store.list_deployments(OWNER)
    (job,) = store.list_jobs(OWNER)
    if job.status != "succeeded":
        outcome = _worker(store, data_dir).run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome
    result = store.get_result(OWNER, job.id).payload
    assert result["outcome"] == "filled" and result["reconciliation"]["matches"], result
    expected = json.loads(reference.read_text())["essence"]
    assert essence(store, deployment.id) == expected
