"""Chat with the strategy assistant: threads, messages streamed as SSE, approvals.

- `POST /v1/threads` creates a thread; `GET /v1/threads` lists the caller's; `GET
  /v1/threads/{id}` returns its history and the pending approval, if any; `DELETE` removes it
  from the caller's list.
- `POST /v1/threads/{id}/messages` sends a message. By default the answer is an SSE stream of
  the turn's trace events (agents working, tool calls and results, the draft request, progress
  of an approved run), then `event: turn` with `{"replies", "pending"}` and `event: end`. With
  `Accept: application/json` the turn is answered as one JSON document (events included).
- `POST /v1/threads/{id}/approve` answers a pending approval (`approve`, `edit` with changes
  to the request, or `reject`), streamed the same way; 409 when nothing is pending.

One turn at a time per thread, in every process (a second concurrent message is 409), and at
most `MAX_CONCURRENT_TURNS` turns per process (429 with `Retry-After` beyond):
`api.thread_turns`. A message sent while the app closes is 503 with `Retry-After`; a turn under
way then stops before its next step, answering 503 `UNAVAILABLE` (the stream's `error` event).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Header, Response, status
from fastapi.responses import StreamingResponse

from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, error_document, not_found
from api.human_interrupt import checked_answer
from api.route_defaults import api_router
from api.schemas.threads import (
    ChatMessage,
    Decision,
    MessageIn,
    SavedPortfolioView,
    ThreadCreate,
    ThreadDetail,
    ThreadView,
    TurnView,
)
from api.streaming import SSE_HEADERS, sse
from api.thread_turns import shutting_down
from store import ChatThread, NotFoundError
from traces.schema import TraceEvent

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from graphs.chat import ChatSession, ChatTurn

router = api_router(prefix="/v1", tags=["chat"])


def _saved(turn: ChatTurn) -> list[SavedPortfolioView]:
    return [SavedPortfolioView(**dataclasses.asdict(saved)) for saved in turn.saved]


def _view(thread: ChatThread) -> ThreadView:
    return ThreadView(
        id=thread.id, title=thread.title, created_at=thread.created_at, updated_at=thread.updated_at
    )


def _thread(context: AppContext, owner: str, thread_id: str) -> ChatThread:
    try:
        return context.store.get_thread(owner, thread_id)
    except NotFoundError:
        raise not_found("thread", thread_id) from None


def _message(message: BaseMessage) -> ChatMessage | None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    if isinstance(message, HumanMessage):
        return ChatMessage(role="user", content=message.text)
    if isinstance(message, AIMessage):
        calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
        return ChatMessage(role="assistant", content=message.text, tool_calls=calls)
    if isinstance(message, ToolMessage):
        return ChatMessage(role="tool", content=message.text, name=message.name)
    return None


@router.post(
    "/threads", status_code=status.HTTP_201_CREATED, response_model=ThreadView, summary="New thread"
)
def create_thread(
    body: ThreadCreate, context: Ctx, caller: Caller, response: Response
) -> ThreadView:
    """Start a conversation with the strategy assistant."""
    thread = context.store.create_thread(caller.owner, body.title)
    response.headers["Location"] = f"/v1/threads/{thread.id}"
    return _view(thread)


@router.get("/threads", response_model=list[ThreadView], summary="List threads")
def list_threads(context: Ctx, caller: Caller) -> list[ThreadView]:
    """The caller's threads, most recently active first."""
    return [_view(t) for t in context.store.list_threads(caller.owner)]


@router.get("/threads/{thread_id}", response_model=ThreadDetail, summary="History")
def get_thread(thread_id: str, context: Ctx, caller: Caller) -> ThreadDetail:
    """The thread's messages (user, assistant with tool calls, tool results) and pending
    approval."""
    from graphs.chat import ChatSession  # the assistant's graph and LangChain on first use

    thread = _thread(context, caller.owner, thread_id)
    session = ChatSession(thread.id, settings=context.settings, checkpoint=thread.checkpoint)
    messages = [m for m in map(_message, session.history()) if m is not None]
    return ThreadDetail(**_view(thread).model_dump(), messages=messages, pending=session.pending())


@router.delete("/threads/{thread_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete")
def delete_thread(thread_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the thread: its entry, its conversation (checkpoints) and its trace."""
    from graphs.chat import ChatSession

    thread = _thread(context, caller.owner, thread_id)
    context.turns.claim(context.store, caller.owner, thread_id)  # not while a turn is running
    try:
        ChatSession(thread_id, settings=context.settings, checkpoint=thread.checkpoint).delete()
        context.store.delete_thread(caller.owner, thread_id)
    finally:
        context.turns.release(context.store, caller.owner, thread_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


Turn = Callable[[Callable[[TraceEvent], None]], "ChatTurn"]


def _respond(
    context: AppContext,
    owner: str,
    thread: ChatThread,
    session: ChatSession,
    turn: Turn,
    accept: str | None,
) -> Any:
    """Run `turn` of `session` (in a worker thread) and answer as SSE or, when asked, JSON; the
    turn stops before its next step once the app closes."""
    session.stop = context.turns.claim(context.store, owner, thread.id).is_set
    wants_json = "application/json" in (accept or "") and "text/event-stream" not in (accept or "")
    if wants_json:
        return _respond_json(context, owner, thread, turn)
    return StreamingResponse(
        _stream(context, owner, thread, turn), media_type="text/event-stream", headers=SSE_HEADERS
    )


def _respond_json(context: AppContext, owner: str, thread: ChatThread, turn: Turn) -> TurnView:
    events: list[dict[str, Any]] = []
    kind, result = _settled(
        context, owner, thread, turn, lambda e: events.append(json.loads(e.to_json()))
    )
    if kind == "error":
        raise result
    return TurnView(
        thread_id=thread.id,
        replies=result.replies,
        pending=result.pending,
        saved_portfolios=_saved(result),
        events=events,
    )


def _settled(
    context: AppContext,
    owner: str,
    thread: ChatThread,
    turn: Turn,
    on_event: Callable[[TraceEvent], None],
) -> tuple[str, Any]:
    """Run `turn` to its end: `("turn", result)`, or `("error", exc)` when it failed (503 when
    it stopped because the app closes). The thread is touched and free by the time this
    returns, so a client that sends its next message as soon as the answer arrives is not
    refused as busy."""
    from graphs.chat import TurnStopped

    try:
        result = turn(on_event)
        context.store.touch_thread(owner, thread.id)
        return "turn", result
    except TurnStopped:
        return "error", shutting_down()
    except Exception as exc:  # the client's error: the stream's `error` event, or raised for JSON
        return "error", exc
    finally:
        context.turns.release(context.store, owner, thread.id)


async def _stream(
    context: AppContext, owner: str, thread: ChatThread, turn: Turn
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def on_event(event: TraceEvent) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, ("event", event))

    def work() -> None:
        outcome = _settled(context, owner, thread, turn, on_event)
        loop.call_soon_threadsafe(queue.put_nowait, outcome)

    # the turn runs in the request's context: its spans nest under the request's span
    runner = contextvars.copy_context().run
    context.turns.start(owner, thread.id, lambda: runner(work), f"chat-{thread.id}")
    while True:
        kind, item = await queue.get()
        if kind == "event":
            yield sse(item.to_json(), event=item.type, id=item.seq)
        elif kind == "turn":
            body = {
                "thread_id": thread.id,
                "replies": item.replies,
                "pending": item.pending,
                "saved_portfolios": [v.model_dump() for v in _saved(item)],
            }
            yield sse(json.dumps(body, default=str), event="turn")
            yield sse(
                json.dumps({"status": "interrupted" if item.pending else "succeeded"}), event="end"
            )
            return
        else:
            body = error_document(item, f"chat thread {thread.id}")
            yield sse(json.dumps(body), event="error")
            yield sse(json.dumps({"status": "failed"}), event="end")
            return


@router.post(
    "/threads/{thread_id}/messages",
    summary="Send a message (streams the agent trace)",
    response_model=TurnView,
    responses={200: {"content": {"text/event-stream": {}, "application/json": {}}}},
)
def send_message(
    thread_id: str,
    body: MessageIn,
    context: Ctx,
    caller: Caller,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Send a message to the assistant; the turn's trace streams back as SSE (or JSON with
    `Accept: application/json`)."""
    from graphs.chat import ChatSession

    thread = _thread(context, caller.owner, thread_id)
    if not body.content.strip():
        raise ApiError(422, "VALIDATION_ERROR", "the message is empty", [("body.content", "empty")])
    session = ChatSession(
        thread.id,
        settings=context.settings,
        owner=caller.owner,
        store=context.store,
        checkpoint=thread.checkpoint,
    )
    return _respond(
        context,
        caller.owner,
        thread,
        session,
        lambda sink: session.send(body.content, on_event=sink),
        accept,
    )


@router.post(
    "/threads/{thread_id}/approve",
    summary="Approve, edit or reject the pending run (streams the trace)",
    response_model=TurnView,
    responses={200: {"content": {"text/event-stream": {}, "application/json": {}}}},
)
def decide(
    thread_id: str,
    body: Decision,
    context: Ctx,
    caller: Caller,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Resume the thread's interrupt: `approve` runs the drafted optimization (its progress
    streams back), `edit` applies `changes` first, `reject` drops it."""
    from graphs.chat import ChatSession, NothingPendingError

    thread = _thread(context, caller.owner, thread_id)
    session = ChatSession(
        thread.id,
        settings=context.settings,
        owner=caller.owner,
        store=context.store,
        checkpoint=thread.checkpoint,
    )
    pending = session.pending()
    if pending is None:
        raise ApiError(
            409,
            "CONFLICT",
            f"thread {thread_id} has no run awaiting approval",
            [("thread", "nothing pending")],
        )
    # an answer the approval does not take, or an invalid edit, is refused here and the
    # proposal stays pending
    checked_answer(pending, body.action, body.changes, "body.", "body.")

    def turn(sink: Callable[[TraceEvent], None]) -> ChatTurn:
        try:
            return session.decide(body.action, changes=body.changes, on_event=sink)
        except NothingPendingError as exc:
            raise ApiError(409, "CONFLICT", str(exc), [("thread", "nothing pending")]) from exc

    return _respond(context, caller.owner, thread, session, turn, accept)
