"""Agent Protocol crons under `/agent`: a run of the chat assistant on a schedule, for its
owner, fired by the project's scheduler (`services.agent_crons`; each run a job,
`api.agent_protocol.cron_runs`). `POST /threads/{id}/runs/crons` (runs on that thread),
`POST /runs/crons` (each run on a thread of its own, deleted after it unless
`on_run_completed: "keep"`), `POST /runs/crons/search`, `POST /runs/crons/count`, `PATCH /runs/crons/{cron_id}` (what is
given replaces the cron's; its next run recomputed), `DELETE /runs/crons/{cron_id}`. Crons
are stored (`store.agent_crons`), so any process answers for them and any scheduler fires them.
Another owner's cron or thread is 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Response, status

from api.agent_protocol.assistants import CHAT_GRAPH, assistant_id, graph_of
from api.agent_protocol.run_requests import refuse_text
from api.agent_protocol.thread_ids import shown_thread_id, stored_thread_id
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, found_or_404, validation_error
from api.route_defaults import api_router
from api.routes.agent_threads import PREFIX, owned_thread
from api.schemas.agent_crons import CronCount, CronCreate, CronPatch, CronSearch
from api.schemas.agent_runs import RunBody
from services.agent_crons import CronError, following
from store.agent_crons import AgentCron

router = api_router(prefix=PREFIX, tags=["agent protocol"])

RUN_FIELDS = ("input", "metadata", "config", "context", "multitask_strategy", "stream_mode")
"""The cron request's fields that are its runs' request."""
REFUSED = ("interrupt_before", "interrupt_after", "webhook", "checkpoint_during")


def cron_view(cron: AgentCron) -> dict[str, Any]:
    """The Agent Protocol `Cron` of a stored one."""
    document = cron.document
    return {
        "cron_id": cron.cron_id,
        "assistant_id": document["assistant_id"],
        "thread_id": None if cron.thread_id is None else shown_thread_id(cron.thread_id),
        "on_run_completed": document.get("on_run_completed"),
        "end_time": None if cron.end_at is None else cron.end_at.isoformat(),
        "schedule": cron.schedule,
        "timezone": document.get("timezone"),
        "created_at": cron.created_at.isoformat(),
        "updated_at": cron.updated_at.isoformat(),
        "payload": document["payload"],
        "user_id": cron.owner,
        "next_run_date": None if cron.next_run_at is None else cron.next_run_at.isoformat(),
        "metadata": document.get("metadata") or {},
        "enabled": document.get("enabled", True),
    }


def _check_runs(payload: dict[str, Any], schedule: str) -> None:
    """Refuse the cron's runs' request and schedule as a run's would be refused (422)."""
    refuse_text(payload, "body")
    refuse_text(schedule, "body.schedule")
    from api.agent_protocol.run_requests import checked_graph, stream_modes, user_message

    run = RunBody.model_validate({**payload, "assistant_id": CHAT_GRAPH})
    checked_graph(run)
    stream_modes(run)
    user_message(run)


def _end_at(end_time: datetime | None) -> datetime | None:
    """The cron's end in UTC (422 without a UTC offset)."""
    if end_time is not None and end_time.tzinfo is None:
        raise validation_error("body.end_time", "a time with its UTC offset")
    return None if end_time is None else end_time.astimezone(UTC)


def _next_run(
    schedule: str, timezone: str | None, now: datetime, end_at: datetime | None
) -> datetime | None:
    """The schedule's first fire after `now` (None: none before `end_at`); 422 naming the
    field when the schedule or time zone is not one."""
    try:
        return following(schedule, timezone, now, end_at)
    except CronError as exc:
        raise validation_error(f"body.{exc.field}", exc.problem) from None


def _create(
    context: AppContext, owner: str, thread_id: str | None, body: CronCreate
) -> dict[str, Any]:
    """Check the cron as its runs will be, store it, and answer with it."""
    if graph_of(body.assistant_id) != CHAT_GRAPH:
        raise validation_error("body.assistant_id", "a cron runs the chat assistant")
    for name in REFUSED:
        if getattr(body, name) is not None:
            raise validation_error(f"body.{name}", "not supported by this server")
    if thread_id is not None and body.on_run_completed is not None:
        raise validation_error("body.on_run_completed", "a cron on a thread keeps its thread")
    payload = {name: getattr(body, name) for name in RUN_FIELDS if getattr(body, name)}
    _check_runs(payload, body.schedule)
    end_at = _end_at(body.end_time)
    next_run = _next_run(body.schedule, body.timezone, context.store.clock(), end_at)
    cron = context.store.create_agent_cron(
        owner,
        cron_id=str(uuid.uuid4()),
        thread_id=thread_id,
        schedule=body.schedule,
        next_run_at=next_run if body.enabled else None,
        end_at=end_at,
        document={
            "assistant_id": assistant_id(CHAT_GRAPH),
            "payload": payload,
            "metadata": body.metadata or {},
            "timezone": body.timezone,
            "on_run_completed": body.on_run_completed,
            "enabled": body.enabled,
        },
    )
    return cron_view(cron)


@router.post("/threads/{thread_id}/runs/crons", summary="Create a cron on a thread")
def create_thread_cron(
    thread_id: str, body: CronCreate, context: Ctx, caller: Caller
) -> dict[str, Any]:
    """A cron whose runs are on the thread (one at a time: a fire while a run is in progress
    is skipped)."""
    stored = owned_thread(context, caller.owner, thread_id).id
    return _create(context, caller.owner, stored, body)


@router.post("/runs/crons", summary="Create a cron")
def create_cron(body: CronCreate, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A cron whose runs each get a thread of their own."""
    return _create(context, caller.owner, None, body)


def _matching(
    context: AppContext,
    owner: str,
    assistant: str | None,
    thread_id: str | None,
    metadata: dict[str, Any] | None,
    enabled: bool | None = None,
) -> list[dict[str, Any]]:
    """The views of the owner's crons of `assistant`, on `thread_id`, `enabled` and with each
    of `metadata`'s entries (None: any)."""
    refuse_text(metadata, "body.metadata")
    if assistant is not None and graph_of(assistant) != CHAT_GRAPH:
        return []
    wanted_thread = None if thread_id is None else stored_thread_id(owner, thread_id)
    views = []
    for cron in context.store.list_agent_crons(owner):
        view = cron_view(cron)
        if wanted_thread is not None and cron.thread_id != wanted_thread:
            continue
        if enabled is not None and view["enabled"] != enabled:
            continue
        if any(view["metadata"].get(k) != v for k, v in (metadata or {}).items()):
            continue
        views.append(view)
    return views


@router.post("/runs/crons/search", summary="Search crons")
def search_crons(body: CronSearch, context: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """The caller's crons matching `assistant_id`, `thread_id`, `enabled` and `metadata`."""
    views = _matching(
        context, caller.owner, body.assistant_id, body.thread_id, body.metadata, body.enabled
    )
    key = body.sort_by or "created_at"
    views.sort(key=lambda v: (v[key] is None, v[key] or ""), reverse=body.sort_order == "desc")
    return views[body.offset : body.offset + body.limit]


@router.post("/runs/crons/count", summary="Count crons")
def count_crons(body: CronCount, context: Ctx, caller: Caller) -> int:
    """How many of the caller's crons match `assistant_id`, `thread_id` and `metadata`."""
    return len(_matching(context, caller.owner, body.assistant_id, body.thread_id, body.metadata))


UPDATE_ATTEMPTS = 3
"""Reads and writes of one update before it is refused as conflicting (a fire or another
update changed the cron in between each time)."""


@router.patch("/runs/crons/{cron_id}", summary="Update a cron")
def update_cron(cron_id: str, body: CronPatch, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Replace what `body` gives of the caller's cron (`end_time: null` clears its end), its
    next run recomputed from now; a disabled cron has none until it is enabled again."""
    for name in REFUSED:
        if getattr(body, name, None) is not None:
            raise validation_error(f"body.{name}", "not supported by this server")
    for _ in range(UPDATE_ATTEMPTS):
        with found_or_404("cron", cron_id):
            cron = context.store.get_agent_cron(caller.owner, cron_id)
            updated = context.store.update_agent_cron(cron, **_changed(context, cron, body))
        if updated is not None:
            return cron_view(updated)
    raise ApiError(
        409, "CONFLICT", "the cron kept changing while it was updated; retry", [("cron", "busy")]
    )


def _changed(context: AppContext, cron: AgentCron, body: CronPatch) -> dict[str, Any]:
    """The cron's schedule, next run, end and document once `body` is applied (422 naming the
    field for what its runs or schedule cannot be)."""
    given = body.model_fields_set
    document = dict(cron.document)
    payload = dict(document["payload"])
    for name in RUN_FIELDS:
        if name in given and getattr(body, name, None) is not None:
            payload[name] = getattr(body, name)
    if body.on_run_completed is not None:
        if cron.thread_id is not None:
            raise validation_error("body.on_run_completed", "a cron on a thread keeps its thread")
        document["on_run_completed"] = body.on_run_completed
    if "metadata" in given:
        document["metadata"] = body.metadata or {}
    if "timezone" in given:
        document["timezone"] = body.timezone
    if body.enabled is not None:
        document["enabled"] = body.enabled
    document["payload"] = payload
    schedule = cron.schedule if body.schedule is None else body.schedule
    _check_runs(payload, schedule)
    end_at = _end_at(body.end_time) if "end_time" in given else cron.end_at
    now = context.store.clock()
    next_run = _next_run(schedule, document.get("timezone"), now, end_at)
    return {
        "schedule": schedule,
        "next_run_at": next_run if document.get("enabled", True) else None,
        "end_at": end_at,
        "document": document,
    }


@router.delete(
    "/runs/crons/{cron_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a cron"
)
def delete_cron(cron_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the caller's cron: it fires no more (a run already started goes on)."""
    with found_or_404("cron", cron_id):
        context.store.delete_agent_cron(caller.owner, cron_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
