"""What moves money or runs long, over MCP: strategy searches and deployments are drafted for the
owner's approval, never run on a model's word (`graphs.chat_drafts`).

- `draft_strategy_search` takes the optimizer agent's own draft (`agents.chat.RequestDraft`);
- `draft_deployment` takes its deployment draft (`agents.chat.DeploymentDraft`) and the
  optimization job whose winner to deploy;
- `draft_status` says where a draft stands.

A draft is a chat thread of the owner paused on its approval. When the client can ask its user
(it declared the elicitation capability, and `STRATIGOS_MCP_ELICITATION_APPROVALS` is on), the
drafting call asks at once: approved, the search runs within the call, its progress reported as
MCP progress notifications (when the call asked for them with a progress token), and the call
answers with the run's result; declined, the draft is rejected; dismissed, it stays pending.
Otherwise the call answers with the draft's id and where to approve it (the CLI, the web UI,
the API): nothing runs until the owner does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
import mcp.types as types
from mcp.server.session import ServerSession
from mcp.shared.exceptions import McpError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.chat import DeploymentDraft, RequestDraft
from api.errors import project_error
from api.mcp.annotations import annotations_of
from api.mcp.tools import error_result, invalid_arguments, json_result, without_null_arguments
from graphs.chat import NothingPendingError
from graphs.chat_drafts import (
    DraftOutcome,
    decide_draft,
    draft_deployment,
    draft_outcome,
    draft_search,
)
from services.errors import InputError, QuantError
from settings import Settings
from store import Store
from traces.schema import TraceEvent


class DeploymentDraftArgs(DeploymentDraft):
    """The optimizer agent's deployment draft, and the optimization job whose winner it deploys
    (a conversation's "last search" has no meaning outside one)."""

    model_config = ConfigDict(extra="forbid")

    optimization_id: str | None = Field(
        default=None,
        description="With source 'last_run': the optimization job (job_...) whose winner to "
        "deploy.",
    )


class DraftStatusArgs(BaseModel):
    """Arguments of `draft_status`."""

    model_config = ConfigDict(extra="forbid")

    draft_id: str = Field(
        min_length=1, max_length=64, description="The draft's id, as the drafting call gave it."
    )


@dataclass(frozen=True)
class DraftTool:
    """One drafting tool: its name, description and arguments."""

    name: str
    description: str
    schema: type[BaseModel]

    def definition(self) -> types.Tool:
        """The MCP tool definition (its schema as `api.mcp.tools.input_schema` writes one)."""
        return types.Tool(
            name=self.name,
            description=self.description,
            inputSchema=without_null_arguments(self.schema.model_json_schema()),
            annotations=annotations_of(self.name),
        )


DRAFT_TOOLS = (
    DraftTool(
        "draft_strategy_search",
        "Draft a strategy search (a long optimization run over market scenarios) for the "
        "user's approval: the universe, dates, scenarios and weights, target-vol range, weight "
        "functions, risk limits, trials and option protection the user asked for; unset fields "
        "keep the defaults and the user's profile. Nothing runs until the user approves; the "
        "answer says whether it ran (and its result) or where to approve it.",
        RequestDraft,
    ),
    DraftTool(
        "draft_deployment",
        "Draft a deployment to a paper account for the user's approval: the winner of one of "
        "their optimization jobs (source 'last_run' with optimization_id) or a saved portfolio "
        "(source 'portfolio' with portfolio_id), its capital and rebalancing schedule. Nothing "
        "is deployed until the user approves.",
        DeploymentDraftArgs,
    ),
    DraftTool(
        "draft_status",
        "Where a draft stands: pending approval, approved (with the run's result or the "
        "deployment) or rejected.",
        DraftStatusArgs,
    ),
)
DRAFT_TOOL_NAMES = tuple(tool.name for tool in DRAFT_TOOLS)

APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decision": {
            "type": "string",
            "title": "Decision",
            "description": "approve: run it now; reject: drop it",
            "enum": ["approve", "reject"],
        }
    },
    "required": ["decision"],
}
"""The form an elicitation asks the user to fill in."""


@dataclass(frozen=True)
class DraftCall:
    """What a drafting call needs: whose, where, which client, and the request's channel back
    (session, request id, progress token)."""

    owner: str
    store: Store
    settings: Settings
    client: str
    session: ServerSession
    request_id: types.RequestId
    progress_token: types.ProgressToken | None


async def call_draft_tool(
    name: str, arguments: dict[str, Any], call: DraftCall
) -> types.CallToolResult:
    """Answer a call of the drafting tool `name`."""
    tool = next(t for t in DRAFT_TOOLS if t.name == name)
    try:
        args = tool.schema.model_validate(arguments)
    except ValidationError as exc:
        return invalid_arguments(name, exc)
    try:
        if isinstance(args, DraftStatusArgs):
            status = partial(draft_outcome, call.store, call.owner, call.settings, args.draft_id)
            outcome = await anyio.to_thread.run_sync(status)
            return json_result(outcome.to_json())
        outcome = await anyio.to_thread.run_sync(partial(_draft, args, call))
        decision = await ask_approval(call, outcome)
        if decision is not None:
            outcome = await _decide(call, outcome.draft_id, decision)
    except (InputError, ValidationError, QuantError, NothingPendingError) as exc:
        return refusal(exc)
    return json_result(outcome.to_json())


def _draft(args: BaseModel, call: DraftCall) -> DraftOutcome:
    if isinstance(args, DeploymentDraftArgs):
        draft = DeploymentDraft.model_validate(args.model_dump(exclude={"optimization_id"}))
        return draft_deployment(
            call.store, call.owner, call.settings, draft, args.optimization_id, client=call.client
        )
    assert isinstance(args, RequestDraft)
    return draft_search(call.store, call.owner, call.settings, args, client=call.client)


def refusal(exc: Exception) -> types.CallToolResult:
    """A drafting call refused, in the project's format (`api.errors.project_error`): the
    drafted request's own checks name its fields under ``request.``, the arguments' under
    ``arguments.``; a decision on a draft already decided is a conflict."""
    if isinstance(exc, NothingPendingError):
        return error_result("CONFLICT", str(exc), [{"field": "draft_id", "problem": "decided"}])
    error = project_error(exc, "request." if isinstance(exc, ValidationError) else "arguments.")
    assert error is not None  # called for the project's error types only
    if isinstance(exc, ValidationError):
        summary = "; ".join(f"{d['field']}: {d['problem']}" for d in error.details[:3])
        return error_result(error.code, f"the drafted request cannot run: {summary}", error.details)
    message = exc.message if isinstance(exc, InputError) else error.message
    return error_result(error.code, message, error.details)


def can_elicit(session: ServerSession) -> bool:
    """Whether the client declared it can ask its user (form elicitation)."""
    params = session.client_params
    capabilities = params.capabilities if params is not None else None
    return capabilities is not None and capabilities.elicitation is not None


async def ask_approval(
    call: DraftCall, outcome: DraftOutcome
) -> Literal["approve", "reject"] | None:
    """The user's decision on a pending draft, asked through the client (elicitation), or None
    when it cannot be asked (not enabled, not supported) or the user dismissed the question."""
    if not call.settings.mcp.elicitation_approvals or not can_elicit(call.session):
        return None
    try:
        answer = await call.session.elicit_form(
            f"Approval needed: {outcome.summary}",
            APPROVAL_SCHEMA,
            related_request_id=call.request_id,
        )
    except McpError:  # the client could not ask after all: the draft waits, as without it
        return None
    if answer.action == "decline":
        return "reject"
    if answer.action != "accept":
        return None
    decision = (answer.content or {}).get("decision")
    if decision == "approve":
        return "approve"
    return "reject" if decision == "reject" else None


async def _decide(
    call: DraftCall, draft_id: str, action: Literal["approve", "reject"]
) -> DraftOutcome:
    """Run the decision in a worker thread; a run's progress goes out as MCP progress
    notifications of the drafting call."""
    forward = progress_forwarder(call)
    run = partial(decide_draft, call.store, call.owner, call.settings, draft_id, action, forward)
    return await anyio.to_thread.run_sync(run)


def progress_forwarder(call: DraftCall) -> Callable[[TraceEvent], None] | None:
    """A trace sink (called in the worker thread) sending the search's progress (trials done
    of planned) as progress notifications on the call's progress token; None when the call
    gave no token."""
    token = call.progress_token
    if token is None:
        return None
    sent = [0.0]  # MCP progress must increase: the trials of the search, not its other stages

    def send(event: TraceEvent) -> None:
        if event.type != "progress" or event.data.get("unit", "trials") != "trials":
            return
        done, total = event.data["done"], event.data.get("total")
        if done <= sent[0]:
            return
        sent[0] = float(done)
        message = f"{done} of {total} trials" if total else f"{done} trials"
        anyio.from_thread.run(
            partial(
                call.session.send_progress_notification,
                token,
                float(done),
                float(total) if total else None,
                message,
                str(call.request_id),
            )
        )

    return send
