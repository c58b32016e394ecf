"""A deployment's events (`GET /v1/deployments/{id}/events`): everything that happened to it, in
order: created, every status change (who and why: the API, the CLI, the chat, the monitor's
pause on a limit breach or a reconciliation mismatch, the kill switch), every spec change (the
schedule's fires, a new peak of the account's value) and every finished rebalance run
(`run_finished`: outcome, orders, fills, equity, breaches, reconciliation).

- As Server-Sent Events (the default): `id: <seq>`, `event: <type>`, `data: <the event's JSON>`,
  from `after` or the `Last-Event-ID` header, following the deployment until it is retired and
  every event was sent (then `event: end`); a reconnecting client loses and repeats nothing.
- With `wait=SECONDS`: long poll, JSON `{"events", "last_seq", "status", "done"}`; answers as
  soon as an event after `after` exists, or after `wait` seconds (`wait=0`: the events now).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse

from api.context import Caller, Ctx
from api.route_defaults import api_router
from api.routes.deployments import get_deployment
from api.schemas.deployment_events import DeploymentEventsPage
from api.streaming import (
    SSE_HEADERS,
    EventsQuery,
    events_query,
    follow_events,
    poll_events,
    sse,
    sse_messages,
)
from store import DeploymentEvent

router = api_router(prefix="/v1", tags=["deployments"])

FINAL = frozenset({"retired"})
"""A deployment's statuses after which nothing more happens to it."""


def _sse(event: DeploymentEvent) -> bytes:
    return sse(json.dumps(event.to_json()), event=event.type, id=event.seq)


@router.get(
    "/deployments/{deployment_id}/events",
    summary="A deployment's events (SSE, or long poll with wait=)",
    response_model=DeploymentEventsPage,
    responses={200: {"content": {"text/event-stream": {}, "application/json": {}}}},
)
async def deployment_events(
    deployment_id: str,
    request: Request,
    context: Ctx,
    caller: Caller,
    query: Annotated[EventsQuery, Depends(events_query)],
) -> Any:
    """The deployment's events: an SSE stream, or with `wait` one long-poll page of JSON."""
    await context.call(get_deployment, context, caller, deployment_id)
    start, wait, limit = query.start, query.wait, query.limit
    store, owner = context.store, caller.owner

    def fetch(seq: int, n: int) -> list[DeploymentEvent]:
        return store.deployment_events(owner, deployment_id, after_seq=seq, limit=n)

    def status() -> str:
        return store.get_deployment(owner, deployment_id).status

    if wait is not None:
        events, now = await poll_events(fetch, status, FINAL, start, wait, limit)
        return DeploymentEventsPage(
            events=[e.to_json() for e in events],
            last_seq=events[-1].seq if events else start,
            status=now,
            done=now in FINAL and len(events) < limit,
        )
    items = follow_events(
        fetch, status, FINAL, start, stop=request.is_disconnected, follow=not context.buffered
    )
    return StreamingResponse(
        sse_messages(items, _sse, FINAL), media_type="text/event-stream", headers=SSE_HEADERS
    )
