"""Store benchmark: trace-event appends per second (issue 6 target: >= 5,000/s on SQLite).

Each row compares our time per event with the time per event the target allows (0.2 ms for
5,000/s), so the "speed-up" column reads as "times faster than the target". Events are
pre-built `TraceEvent`s (building them is the caller's cost); every append is a transaction
that checks the run's last sequence number. DynamoDB rows run against a moto server on
loopback and are for information only (moto's speed says little about DynamoDB's).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Row, Table
from store import Store
from traces.schema import TraceEvent

TARGET_PER_SECOND = 5_000
TARGET_MS = 1000 / TARGET_PER_SECOND


def _events(run_id: str, n: int) -> list[TraceEvent]:
    t0 = datetime(2026, 11, 21, tzinfo=UTC)
    return [
        TraceEvent(
            run_id=run_id,
            seq=s,
            ts=t0 + timedelta(milliseconds=s),
            type="progress",
            node="evaluate",
            agent="optimizer",
            data={"done": s, "total": n, "unit": "trials", "best": 0.5, "metric": "Sharpe"},
        )
        for s in range(1, n + 1)
    ]


def _ms_per_event(store: Store, run_id: str, n: int, batch: int) -> float:
    events = _events(run_id, n)
    started = time.perf_counter()
    for start in range(0, n, batch):
        store.append_events("bench", run_id, events[start : start + batch])
    elapsed = time.perf_counter() - started
    assert len(store.events("bench", run_id, limit=10_000)) == min(n, 10_000)
    return elapsed * 1000 / n


def _row(backend: str, batch: int, n: int, ms: float, target: float | None) -> Row:
    return Row(
        task="event append",
        size=f"{n} events, {batch}/call",
        peer=f"{TARGET_PER_SECOND}/s target" + (f" ({backend})" if backend != "SQLite" else ""),
        ours_ms=ms,
        peer_ms=TARGET_MS,
        difference=f"{backend}: {1000 / ms:,.0f} events/s",
        target=target,
    )


def run(table: Table) -> None:
    """Append events to a fresh SQLite store (one per call and batched), then to DynamoDB on
    a moto server."""
    from store.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "store.sqlite")
        _ms_per_event(store, "warmup", 200, 1)
        table.add(_row("SQLite", 1, 5000, _ms_per_event(store, "run_single", 5000, 1), 1.0))
        table.add(_row("SQLite", 100, 20000, _ms_per_event(store, "run_batch", 20000, 100), 1.0))
        store.close()
    _run_moto(table)


def _run_moto(table: Table) -> None:
    import logging
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    from store.aws import AWSStore, create_tables

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        endpoint = f"http://127.0.0.1:{port}"
        create_tables("bench-store", "bench-bucket", endpoint_url=endpoint, session=session)
        store = AWSStore("bench-store", "bench-bucket", endpoint_url=endpoint, session=session)
        _ms_per_event(store, "warmup", 20, 1)
        table.add(
            _row("DynamoDB on moto", 1, 300, _ms_per_event(store, "run_single", 300, 1), None)
        )
        table.add(
            _row("DynamoDB on moto", 99, 2000, _ms_per_event(store, "run_batch", 2000, 99), None)
        )
    finally:
        server.stop()


if __name__ == "__main__":
    t = Table()
    run(t)
    print(t.markdown())
