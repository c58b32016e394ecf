"""Child processes for the Alpaca kill test of `test_kill_rebalance.py`: two strategies sharing
the owner's Alpaca account run their first netted rebalance (each one's opening, one KO order
for both, AAPL and XOM) on a worker that SIGKILLs its own process right after its k-th store
write, and the next worker takes the jobs over.

The loopback Alpaca stand-in runs in the test's process (`stand_in`), so it outlives every
killed worker, as Alpaca does; each kill point has its own stand-in and store. Its market is
the test's: market orders fill at the session's close as soon as all of the run's orders are
placed (`ORDERS`; Alpaca fills market orders during the session as they arrive), so every
run, however often killed, trades at the same prices. The children run in processes forked
from a server that imported the execution services once (`tests.support.forked`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.paper import PaperBroker
from jobs.worker import Worker
from quant.data import sp500_prices
from settings import Settings
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.kill_rebalance import (
    LEASE_SECONDS,
    OWNER,
    SPEC,
    _store,
    events_and_queue,
    kill_after_write,
    named_by_name,
    warm,
)
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND

PRELOAD = ["trading.execution_jobs", "tests.support.kill_shared_alpaca"]
"""What the forkserver imports (and `warm`s) once, before any child is forked."""
__all__ = ["warm"]  # the forkserver's warm-up (`tests.support.kill_rebalance.warm`)
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 in New York
CLOSE = datetime(2021, 6, 1, 21, 0, tzinfo=UTC)
FUNDED = datetime(2021, 5, 3, 14, 0, tzinfo=UTC)
ACCOUNT_CASH = 100_000.0
KEYS = ("AKKILL", "alpaca-secret-for-the-kill-test")
MEMBERS = (("a", {"AAPL": 0.5, "KO": 0.45}, 45_000.0), ("b", {"KO": 0.2, "XOM": 0.75}, 35_000.0))
"""Each member's name, weights and capital: both buy KO (one order, two allocations)."""
ORDERS = 3
"""The orders of the account's run at `FIRE`: AAPL, KO and XOM."""


def stand_in() -> LocalAlpaca:
    """The owner's Alpaca account (started; the caller closes it) at the fire, whose orders
    fill at the session's close once the run's `ORDERS` are placed."""
    paper = PaperBroker(sp500_prices().loc["2021-01-01":], fractional=True)
    paper.deposit(ACCOUNT_CASH, FUNDED)
    alpaca = LocalAlpaca(paper, key_id=KEYS[0], secret_key=KEYS[1]).start()
    alpaca.advance(FIRE)
    account = alpaca.account
    submit = account.submit

    def placed_then_filled(body: Any) -> dict[str, Any]:
        answer = submit(body)
        if len(account.broker.state()["orders"]) == ORDERS:
            account.advance(CLOSE)
        return answer

    account.submit = placed_then_filled  # type: ignore[method-assign]
    return alpaca


def _worker(store: SQLiteStore, data_dir: Path, url: str) -> Worker:
    settings = Settings(
        data_dir=data_dir,
        notifications={"smtp": {"host": "127.0.0.1"}},
        jobs={"ticks": []},
        alpaca={"key_id": KEYS[0], "secret_key": KEYS[1], "base_url": url, "owner": OWNER},
        execution={"retry_seconds": 0.0},
    )
    return Worker(store, HANDLERS, lease_seconds=LEASE_SECONDS, settings=settings)


def _clock(after: float = 0.0) -> FakeClock:
    clock = FakeClock()
    clock.now = FIRE + timedelta(minutes=1, seconds=after)
    return clock


def essence(store: SQLiteStore) -> dict[str, Any]:
    """What must not depend on where a worker died: each member's opening, ledger and events,
    and the queue's orders with their status, fills and allocations (members named by name;
    a fill's entry named by its order and member: the stand-in's fill ids are its own)."""
    members = sorted(store.list_deployments(OWNER), key=lambda d: d.name)
    found = {
        "openings": [m.spec.get("account_opening") for m in members],
        "ledgers": [
            [
                [
                    e.entry_id.rsplit(":", 1)[-1] if e.kind == "fill" else e.entry_id,
                    e.kind,
                    e.symbol,
                    e.side,
                    e.quantity,
                    e.price,
                    e.fee,
                    e.amount,
                    e.order_id,
                ]
                for e in store.ledger(OWNER, m.id)
            ]
            for m in members
        ],
    }
    return named_by_name(found | events_and_queue(store, members), members)


def run_until_killed(data_dir: Path, url: str, kill_after: int | None, report: Path) -> None:
    """Both members active and their rebalance jobs at `FIRE` submitted, then run, SIGKILLing
    this process after the store's write number `kill_after` (None: write the writes and the
    essence to `report`)."""
    store = _store(data_dir, _clock())
    jobs = []
    for name, weights, capital in MEMBERS:
        spec = {
            **SPEC,
            "strategy": {"kind": "weights", "weights": weights},
            "universe": sorted(weights),
            "capital": capital,
            "broker": "alpaca",
            "account": "alpaca-PA0000LOCAL",
            "alpaca_endpoint": "paper",
            "shared_account": True,
        }
        draft = store.create_deployment(OWNER, name, "draft", spec)
        store.update_deployment(OWNER, draft.id, expected_version=1, status="active")
        request = {"deployment_id": draft.id, "fire": FIRE.isoformat()}
        jobs.append(store.submit_job(OWNER, REBALANCE_KIND, request)[0])
    writes = kill_after_write(store, kill_after)
    worker = _worker(store, data_dir, url)
    while any(store.get_job(OWNER, job.id).status != "succeeded" for job in jobs):
        outcome = worker.run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome
    report.write_text(json.dumps({"writes": writes, "essence": essence(store)}))


def take_over(data_dir: Path, url: str, report: Path) -> None:
    """The next worker, once the killed one's lease ran out: every job of the netted rebalance
    ends succeeded, filled and reconciled with Alpaca; the store's essence goes to `report`."""
    store = _store(data_dir, _clock(LEASE_SECONDS + 1))
    worker = _worker(store, data_dir, url)
    while any(job.status != "succeeded" for job in store.list_jobs(OWNER)):
        outcome = worker.run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome
    for job in store.list_jobs(OWNER):
        result = store.get_result(OWNER, job.id).payload
        assert result["outcome"] == "filled" and result["reconciliation"]["matches"], result
    report.write_text(json.dumps(essence(store)))


def at_alpaca(alpaca: LocalAlpaca) -> dict[str, Any]:
    """What Alpaca holds: its orders (each placed once), shares and cash."""
    state = alpaca.account.broker.state()
    account = alpaca.account.broker.account()
    return {
        "orders": sorted(
            [o["client_order_id"], o["symbol"], o["side"], o["quantity"], o["filled_quantity"]]
            for o in state["orders"]
        ),
        "positions": sorted(account.positions.items()),
        "cash": account.cash,
    }
