"""Agent Protocol crons under `/agent`: a run of the chat assistant on a schedule, for its
owner, fired by the project's scheduler (`services.agent_crons`; each run a job,
`api.agent_protocol.cron_runs`). `POST /threads/{id}/runs/crons` (runs on that thread),
`POST /runs/crons` (each run on a thread of its own, deleted after it unless
`on_run_completed: "keep"`), `POST /runs/crons/search`, `DELETE /runs/crons/{cron_id}`. Crons
are stored (`store.agent_crons`), so any process answers for them and any scheduler fires them.
Another owner's cron or thread is 404."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from fastapi import APIRouter, Response, status

from api.agent_protocol.assistants import CHAT_GRAPH, assistant_id, graph_of
from api.agent_protocol.run_requests import refuse_text
from api.agent_protocol.thread_ids import shown_thread_id, stored_thread_id
from api.context import AppContext, Caller, Ctx
from api.errors import found_or_404, validation_error
from api.routes.agent_threads import PREFIX, owned_thread
from api.schemas.agent_crons import CronCreate, CronSearch
from api.schemas.agent_runs import RunBody
from services.agent_crons import CronError, following
from store.agent_crons import AgentCron

router = APIRouter(prefix=PREFIX, tags=["agent protocol"])

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
    refuse_text(payload, "body")
    refuse_text(body.schedule, "body.schedule")
    from api.agent_protocol.run_requests import checked_graph, stream_modes, user_message

    run = RunBody.model_validate({**payload, "assistant_id": CHAT_GRAPH})
    checked_graph(run)
    stream_modes(run)
    user_message(run)
    now = context.store.clock()
    end_at = None if body.end_time is None else body.end_time.astimezone(UTC)
    if body.end_time is not None and body.end_time.tzinfo is None:
        raise validation_error("body.end_time", "a time with its UTC offset")
    try:
        next_run = following(body.schedule, body.timezone, now, end_at)
    except CronError as exc:
        raise validation_error(f"body.{exc.field}", exc.problem) from None
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


@router.post("/runs/crons/search", summary="Search crons")
def search_crons(body: CronSearch, context: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """The caller's crons matching `assistant_id`, `thread_id`, `enabled` and `metadata`."""
    refuse_text(body.metadata, "body.metadata")
    wanted_thread = (
        None if body.thread_id is None else stored_thread_id(caller.owner, body.thread_id)
    )
    views = []
    for cron in context.store.list_agent_crons(caller.owner):
        view = cron_view(cron)
        if body.assistant_id is not None and graph_of(body.assistant_id) != CHAT_GRAPH:
            continue
        if wanted_thread is not None and cron.thread_id != wanted_thread:
            continue
        if body.enabled is not None and view["enabled"] != body.enabled:
            continue
        if any(view["metadata"].get(k) != v for k, v in (body.metadata or {}).items()):
            continue
        views.append(view)
    key = body.sort_by or "created_at"
    views.sort(key=lambda v: (v[key] is None, v[key] or ""), reverse=body.sort_order == "desc")
    return views[body.offset : body.offset + body.limit]


@router.delete(
    "/runs/crons/{cron_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a cron"
)
def delete_cron(cron_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the caller's cron: it fires no more (a run already started goes on)."""
    with found_or_404("cron", cron_id):
        context.store.delete_agent_cron(caller.owner, cron_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
