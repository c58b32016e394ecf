"""The assistant's approvals in LangGraph's `HumanInterrupt` / `HumanResponse` shapes, as
agent-chat-ui's inbox and other Agent Protocol clients speak them.

The graph pauses with our approval (`{"type": "approval", "summary", "request", "actions",
["kind"]}`, see `graphs.assistant`). Through the Agent Protocol an interrupt's value is a
list of one `HumanInterrupt`: `action_request` (`{"action", "args"}`: the proposed request's
fields that are set),
`config` (`allow_ignore`, `allow_respond`, `allow_edit`, `allow_accept`, all true) and
`description` (the summary), with our fields kept beside them. A resume is our decision
(`{"action": "approve" | "edit" | "reject", "request"}`, or a bare action) or a list of one
`HumanResponse`: `accept` approves, `ignore` rejects, `edit` (`args: {"action", "args"}`)
runs the request with the edited arguments, `response` (`args`: text) answers with a
message, answered as any new message is (the proposal then waits again, `ChatSession.send`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pydantic import ValidationError

from api.errors import field_errors, invalid, validation_error
from graphs.approvals import DECISIONS, check_decision
from graphs.request import OptimizationRequest

ACTIONS = {"deployment": "create_deployment", "external_tool": "call_external_tool"}
"""The `action_request.action` of an approval of each `kind` (default: `DEFAULT_ACTION`)."""
DEFAULT_ACTION = "run_strategy_search"


def is_approval(value: Any) -> bool:
    """Whether an interrupt value is one of the assistant's approvals."""
    return isinstance(value, dict) and value.get("type") == "approval"


def _set_fields(request: dict[str, Any]) -> dict[str, Any]:
    """The request's fields that are set: a null field means its default, and agent-chat-ui's
    edit form cannot show one (it reads every argument's length)."""
    return {name: value for name, value in request.items() if value is not None}


def human_interrupts(approval: dict[str, Any]) -> list[dict[str, Any]]:
    """The approval as a list of one `HumanInterrupt` (our fields kept beside its own)."""
    return [
        {
            "action_request": {
                "action": ACTIONS.get(str(approval.get("kind")), DEFAULT_ACTION),
                "args": _set_fields(approval.get("request") or {}),
            },
            "config": {
                "allow_ignore": True,
                "allow_respond": True,
                "allow_edit": "edit" in (approval.get("actions") or DECISIONS),
                "allow_accept": True,
            },
            "description": approval.get("summary", ""),
            **approval,
        }
    ]


@dataclasses.dataclass(frozen=True)
class Decision:
    """An answer to the pending approval: `action` approve, edit (with `changes` to the
    request), reject, or respond (with `text`, a user message)."""

    action: str
    changes: dict[str, Any] | None = None
    text: str | None = None
    field: str = "body.command.resume.request"
    """Where the changes were given (the field an invalid edit's errors name)."""


FIELD = "body.command.resume"


def checked_answer(
    pending: dict[str, Any], action: str, changes: dict[str, Any] | None, prefix: str, field: str
) -> None:
    """Refuse, before the thread resumes (the approval stays pending), an answer `pending` does
    not take (`graphs.approvals.check_decision`: 422 naming `<prefix>action`; an external MCP tool's
    call is never edited), and an edit of a search that leaves no valid request (422 naming
    each field under `field`). A deployment's edit is checked where it is applied."""
    with field_errors(prefix):
        check_decision(pending, action)
    if action != "edit" or pending.get("kind") == "deployment":
        return
    try:
        OptimizationRequest.model_validate({**pending.get("request", {}), **(changes or {})})
    except ValidationError as exc:
        raise invalid(exc, field, "edit") from None


def decision(resume: Any, pending: dict[str, Any] | None) -> Decision:
    """The decision a `command.resume` value carries (422 naming the field otherwise);
    `pending` is the approval it answers (an edit's text values are read as JSON where the
    request's value is not text, as form-based clients send them)."""
    if isinstance(resume, list):
        if len(resume) != 1:
            raise validation_error(FIELD, "a list of exactly one HumanResponse")
        return _human_response(resume[0], pending, f"{FIELD}.0")
    if isinstance(resume, dict) and "type" in resume:
        return _human_response(resume, pending, FIELD)
    if isinstance(resume, str):
        resume = {"action": resume}
    if not isinstance(resume, dict) or resume.get("action") not in ("approve", "edit", "reject"):
        raise validation_error(
            f"{FIELD}.action",
            "one of approve, edit, reject (e.g. {'action': 'approve'}), or a HumanResponse "
            "list (e.g. [{'type': 'accept'}])",
        )
    changes = resume.get("request")
    if changes is not None and not isinstance(changes, dict):
        raise validation_error(f"{FIELD}.request", "an object of request fields")
    return Decision(str(resume["action"]), changes)


def _human_response(response: Any, pending: dict[str, Any] | None, where: str) -> Decision:
    if not isinstance(response, dict) or response.get("type") not in (
        "accept",
        "ignore",
        "response",
        "edit",
    ):
        raise validation_error(f"{where}.type", "one of accept, ignore, response, edit")
    kind = response["type"]
    args = response.get("args")
    if kind == "accept":
        return Decision("approve")
    if kind == "ignore":
        return Decision("reject")
    if kind == "response":
        if not isinstance(args, str) or not args.strip():
            raise validation_error(f"{where}.args", "the response text (a non-empty string)")
        if len(args) > 8000:
            raise validation_error(f"{where}.args", "at most 8000 characters")
        return Decision("respond", text=args)
    edited = args.get("args") if isinstance(args, dict) else None
    if not isinstance(edited, dict):
        raise validation_error(
            f"{where}.args.args", "the edited request: {'action': ..., 'args': {fields}}"
        )
    current = (pending or {}).get("request") or {}
    changes = {k: _as_json(v, current.get(k)) for k, v in edited.items()}
    return Decision("edit", changes, field=f"{where}.args.args")


def _as_json(value: Any, current: Any) -> Any:
    """`value`, or the JSON a text `value` holds when the field's current value is not text."""
    if not isinstance(value, str) or current is None or isinstance(current, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
