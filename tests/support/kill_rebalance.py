"""Child processes for `test_kill_rebalance.py`: a rebalance job run by a worker that SIGKILLs
its own process right after its k-th store write, and the next worker that takes it over.

Each runs in a process forked from a forkserver that imported the execution services once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from execution.schedule import trading_sessions
from jobs.worker import Worker
from quant.data import sp500_prices
from settings import JobSettings, NotificationSettings, Settings, SmtpSettings
from store import Deployment
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND

OWNER = "alice"
LEASE_SECONDS = 30.0
PRELOAD = ["trading.execution_jobs", "tests.support.kill_rebalance"]
"""What the forkserver imports (and `warm`s) once, before any child is forked."""
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


def warm() -> None:
    """What every child would otherwise build on its first use (called by the forkserver): the
    exchange calendar (half a second) and the embedded market data."""
    trading_sessions("XNYS", FIRE.date(), FIRE.date())
    sp500_prices()


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


def kill_after_write(store: SQLiteStore, kill_after: int | None) -> list[str]:
    """The names of the store's writes in this process, in order, as they happen; the process
    is SIGKILLed right after write number `kill_after` (None: never)."""
    writes: list[str] = []

    def on_write(n: int, name: str) -> None:
        writes.append(name)
        if n == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    _count_writes(store, on_write)
    return writes


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
    writes = kill_after_write(store, kill_after)
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


# -- a netted rebalance of two strategies sharing one paper account ---------------------------

SHARED_ACCOUNT = "paper-shared-main"
SHARED_FIRE = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)
SHARED_WEIGHTS = (
    ({"AAPL": 0.5, "KO": 0.45}, {"AAPL": 0.25, "KO": 0.7}),
    ({"KO": 0.2, "XOM": 0.75}, {"KO": 0.0, "XOM": 0.95}),
)
"""Each member's weights at the first fire and at `SHARED_FIRE`, where A buys the KO B sells."""


def _shared_spec(weights: dict[str, float]) -> dict[str, Any]:
    universe = sorted({s for pair in SHARED_WEIGHTS for w in pair for s in w})
    return {
        **SPEC,
        "strategy": {"kind": "weights", "weights": weights},
        "universe": [s for s in universe if s in weights],
        "capital": 50_000.0,
        "account": SHARED_ACCOUNT,
        "shared_account": True,
    }


def _run_jobs(store: SQLiteStore, data_dir: Path, fire: datetime, ids: list[str]) -> None:
    for deployment_id in ids:
        store.submit_job(
            OWNER, REBALANCE_KIND, {"deployment_id": deployment_id, "fire": fire.isoformat()}
        )
    worker = _worker(store, data_dir)
    for _ in ids:
        outcome = worker.run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome


def shared_essence(store: SQLiteStore) -> dict[str, Any]:
    """What must not depend on where a worker died in a netted rebalance: each member's ledger
    (entry ids included: slices name their fill and member) and events, the paper account's
    orders, and the queue's orders with their status, fills and allocations (members named by
    name)."""
    members = sorted(store.list_deployments(OWNER), key=lambda d: d.name)
    state = store.get_broker_account(OWNER, SHARED_ACCOUNT).state
    essence = {
        "ledgers": [
            [
                [e.entry_id, e.kind, e.symbol, e.side, e.quantity, e.price, e.fee, e.amount]
                for e in store.ledger(OWNER, m.id)
            ]
            for m in members
        ],
        "broker": sorted(
            [o["client_order_id"], o["symbol"], o["side"], o["quantity"], o["filled_quantity"]]
            for o in state["orders"]
        ),
    }
    return named_by_name(essence | events_and_queue(store, members), members)


def events_and_queue(store: SQLiteStore, members: list[Deployment]) -> dict[str, Any]:
    """Each member's events (type, outcome, filled, account) and the queue's orders with their
    status, fills and allocations."""
    return {
        "events": [
            [
                [e.type, e.data.get("outcome"), e.data.get("filled"), e.data.get("account")]
                for e in store.deployment_events(OWNER, m.id)
            ]
            for m in members
        ],
        "queue": [
            [
                o.client_order_id,
                o.status,
                o.filled_quantity,
                [[a.deployment_id, a.quantity] for a in o.allocations],
            ]
            for o in store.list_orders(OWNER)
        ],
    }


def named_by_name(found: dict[str, Any], members: list[Deployment]) -> dict[str, Any]:
    """`found` with each member's id replaced by its name (ids differ between processes)."""
    text = json.dumps(found)
    for member in members:
        text = text.replace(member.id, member.name)
    return dict(json.loads(text))


def prepare_shared(template: Path) -> None:
    """The store every netted run starts from (prepared once): two strategies on one paper
    account, their first fire run through, then each one's weights for `SHARED_FIRE` set."""
    clock = _clock()
    store = _store(template, clock)
    ids = []
    for name, (first, _) in zip(("a", "b"), SHARED_WEIGHTS, strict=True):
        draft = store.create_deployment(OWNER, name, "draft", _shared_spec(first))
        ids.append(store.update_deployment(OWNER, draft.id, expected_version=1, status="active").id)
    _run_jobs(store, template, FIRE, ids)
    for deployment_id, (_, then) in zip(ids, SHARED_WEIGHTS, strict=True):
        current = store.get_deployment(OWNER, deployment_id)
        spec = {**current.spec, "strategy": {"kind": "weights", "weights": then}}
        store.update_deployment(OWNER, deployment_id, expected_version=current.version, spec=spec)
    store.close()


def run_shared_until_killed(
    data_dir: Path, kill_after: int | None, report: Path, template: Path
) -> None:
    """From a copy of the `prepare_shared` store: each member's rebalance job at `SHARED_FIRE`
    (their targets conflict on KO), SIGKILLing this process after the store's write number
    `kill_after` of those jobs (None: write the writes and the essence to `report`)."""
    shutil.copytree(template, data_dir)
    clock = _clock()
    clock.now = SHARED_FIRE + timedelta(hours=2)
    store = _store(data_dir, clock)
    members = sorted(store.list_deployments(OWNER), key=lambda d: d.name)
    writes = kill_after_write(store, kill_after)
    _run_jobs(store, data_dir, SHARED_FIRE, [m.id for m in members])
    report.write_text(json.dumps({"writes": writes, "essence": shared_essence(store)}))


def take_over_shared(data_dir: Path, reference: Path) -> None:
    """The next worker, once the killed one's lease ran out: every job of the netted rebalance
    ends succeeded with the uninterrupted run's books, paper account, queue and events."""
    clock = _clock()
    clock.now = SHARED_FIRE + timedelta(hours=2, seconds=LEASE_SECONDS + 1)
    store = _store(data_dir, clock)
    worker = _worker(store, data_dir)
    while any(job.status != "succeeded" for job in store.list_jobs(OWNER)):
        outcome = worker.run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome
    for job in store.list_jobs(OWNER):
        result = store.get_result(OWNER, job.id).payload
        assert result["outcome"] == "filled" and result["reconciliation"]["matches"], result
    expected = json.loads(reference.read_text())["essence"]
    assert shared_essence(store) == expected
