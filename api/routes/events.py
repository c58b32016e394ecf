"""A job's trace events, three ways: Server-Sent Events, long poll, WebSocket.

- `GET /v1/optimizations/{id}/events`: SSE (`text/event-stream`) from `after` or the
  `Last-Event-ID` header, until the job is finished and every event was sent (then
  `event: end`). Reconnecting with `Last-Event-ID` loses and repeats nothing.
- the same route with `wait=SECONDS`: long poll, JSON `{"events", "last_seq", "status",
  "done"}`; answers as soon as an event after `after` exists, or after `wait` seconds.
- `WS /v1/optimizations/{id}/ws?after=SEQ`: JSON messages `{"type": "event", "seq", "event"}`
  and finally `{"type": "end", "status"}`. Authenticate with the `x-api-key` header, or, where
  a client cannot set headers (browsers), with a first message
  `{"type": "auth", "api_key": ...}` or `{"type": "auth", "token": ...}`. Closes with 4401
  (unauthenticated), 4404 (no such job) or 4429 (rate limited).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

from fastapi import Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from api.auth import Principal
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError
from api.route_defaults import api_router
from api.routes.optimizations import get_optimization
from api.schemas.events import EventsPage
from api.streaming import (
    SSE_HEADERS,
    EventsQuery,
    events_query,
    job_events,
    sse_event,
    sse_messages,
    wait_for_events,
)
from services.bounds import MAX_SEQUENCE
from store import TERMINAL_STATUSES, NotFoundError

router = api_router(prefix="/v1", tags=["optimization jobs"])


@router.get(
    "/optimizations/{job_id}/events",
    summary="Trace events (SSE, or long poll with wait=)",
    response_model=EventsPage,
    responses={200: {"content": {"text/event-stream": {}, "application/json": {}}}},
)
async def optimization_events(
    job_id: str,
    request: Request,
    context: Ctx,
    caller: Caller,
    query: Annotated[EventsQuery, Depends(events_query)],
) -> Any:
    """The job's trace: an SSE stream, or with `wait` one long-poll page of JSON."""
    get_optimization(context, caller, job_id)
    start, wait, limit = query.start, query.wait, query.limit
    if wait is not None:
        events, status = await wait_for_events(
            context.store, caller.owner, job_id, start, wait, limit
        )
        last = events[-1].seq if events else start
        terminal = status in ("succeeded", "failed", "cancelled")
        return EventsPage(
            events=[json.loads(e.payload) for e in events],
            last_seq=last,
            status=status,
            done=terminal and len(events) < limit,
        )

    items = job_events(
        context.store,
        caller.owner,
        job_id,
        start,
        stop=request.is_disconnected,
        follow=not context.buffered,
    )
    stream = sse_messages(items, sse_event, TERMINAL_STATUSES)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)


async def _ws_principal(websocket: WebSocket, context: AppContext) -> Principal | None:
    """The authenticated caller, or None once the socket is closed (refused, or the client
    left before authenticating: nothing to answer, nothing to log)."""
    api_key = websocket.headers.get("x-api-key")
    authorization = websocket.headers.get("authorization")
    if not api_key and not authorization:
        try:
            first = json.loads(await asyncio.wait_for(websocket.receive_text(), timeout=10))
        except WebSocketDisconnect:
            return None
        except (TimeoutError, ValueError):
            first = {}
        if isinstance(first, dict) and first.get("type") == "auth":
            api_key = first.get("api_key")
            token = first.get("token")
            authorization = f"Bearer {token}" if token else None
    try:
        principal = await context.call(context.authenticator.authenticate, api_key, authorization)
        context.rate_limiter.check(f"{principal.method}:{principal.credential_id}")
    except ApiError as exc:
        with contextlib.suppress(WebSocketDisconnect):  # the client may leave meanwhile
            await websocket.send_json(
                {"type": "error", "error": {"code": exc.code, "message": exc.message}}
            )
            await websocket.close(code=4429 if exc.status == 429 else 4401)
        return None
    return principal


@router.websocket("/optimizations/{job_id}/ws")
async def optimization_events_ws(
    websocket: WebSocket, job_id: str, after: Annotated[int, Query(ge=0, le=MAX_SEQUENCE)] = 0
) -> None:
    """The job's trace over a WebSocket (see the module docstring for the protocol)."""
    context: AppContext = websocket.app.state.context
    await websocket.accept()
    principal = await _ws_principal(websocket, context)
    if principal is None:
        return
    try:
        job = context.store.get_job(principal.owner, job_id)
        if job.kind != "optimization":
            raise NotFoundError(job_id)
    except NotFoundError:
        await websocket.send_json(
            {
                "type": "error",
                "error": {"code": "NOT_FOUND", "message": f"optimization {job_id!r} not found"},
            }
        )
        await websocket.close(code=4404)
        return
    gone = asyncio.Event()

    async def watch() -> None:  # the client's messages are ignored; a disconnect ends the stream
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            gone.set()

    watcher = asyncio.create_task(watch())
    try:
        async for item in job_events(
            context.store, principal.owner, job_id, after, stop=gone.is_set
        ):
            if item is None:
                continue
            if isinstance(item, str):
                await websocket.send_json({"type": "end", "status": item})
                break
            await websocket.send_json(
                {"type": "event", "seq": item.seq, "event": json.loads(item.payload)}
            )
        if not gone.is_set():
            await websocket.close()
    except WebSocketDisconnect:
        return
    finally:
        watcher.cancel()
