"""One run of an Agent Protocol cron, as a job (`services.agent_crons.CRON_RUN_KIND`, submitted
by the scheduler's tick): the cron's input sent to the chat assistant on its thread (or on a
thread of its own, deleted after the run unless the cron keeps it, `on_run_completed`),
recorded like any Agent Protocol run (`api.agent_protocol.run_records`: `GET .../runs` lists
it, with `metadata.cron_id`). A cron deleted meanwhile runs nothing; a thread with a run in
progress is left alone (the fire is skipped, saying so in the job's result). This module is
named in `settings.jobs.handlers` and in the API's workers' handlers (`api.context`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from api.agent_protocol.assistants import CHAT_GRAPH, assistant_id
from api.agent_protocol.chat_runs import AgentRun, chat_outcome, execute, new_run_id
from api.agent_protocol.conversations import erase_conversation
from api.agent_protocol.run_records import RunTiming, StoreJournal, active_run
from api.agent_protocol.run_requests import chat_turn
from api.errors import ApiError
from api.schemas.agent_runs import RunBody
from api.thread_turns import claim_thread, release_thread
from jobs.handlers import Handler, JobContext
from services.agent_crons import CRON_RUN_KIND
from settings import get_settings
from store import Job, NotFoundError


def cron_run_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run the cron's chat turn (see the module docstring); the run's id, thread and status
    (`run_status`)."""
    from graphs.chat import ChatSession

    store, owner = ctx.store, job.owner
    settings = ctx.settings or get_settings()
    try:
        cron = store.get_agent_cron(owner, job.request["cron_id"])
    except NotFoundError:
        return {"skipped": "the cron was deleted"}
    document = cron.document
    thread_id = cron.thread_id
    if thread_id is None:
        thread_id = store.create_thread(owner, f"Cron {cron.cron_id}").id
    elif active_run(store, owner, thread_id) is not None:
        return {"skipped": f"thread {thread_id} has a run in progress", "thread_id": thread_id}
    body = RunBody.model_validate({**document["payload"], "assistant_id": CHAT_GRAPH})
    session = ChatSession(thread_id, settings=settings, owner=owner, store=store)
    run = AgentRun(
        run_id=new_run_id(),
        thread_id=thread_id,
        assistant_id=assistant_id(CHAT_GRAPH),
        owner=owner,
        stream_modes=("values",),
        metadata={**(body.metadata or {}), "cron_id": cron.cron_id, "fire": job.request["fire"]},
    )
    timing = RunTiming()
    try:
        claim_thread(store, owner, thread_id)
    except ApiError as exc:  # a turn runs on it in some process, or this process is full
        return {"skipped": exc.message, "thread_id": thread_id}
    try:
        store.create_agent_run(
            owner,
            run_id=run.run_id,
            thread_id=thread_id,
            assistant_id=run.assistant_id,
            lease_seconds=timing.lease_seconds,
            metadata=run.metadata,
            multitask_strategy="reject",
            kwargs={"stream_mode": ["values"], "cron_id": cron.cron_id},
        )
        session.stop = lambda: _stopped(run, ctx)
        outcome = chat_outcome(chat_turn(session, body), session.snapshot)
    except BaseException:
        release_thread(store, owner, thread_id)
        raise

    def release() -> None:
        with contextlib.suppress(NotFoundError):
            store.touch_thread(owner, thread_id)
        release_thread(store, owner, thread_id)

    execute(run, outcome, release, StoreJournal(store, owner, timing))
    kept = cron.thread_id is not None or document.get("on_run_completed") == "keep"
    if not kept:
        with contextlib.suppress(NotFoundError):
            erase_conversation(settings, store, owner, thread_id)
    return {"run_id": run.run_id, "thread_id": thread_id, "run_status": run.status, "kept": kept}


def _stopped(run: AgentRun, ctx: JobContext) -> bool:
    """Whether the cron's turn stops before its next step: its job was cancelled, or its worker
    is stopping and lets it go (`JobRunner.stop`); the run then ends `interrupted`, saying why,
    and nothing of it goes on."""
    if not ctx.cancelled():
        return False
    run.cancel_reason = run.cancel_reason or "its job was cancelled, or its worker stopped"
    return True


HANDLERS: dict[str, Handler] = {CRON_RUN_KIND: cron_run_handler}
"""The job kinds this module handles (`jobs.worker.load_handler_modules` registers them)."""
