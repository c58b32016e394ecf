"""Server-Sent Events framing and a job's trace as an async stream of stored events.

An SSE message per trace event: `id: <seq>`, `event: <type>`, `data: <the event's JSON>`. A
stream ends with `event: end` (`data: {"status": ...}`, no id, so a reconnecting client's
`Last-Event-ID` stays the last trace event). Comments (`: keep-alive`) keep idle connections
open through proxies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from store import TERMINAL_STATUSES, Store, StoredEvent

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx / proxies: do not buffer the stream
}
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000


def sse(data: str, *, event: str | None = None, id: int | None = None) -> bytes:
    """One SSE message (multi-line data split over `data:` lines)."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


def sse_event(event: StoredEvent) -> bytes:
    """The SSE message of a stored trace event."""
    kind = "event"
    with contextlib.suppress(ValueError):
        kind = str(json.loads(event.payload).get("type", "event"))
    return sse(event.payload, event=kind, id=event.seq)


def sse_end(status: str, **extra: Any) -> bytes:
    """The final message of a stream."""
    return sse(json.dumps({"status": status, **extra}), event="end")


MAX_SEQ = 2**63 - 1
"""The largest sequence number a store can hold (a signed 64-bit integer)."""


def resume_after(last_event_id: str | None, after: int | None) -> int:
    """The sequence number to continue after: the larger of `Last-Event-ID` and `after`.

    A `Last-Event-ID` that is not a sequence number (digits, at most `MAX_SEQ`) is an
    `ApiError` 400 on `header.last-event-id`: replaying the whole trace instead would hand the
    client events it already has."""
    seq = after or 0
    if last_event_id is None or not last_event_id.strip():
        return seq
    text = last_event_id.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_SEQ:
        problem = f"must be the sequence number of an event (0 to {MAX_SEQ}), got {text!r}"
        raise ApiError(
            400, "BAD_REQUEST", f"Last-Event-ID {problem}", [("header.last-event-id", problem)]
        )
    return max(seq, int(text))


async def job_events(
    store: Store,
    owner: str,
    job_id: str,
    after: int,
    *,
    stop: Callable[[], Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
    follow: bool = True,
) -> AsyncIterator[StoredEvent | str | None]:
    """The job's trace events after `after`, following the job until it is terminal and
    every event is delivered; finally the job's status (a `str`). With `follow=False` it ends
    after the events stored now, yielding the status even when not terminal. While waiting it yields
    None once per poll (a chance to send keep-alives). `stop()` returning truthy (awaited if
    a coroutine) ends the stream early, e.g. on client disconnect."""
    while True:
        events = await run_in_threadpool(store.events, owner, job_id, after_seq=after, limit=500)
        for event in events:
            after = event.seq
            yield event
        if len(events) == 500:
            continue
        job = await run_in_threadpool(store.get_job, owner, job_id)
        if job.status in TERMINAL_STATUSES:
            # events written just before the status changed are still delivered
            tail = await run_in_threadpool(store.events, owner, job_id, after_seq=after, limit=500)
            if not tail:
                yield job.status
                return
            continue
        if not follow:
            yield job.status
            return
        if stop is not None:
            stopped = stop()
            if asyncio.iscoroutine(stopped):
                stopped = await stopped
            if stopped:
                return
        yield None
        await asyncio.sleep(poll_seconds)


async def wait_for_events(
    store: Store, owner: str, job_id: str, after: int, wait: float, limit: int
) -> tuple[list[StoredEvent], str]:
    """Long poll: events after `after`, waiting up to `wait` seconds for the first one;
    returns them and the job's status."""
    deadline = time.monotonic() + wait
    while True:
        # the status first: when it is terminal, every event was stored before it
        job = await run_in_threadpool(store.get_job, owner, job_id)
        events = await run_in_threadpool(store.events, owner, job_id, after_seq=after, limit=limit)
        if events or job.status in TERMINAL_STATUSES or time.monotonic() >= deadline:
            return events, job.status
        await asyncio.sleep(POLL_SECONDS)
