"""Never a traceback in a conversation (DESIGN.md's invariant): whatever fails inside a chat
turn is answered in the project's words and leaves the thread usable.

`guarded(stage, ...)` wraps a node of the `assistant` graph: an exception its work raises (the
model's rules, a tool outside its own error handling, a follow-up's carry-over, the drafting of a
request) ends the node with a reply saying what could not be done (`failure_reply`) and the
state update that leaves the thread as it was before the message (no draft or deployment left
pending), so the next message is read as usual. The exception's type and message go to the
trace (an `error` event, code `turn_failed`) and the log, not to the reply. `checked` does the
same for the ask accounting of an answer that was computed: the answer is kept, and says that
its items could not be checked.

What is not caught, on purpose: LangGraph's own control flow (`GraphBubbleUp`: an approval's
`interrupt`), a model service that cannot be reached or answers unusably (`ModelCallError`,
`ModelOutputError`: in the project's words, `api.errors`: unreachable or throttled, the command
line exits 3 and the API answers 503 with `Retry-After`; refused or failed otherwise, exit 1 and
502), and a store that cannot be read or written (`StoreError`: the
API's 503). Those end the turn without a reply; the thread keeps the message and goes on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage
from langgraph.errors import GraphBubbleUp

from agents.errors import ModelCallError, ModelOutputError
from graphs.emit import emit_error
from store.errors import StoreError

LOG = logging.getLogger(__name__)

PASSED_ON: tuple[type[BaseException], ...] = (
    GraphBubbleUp,
    ModelCallError,
    ModelOutputError,
    StoreError,
)
"""Failures a guarded node lets through (see the module docstring)."""

STAGES = {
    "supervisor": "reading your message",
    "specialist": "working on your request",
    "draft": "drafting the strategy search",
    "approve": "running the approved search",
    "propose_deployment": "drafting the deployment",
    "approve_deployment": "creating the deployment",
}
"""What each node was doing, in the words of the reply."""

UNCHECKED = (
    "I could not check this answer against every item of your message (the check itself "
    "failed), so an item it leaves out may not be named."
)
"""What an answer says when its ask accounting failed."""

State = TypeVar("State")


def failure_reply(stage: str) -> str:
    """The reply of a turn whose node `stage` failed: what could not be done, that nothing
    changed, and what to do next."""
    doing = STAGES.get(stage, "answering")
    return (
        f"I could not finish this: something went wrong on my side while {doing}, so nothing "
        "was computed or changed. The conversation goes on as before: ask again in other words, "
        "or ask something else."
    )


def _report(stage: str, exc: Exception) -> None:
    LOG.exception("chat turn failed in %s", stage)
    emit_error(f"{stage} failed: {type(exc).__name__}: {exc}"[:500], "turn_failed")


def guarded(
    stage: str,
    cleared: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """A decorator for the node `stage`: a failure (see the module docstring) gives the update
    `cleared` (what the node would otherwise leave pending, set back; a function of the node's
    state when that depends on it) with the reply `failure_reply(stage)`."""

    def wrap(node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(node)
        def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
            try:
                return node(*args, **kwargs)
            except PASSED_ON:
                raise
            except Exception as exc:  # the invariant: never a traceback in a turn
                _report(stage, exc)
                update = cleared(args[0]) if callable(cleared) else cleared
                return {**(update or {}), "messages": [AIMessage(failure_reply(stage))]}

        return run

    return wrap


def checked(
    check: Callable[[Sequence[BaseMessage], list[BaseMessage]], list[BaseMessage]],
    history: Sequence[BaseMessage],
    new: list[BaseMessage],
) -> list[BaseMessage]:
    """`check(history, new)` (the ask accounting of a turn's answer); when it fails, `new` with
    its final answer saying that it could not be checked (`UNCHECKED`)."""
    try:
        return check(history, new)
    except PASSED_ON:
        raise
    except Exception as exc:  # an answer was computed: keep it, say what is missing
        _report("ask accounting", exc)
        final = new[-1] if new else None
        if not isinstance(final, AIMessage) or final.tool_calls:
            return new
        return [*new[:-1], AIMessage(f"{final.text}\n\n{UNCHECKED}".strip(), id=final.id)]


def checked_notes(notes: Callable[[], list[str]]) -> list[str]:
    """`notes()` (what the accounting adds to a proposal's summary); when it fails, the one note
    that the proposal was not checked against every item of the message."""
    try:
        return notes()
    except PASSED_ON:
        raise
    except Exception as exc:  # the proposal stands; say what is missing
        _report("ask accounting", exc)
        return [UNCHECKED.replace("this answer", "this proposal").removesuffix(".")]
