"""Helpers the contract modules share: owners, trace events, a running job, racing callers, a
job stored as code before a field existed wrote it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from store.aws import AWSStore
from store.base import Store
from store.common import to_micros
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.together import run_together
from traces.schema import TraceEvent

ALICE, BOB = "alice", "bob"


def events(run_id: str, seqs: range | list[int], clock: FakeClock) -> list[TraceEvent]:
    return [
        TraceEvent(
            run_id=run_id,
            seq=s,
            ts=clock.now + timedelta(milliseconds=s),
            type="progress",
            node="evaluate",
            data={"done": s, "total": 1000, "unit": "trials", "best": s / 7, "metric": "Sharpe"},
        )
        for s in seqs
    ]


def running_job(store: Store, owner: str = ALICE, worker: str = "w1") -> str:
    job, _ = store.submit_job(owner, "optimize", {"n": 1})
    store.claim(owner, job.id, worker, 60)
    return job.id


def race(store: Store, n: int, fn: Any) -> list[Any]:
    """Run `fn(i)` for i < n as competing callers; each result or the exception raised.

    On SQLite the callers are threads released together. moto's server does not make a
    DynamoDB conditional check-and-write atomic across its request threads (real DynamoDB
    does), so on the AWS backend the same calls are made one after another: the conditions
    still decide who wins, which is what the store controls.
    """
    out: list[Any] = [None] * n

    def target(i: int) -> None:
        try:
            out[i] = fn(i)
        except Exception as exc:
            out[i] = exc

    if not isinstance(store, SQLiteStore):
        for i in range(n):
            target(i)
        return out
    run_together(target, n)
    return out


def legacy_job(store: Store, owner: str, job_id: str) -> None:
    """Write a pending job as the code before `trace_context` existed wrote it: an SQLite row
    inserted without the column, or a DynamoDB item without the attribute."""
    now = to_micros(store.clock())
    if isinstance(store, SQLiteStore):
        with store._tx("legacy job") as conn:
            conn.execute(
                "INSERT INTO jobs (id, owner, kind, request, status, created_at, updated_at) "
                "VALUES (?, ?, 'optimize', '{}', 'pending', ?, ?)",
                (job_id, owner, now, now),
            )
        return
    assert isinstance(store, AWSStore)
    item = {
        "pk": f"OWNER#{owner}",
        "sk": f"JOB#{job_id}",
        "id": job_id,
        "owner": owner,
        "kind": "optimize",
        "request": "{}",
        "status": "pending",
        "done": 0,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "gsi1pk": "STATUS#pending",
        "gsi1sk": f"{now:020d}#{job_id}",
    }
    store.ddb.put_item(
        TableName=store.table,
        Item={k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()},
    )
