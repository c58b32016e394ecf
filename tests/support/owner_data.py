"""An owner with something of every aggregate, written through the store's own methods (for the
export, import and erasure tests), and the comparison of two owners' exports."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from store import AccountSnapshot, IVRecord, LedgerEntry, SnapshotPosition, Store
from store.documents import DocumentChunk
from store.orders import NewOrder
from store.owner_data import OwnerRewrite
from store.owner_ids import account_tag
from store.results import Trial
from traces.schema import TraceEvent


@dataclass(frozen=True)
class Shape:
    """How much of each kind an owner gets (a hypothesis strategy draws it)."""

    jobs: int = 1
    trials: int = 2
    events: int = 2
    big_result: bool = False
    documents: int = 1
    chunks: int = 2
    ideas: int = 1
    deployments: int = 1
    ledger: int = 2
    orders: int = 1
    text: str = "plain"
    blob: bytes = b"PAR1\x00data"
    status: str = "active"
    """The deployments' status (an app's scheduler fires an active one's schedule)."""


def populate(store: Store, owner: str, shape: Shape) -> dict[str, Any]:
    """Write `shape` of everything for `owner`; the ids written and the raw API key."""
    now = store.clock()
    ids: dict[str, Any] = {"jobs": [], "threads": [], "documents": []}
    for n in range(shape.jobs):
        job, _ = store.submit_job(
            owner, "optimize", {"n": n, "text": shape.text}, idempotency_key=f"k{n}"
        )
        store.claim(owner, job.id, "w1", 60)
        store.put_trials(
            owner, job.id, [Trial(i, {"x": i / 7, "t": shape.text}) for i in range(shape.trials)]
        )
        store.append_events(owner, job.id, [
            TraceEvent(run_id=job.id, seq=s, ts=now + timedelta(milliseconds=s), type="progress", node="evaluate", data={"done": s, "total": 9, "unit": "trials", "best": s / 7, "metric": "Sharpe"})
            for s in range(1, shape.events + 1)
        ])  # fmt: skip
        payload: dict[str, Any] = {"best": {"sharpe": 0.1 + 0.2, "note": shape.text}}
        if shape.big_result and n == 0:
            payload["pad"] = "x" * 40_000  # above the AWS test store's inline limit: S3
        store.complete_job(owner, job.id, payload, worker="w1")
        ids["jobs"].append(job.id)
    store.create_portfolio(owner, f"pf {shape.text}", {"weights": {"AAPL": 0.6, "KO": 0.4}})
    ids["threads"].append(store.create_thread(owner, f"chat {shape.text}").id)
    store.put_dataset(owner, "prices", shape.blob, {
        "format": "prices", "n_rows": 3, "n_columns": 1, "columns": ["AAA"], "start": "2024-01-02", "end": "2024-01-04",
    })  # fmt: skip
    for n in range(shape.documents):
        chunks = [
            DocumentChunk(i, f"chunk {i} {shape.text}", {"page": i + 1})
            for i in range(shape.chunks)
        ]
        doc = store.add_document(
            owner, f"note{n}.txt", "text/plain", shape.blob + bytes([n]), chunks
        )
        ids["documents"].append(doc.id)
    for n in range(shape.ideas):
        store.create_idea(
            owner, title=f"idea {n}", thesis=f"t {shape.text}", tickers=["AAPL", f"T{n}"], direction="long",
            horizon_days=63, metrics={"expected_return": 0.08}, evidence=[],
        )  # fmt: skip
    account = f"paper-shared-{account_tag(owner)}-main"
    for n in range(shape.deployments):
        dep = store.create_deployment(
            owner,
            f"dep {n}",
            shape.status,
            {"capital": 1e5, "account": account, "hedge": {"underlying": "SPY"}},
        )
        store.append_deployment_event(owner, dep.id, "note", {"text": shape.text}, key=f"e{n}")
        store.create_export(owner, dep.id, "csv", b"entry_id\n1\n", rows=1)
        store.append_ledger(owner, dep.id, [
            LedgerEntry(entry_id=f"fill-{i}", kind="fill", time=now + timedelta(minutes=i), symbol="AAPL", side="buy",
                        quantity=1.5 + i, price=101.25, fee=0.5, order_id=f"o-{i}", note=shape.text)
            for i in range(shape.ledger)
        ])  # fmt: skip
        store.enqueue_orders(
            owner,
            account,
            dep.id,
            f"run-{n}",
            [NewOrder(f"{dep.id}-o{i}", "AAPL", "buy", 2.0) for i in range(shape.orders)],
        )
        store.put_report(owner, account, date(2026, 11, 20), "analytics", dep.id, shape.blob)
        store.put_snapshot(AccountSnapshot(
            owner=owner, account=account, taken_at=now, broker="paper", equity=1e5, cash=10.0, buying_power=10.0,
            expires_at=now + timedelta(days=90), positions=(SnapshotPosition("AAPL", 1.0, 100.0, 100.0),), priced_on=date(2026, 11, 20),
        ))  # fmt: skip
        store.record_iv(IVRecord(owner=owner, underlying="SPY", day=date(2026, 11, 20), atm_volatility=0.2,
                                 expiry=date(2026, 12, 18), spot=450.0, source="alpaca", recorded_at=now))  # fmt: skip
    store.create_broker_account(owner, f"paper-{owner[:4]}", "paper", {"cash": 1.0})
    store.save_profile(owner, {"risk_tolerance": "moderate", "about": shape.text})
    store.create_agent_run(owner, run_id=f"run-{owner}", thread_id=ids["threads"][0], assistant_id="asst", lease_seconds=30,
                           metadata={}, multitask_strategy="reject", kwargs={}, job_id=None)  # fmt: skip
    store.create_agent_cron(owner, cron_id="c-1", thread_id=None, schedule="0 9 * * *", next_run_at=now + timedelta(days=1),
                            end_at=None, document={"assistant_id": "a"})  # fmt: skip
    store.put_analysis(
        owner,
        "simulation",
        None,
        {"result": [[1.0, 1.5]], "pad": "y" * (30_000 if shape.big_result else 1)},
    )
    store.put_strategy_model(
        owner, os.urandom(64) + shape.blob, {"learner": "forest"}, previous=None
    )
    store.cache_put(owner, "results:1", {"v": 1}, 3600)
    ids["key"], _ = store.create_api_key(owner, "laptop")
    return ids


def comparable(records: list[Any], rewrite: OwnerRewrite | None = None) -> list[str]:
    """An owner's exported records as sorted JSON lines, re-owned by `rewrite` (as an import
    does), a thread's conversation key left out (an import gives it a new one on AWS)."""
    from store.aws.owner_data import rewritten_item
    from store.sqlite.owner_data import rewritten_row

    lines = []
    for record in records:
        data = dict(record.data)
        if rewrite is not None:
            if record.collection == "items":
                data = rewritten_item(data, rewrite)
            else:
                data = rewritten_row(record.collection, data, rewrite)
        data.pop("checkpoint", None)
        lines.append(json.dumps([record.collection, data], sort_keys=True))
    return sorted(lines)
