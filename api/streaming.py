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
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Query
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.params import LastEventId
from services.bounds import MAX_SEQUENCE
from store import TERMINAL_STATUSES, Store, StoredEvent

SSE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx / proxies: do not buffer the stream
}
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000
PAGE = 500
"""Events read from the store at a time."""


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


@dataclass(frozen=True)
class EventsQuery:
    """How a client reads an event stream: from after `start` (the larger of `after` and the
    `Last-Event-ID` header), as SSE, or with `wait` one long-poll page of at most `limit`."""

    start: int
    wait: float | None
    limit: int


def events_query(
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_SEQUENCE, description="Send events after this seq."),
    ] = None,
    wait: Annotated[
        float | None,
        Query(ge=0, le=30, description="Long poll: wait up to this many seconds (JSON)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Long poll: at most this many.")] = 500,
    last_event_id: LastEventId = None,
) -> EventsQuery:
    """The query of an events route (a FastAPI dependency); see `resume_after`."""
    return EventsQuery(resume_after(last_event_id, after), wait, limit)


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


class Sequenced(Protocol):
    """An event with its sequence number (a trace event, a deployment event)."""

    @property
    def seq(self) -> int: ...


E = TypeVar("E", bound=Sequenced)


async def follow_events(
    fetch: Callable[[int, int], Sequence[E]],
    status: Callable[[], str],
    terminal: Collection[str],
    after: int,
    *,
    stop: Callable[[], Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
    follow: bool = True,
) -> AsyncIterator[E | str | None]:
    """The events `fetch(after, limit)` reads (oldest first), followed until `status()` is in
    `terminal` and every event is delivered; finally that status (a `str`). With
    `follow=False` it ends after the events stored now, yielding the status even when not
    terminal. While waiting it yields None once per poll (a chance to send keep-alives).
    `stop()` returning truthy (awaited if a coroutine) ends the stream early, e.g. on client
    disconnect. The blocking calls run in the thread pool."""
    while True:
        events = await run_in_threadpool(fetch, after, PAGE)
        for event in events:
            after = event.seq
            yield event
        if len(events) == PAGE:
            continue
        now = await run_in_threadpool(status)
        if now in terminal:
            # events written just before the status changed are still delivered
            if not await run_in_threadpool(fetch, after, PAGE):
                yield now
                return
            continue
        if not follow:
            yield now
            return
        if stop is not None:
            stopped = stop()
            if asyncio.iscoroutine(stopped):
                stopped = await stopped
            if stopped:
                return
        yield None
        await asyncio.sleep(poll_seconds)


def job_events(
    store: Store,
    owner: str,
    job_id: str,
    after: int,
    *,
    stop: Callable[[], Any] | None = None,
    poll_seconds: float = POLL_SECONDS,
    follow: bool = True,
) -> AsyncIterator[StoredEvent | str | None]:
    """The job's trace events after `after`, following the job until it is terminal (see
    `follow_events`)."""
    return follow_events(
        lambda seq, limit: store.events(owner, job_id, after_seq=seq, limit=limit),
        lambda: store.get_job(owner, job_id).status,
        TERMINAL_STATUSES,
        after,
        stop=stop,
        poll_seconds=poll_seconds,
        follow=follow,
    )


async def sse_messages(
    items: AsyncIterator[E | str | None],
    render: Callable[[E], bytes],
    terminal: Collection[str],
) -> AsyncIterator[bytes]:
    """The SSE stream of `follow_events`' items: the client's reconnect delay, each event as
    `render` frames it, a keep-alive comment after `KEEPALIVE_SECONDS` of silence, and the
    final `event: end` (with `more: true` when the stream stops before a terminal status)."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    sent = time.monotonic()
    async for item in items:
        if item is None:
            if time.monotonic() - sent > KEEPALIVE_SECONDS:
                sent = time.monotonic()
                yield b": keep-alive\n\n"
            continue
        sent = time.monotonic()
        if isinstance(item, str):
            yield sse_end(item) if item in terminal else sse_end(item, more=True)
        else:
            yield render(item)


async def wait_for_events(
    store: Store, owner: str, job_id: str, after: int, wait: float, limit: int
) -> tuple[list[StoredEvent], str]:
    """Long poll: the job's events after `after`, waiting up to `wait` seconds for the first
    one; returns them and the job's status."""
    return await poll_events(
        lambda seq, n: store.events(owner, job_id, after_seq=seq, limit=n),
        lambda: store.get_job(owner, job_id).status,
        TERMINAL_STATUSES,
        after,
        wait,
        limit,
    )


async def poll_events(
    fetch: Callable[[int, int], Sequence[E]],
    status: Callable[[], str],
    terminal: Collection[str],
    after: int,
    wait: float,
    limit: int,
) -> tuple[list[E], str]:
    """Long poll: the events `fetch(after, limit)` reads, waiting up to `wait` seconds for
    the first one (or a status in `terminal`); returns them and the status."""
    deadline = time.monotonic() + wait
    while True:
        # the status first: when it is terminal, every event was stored before it
        now = await run_in_threadpool(status)
        events = list(await run_in_threadpool(fetch, after, limit))
        if events or now in terminal or time.monotonic() >= deadline:
            return events, now
        await asyncio.sleep(POLL_SECONDS)
