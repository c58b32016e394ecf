"""Searches and deployments drafted outside the conversation (by an MCP client: `api.mcp`), put
to their owner for approval the way the assistant's own drafts are.

A draft is a new chat thread of the owner (listed with their threads, `/v1/threads`) paused on
the same approval as a search or deployment the assistant drafted (`graphs.assistant`: the
`approve` and `approve_deployment` nodes): the draft's id is the thread's id. It is approved,
edited or rejected like any other pending approval: in the MCP client itself when it can ask
its user (elicitation), with `stratigos chat --thread <id> --approve`, on the thread's page of
the web UI, or `POST /v1/threads/<id>/approve`. An approved search runs as the owner's
optimization job and an approved deployment is created and activated, by the graph's own nodes.

The drafts take the agents' own schemas (`agents.chat.RequestDraft`, `DeploymentDraft`) and the
same checks: the owner's profile fills and screens a search (`graphs.chat_profile`), and a
deployment names what it deploys (`graphs.chat_deployment`). A deployment drafted outside a
conversation has no "last search" of its own: it names the optimization job whose winner it
deploys (`optimization_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage

from agents.chat import DeploymentDraft, RequestDraft
from graphs.chat import ChatSession
from graphs.chat_deployment import deployment_proposal, deployment_refusal
from graphs.chat_profile import profile_draft
from graphs.chat_search import request_from_draft
from services.errors import InputError, NotFoundInputError
from settings import Settings
from store import OPTIMIZATION_KIND, NotFoundError, Store
from traces.tracelog import EventSink

DraftStatus = Literal["pending_approval", "approved", "rejected"]
HISTORY = 50
"""Checkpoints of a draft's thread searched for the approval it asked for."""


@dataclass(frozen=True)
class DraftOutcome:
    """Where a draft stands: pending its owner's approval (`pending` is the approval request:
    summary, request, actions), or decided, with what the assistant answered (`replies`: the
    run's result, the deployment's id, or the cancellation) and the run it started, if any."""

    draft_id: str
    status: DraftStatus
    summary: str
    pending: dict[str, Any] | None = None
    replies: list[str] = field(default_factory=list)
    run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The outcome as a JSON object (what an MCP tool answers)."""
        body: dict[str, Any] = {
            "draft_id": self.draft_id,
            "status": self.status,
            "summary": self.summary,
        }
        if self.pending is not None:
            body["request"] = self.pending.get("request")
            body["approve_with"] = approval_hint(self.draft_id)
        if self.replies:
            body["replies"] = self.replies
        if self.run_id is not None:
            body["run_id"] = self.run_id
        return body


def approval_hint(draft_id: str) -> str:
    """Where the owner approves a pending draft."""
    return (
        f"stratigos chat --thread {draft_id} --approve (or --reject), the thread on the web "
        f"UI's chat page, or POST /v1/threads/{draft_id}/approve"
    )


def draft_search(
    store: Store, owner: str, settings: Settings, draft: RequestDraft, *, client: str
) -> DraftOutcome:
    """Put the strategy search `draft` describes to `owner` for approval: completed from their
    profile, validated, then pending in a new thread. `InputError` or
    `pydantic.ValidationError` when it cannot run (nothing is drafted then)."""
    request, notes, from_profile = profile_draft(request_from_draft(draft), owner, store)
    described = draft.summary or "a strategy search"
    return _propose(
        store,
        owner,
        settings,
        title=f"Strategy search drafted by {client} (MCP)",
        asked=f"{client} drafted this through MCP: {described}.",
        values={
            "draft": request.model_dump(mode="json"),
            "draft_notes": notes,
            "draft_from_profile": from_profile,
            "focus": list(draft.focus or []),
        },
        as_node="draft",
    )


def draft_deployment(
    store: Store,
    owner: str,
    settings: Settings,
    draft: DeploymentDraft,
    optimization_id: str | None,
    *,
    client: str,
) -> DraftOutcome:
    """Put the deployment `draft` describes to `owner` for approval: the winner of their
    optimization job `optimization_id` (source ``last_run``) or their saved portfolio (source
    ``portfolio``). `InputError` naming the field when there is nothing to deploy."""
    last_run = None
    if draft.source == "last_run":
        last_run = _finished_search(store, owner, optimization_id)
    refused = deployment_refusal(last_run, draft, (owner, store))
    if refused is not None:
        raise InputError("portfolio_id", refused)
    proposal = deployment_proposal(last_run, draft, (owner, store))
    if isinstance(proposal, str):
        raise NotFoundInputError("portfolio_id", proposal, proposal)
    return _propose(
        store,
        owner,
        settings,
        title=f"Deployment drafted by {client} (MCP)",
        asked=f"{client} drafted this through MCP: {draft.summary or proposal['summary']}",
        values={"deployment": proposal, "last_run": last_run},
        as_node="propose_deployment",
    )


def draft_outcome(store: Store, owner: str, settings: Settings, draft_id: str) -> DraftOutcome:
    """Where `owner`'s draft (any thread of theirs) stands; `NotFoundInputError` for a thread
    they do not have."""
    session = _session(store, owner, settings, draft_id)
    snapshot = session.snapshot()
    pending = session.pending()
    messages = list(snapshot.values.get("messages", []))
    if pending is not None:
        return DraftOutcome(draft_id, "pending_approval", pending["summary"], pending=pending)
    replies = [str(m.text) for m in messages if isinstance(m, AIMessage) and m.text]
    rejected = bool(replies) and replies[-1].startswith("Cancelled")
    last_run = snapshot.values.get("last_run") or {}
    return DraftOutcome(
        draft_id,
        "rejected" if rejected or not replies else "approved",
        _last_question(session),
        replies=replies,
        run_id=None if rejected else last_run.get("run_id"),
    )


def decide_draft(
    store: Store,
    owner: str,
    settings: Settings,
    draft_id: str,
    action: Literal["approve", "reject"],
    on_event: EventSink | None = None,
) -> DraftOutcome:
    """Approve (run the search, create the deployment) or reject `owner`'s pending draft, the
    run's trace events going to `on_event`; then where it stands. `graphs.chat.
    NothingPendingError` when nothing waits for approval."""
    _session(store, owner, settings, draft_id).decide(action, on_event=on_event)
    store.touch_thread(owner, draft_id)
    return draft_outcome(store, owner, settings, draft_id)


def _last_question(session: ChatSession) -> str:
    """The summary of the last approval the thread asked for (from its checkpoints)."""
    for snapshot in session.snapshots(HISTORY):
        for task in snapshot.tasks:
            for asked in task.interrupts:
                if isinstance(asked.value, dict) and "summary" in asked.value:
                    return str(asked.value["summary"])
    return ""


def _session(store: Store, owner: str, settings: Settings, draft_id: str) -> ChatSession:
    try:
        store.get_thread(owner, draft_id)
    except NotFoundError:
        raise NotFoundInputError(
            "draft_id", f"no draft {draft_id!r}", f"draft {draft_id!r} not found"
        ) from None
    return ChatSession(draft_id, settings=settings, owner=owner, store=store)


def _finished_search(store: Store, owner: str, job_id: str | None) -> dict[str, Any]:
    """The thread-like `last_run` of `owner`'s succeeded optimization job `job_id`."""
    if not job_id:
        newest = store.list_jobs(owner, statuses=["succeeded"], kinds=[OPTIMIZATION_KIND], limit=1)
        latest = newest[0].id if newest else None
        hint = f" (your latest finished one is {latest})" if latest else ""
        raise InputError(
            "optimization_id", f"name the optimization job whose winner to deploy{hint}"
        )
    try:
        job = store.get_job(owner, job_id)
    except NotFoundError:
        raise NotFoundInputError(
            "optimization_id", f"no optimization {job_id!r}", f"optimization {job_id!r} not found"
        ) from None
    if job.kind != OPTIMIZATION_KIND or job.status != "succeeded":
        raise InputError(
            "optimization_id", f"{job_id} is a {job.kind} job that is {job.status}, not a "
            "succeeded optimization",
        )  # fmt: skip
    result = store.get_result(owner, job_id).payload
    return {
        "run_id": job.id,
        "status": result.get("status"),
        "best": result.get("best"),
        "benchmark_verdict": result.get("benchmark_verdict"),
    }


def _propose(
    store: Store,
    owner: str,
    settings: Settings,
    *,
    title: str,
    asked: str,
    values: dict[str, Any],
    as_node: str,
) -> DraftOutcome:
    thread = store.create_thread(owner, title)
    session = ChatSession(
        thread.id, settings=settings, owner=owner, store=store, checkpoint=thread.checkpoint
    )
    turn = session.propose({"messages": [HumanMessage(asked)], **values}, as_node=as_node)
    if turn.pending is None:  # pragma: no cover - the graph always pauses on a proposal
        raise RuntimeError(f"thread {thread.id} did not pause for approval")
    return DraftOutcome(thread.id, "pending_approval", turn.pending["summary"], turn.pending)
