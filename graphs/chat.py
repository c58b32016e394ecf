"""Driving the `assistant` graph: one chat thread, its turns, its pending approval.

`ChatSession(thread_id)` sends messages (`send`) and answers a pending approval (`decide`),
streaming each turn's trace as `TraceEvent`s to `on_event` and appending them to
`<data_dir>/threads/<thread_id>/events.jsonl` (sequence numbers continue across turns). The
conversation lives in the SQLite checkpointer, so a thread can be continued in a later process.
With an `owner`, every portfolio the assistant builds is also saved to that owner's portfolios
(the Portfolios page, `/v1/portfolios`), once, and the turn says under which id; the graph runs
with the owner's long-term memory (`store.memories.memory_store`, the same backend as the
store), so what they asked to remember, and the exclusions of their profile, hold in every
thread.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END
from langgraph.store.base import BaseStore
from langgraph.types import Command, StateSnapshot

from agents.approval_words import decision_said, kinds_named
from graphs import RECURSION_LIMIT
from graphs.approvals import DECISIONS, check_decision
from graphs.assistant import ASKED, AssistantState, build_assistant_graph, held_route
from graphs.telemetry import traced
from graphs.thread_bindings import bind_owner, bind_settings
from settings import Settings, get_settings
from settings.files import private_file
from settings.tracing import span
from store import NotFoundError, Store
from store.checkpoints import checkpointer
from store.memories import memory_store
from store.threads import checkpoint_thread
from traces.tracelog import EventSink, trace_log

LOG = logging.getLogger(__name__)

ChunkSink = Callable[[Any], None]
"""Receives a turn's raw graph stream items `(namespace, mode, payload)`."""


@dataclass(frozen=True)
class SavedPortfolio:
    """A portfolio the assistant built, saved to the owner's portfolios."""

    chat_id: str
    """The id the conversation uses for it (`pf_` and 6 hex digits, unique in the thread)."""
    portfolio_id: str
    """Its id among the owner's saved portfolios (`/v1/portfolios/{portfolio_id}`)."""
    name: str


@dataclass
class ChatTurn:
    """What one turn produced: the assistant's new replies and an approval request, if any."""

    thread_id: str
    replies: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    saved: list[SavedPortfolio] = field(default_factory=list)
    """The portfolios built in this turn, as saved to the owner's portfolios."""


class NothingPendingError(LookupError):
    """`decide` was called on a thread with no run waiting for approval."""


class TurnStopped(Exception):
    """A turn stopped between two steps because its session's `stop` said so (its app is
    closing): the thread's checkpoint is its last completed step."""


class ChatSession:
    """One chat thread with the strategy assistant."""

    def __init__(
        self,
        thread_id: str | None = None,
        *,
        settings: Settings | None = None,
        owner: str | None = None,
        store: Store | None = None,
        checkpoint: str | None = None,
    ) -> None:
        """`owner` (None: nobody) gets the thread's portfolios saved to their portfolios, and its
        approved searches run as their optimization jobs, in `store` (default: the configured
        store). `checkpoint` is the thread record's `ChatThread.checkpoint` when the caller has
        the record (default: read from the owner's record, see `_checkpoint`)."""
        self.settings = settings or get_settings()
        self.thread_id = thread_id or f"thread_{uuid.uuid4().hex[:12]}"
        self.directory = self.settings.data_dir / "threads" / self.thread_id
        self._owner: tuple[str, Store] | None = None
        """Who the thread's portfolios and runs belong to, and where they are stored."""
        if owner is not None:
            if store is None:
                from store.factory import open_store

                store = open_store(self.settings)
            self._owner = (owner, store)
        key = checkpoint or self._checkpoint()
        self.config: dict[str, Any] = {
            "configurable": {"thread_id": key},
            "recursion_limit": RECURSION_LIMIT,
        }
        bind_settings(key, self.settings)
        if self._owner is not None:
            bind_owner(key, *self._owner)
        self.stop: Callable[[], bool] | None = None
        """Asked between the steps of a turn (LangGraph's supersteps, once the last one's
        checkpoint is written, before the next one starts): True stops the turn there with
        `TurnStopped`, storing nothing more (no reply, no saved portfolio)."""

    def _checkpoint(self) -> str:
        """The LangGraph `thread_id` the conversation is checkpointed under: the one the
        owner's thread record names (`ChatThread.checkpoint`), `chat:<thread_id>` for a session
        without an owner or a thread record (the CLI's, an evaluation's)."""
        if self._owner is not None:
            owner, store = self._owner
            try:
                return store.get_thread(owner, self.thread_id).checkpoint
            except NotFoundError:
                pass
        return checkpoint_thread(self.thread_id)

    def send(
        self,
        text: str,
        *,
        on_event: EventSink | None = None,
        on_chunk: ChunkSink | None = None,
        message_id: str | None = None,
        modes: Sequence[str] = (),
    ) -> ChatTurn:
        """Send a user message; returns the replies (and the approval request, if the assistant
        proposes a run). While a run awaits approval, a message that only approves or rejects
        in words ("yes, go ahead", "cancel it": `agents.approval_words.decision_said`) is that
        answer (`decide`); any other message is answered and the proposal waits again after it,
        unless the message drafted another (`graphs.assistant.ASKED`). An external tool's call
        awaiting approval is rejected before another message is read (the call cannot wait
        while the specialist that made it answers something else).
        `on_chunk` receives the graph's raw stream items (see `TraceLog.stream`, with "values"
        and the stream modes `modes` added, e.g. "debug"); `message_id` is the id the user
        message gets (default: a new one)."""
        if not text.strip():
            raise ValueError("the message is empty")
        decided = decision_said(text)
        pending = self.pending() if decided is not None else None
        message = HumanMessage(text, id=message_id) if message_id else HumanMessage(text)
        if (
            decided is not None
            and pending is not None
            and decided in (pending.get("actions") or DECISIONS)
            and kinds_named(text) <= {_kind(pending)}  # "run the search" answers no deployment
        ):
            return self.decide(
                decided, on_event=on_event, on_chunk=on_chunk, modes=modes, said=message
            )
        return self._stream({"messages": [message]}, on_event, on_chunk, modes, asking=message)

    def decide(
        self,
        action: str,
        *,
        changes: dict[str, Any] | None = None,
        on_event: EventSink | None = None,
        on_chunk: ChunkSink | None = None,
        modes: Sequence[str] = (),
        said: HumanMessage | None = None,
    ) -> ChatTurn:
        """Answer the pending approval: `approve`, `edit` (with `changes` to the request) or
        `reject` (`on_chunk` and `modes` as in `send`); an answer it does not take is refused
        (`check_decision`). `said`: the user's message that was this answer in words ("yes, go
        ahead"), kept in the conversation before the answer to it."""
        if action not in DECISIONS:
            raise ValueError(f"unknown decision {action!r}: approve, edit or reject")
        pending = self.pending()
        if pending is None:
            raise NothingPendingError(f"thread {self.thread_id} has no run awaiting approval")
        check_decision(pending, action)
        # the decision names the call it answers when the approval names one (an external
        # MCP tool's: `tools.external`), so it never approves another
        decision = {"action": action, "request": changes or {}, "call": pending.get("call")}
        if said is not None:
            decision["said"] = _words(said)
        resume: Command[Any] = Command(resume=decision)
        again = _approval_node(pending)
        return self._stream(resume, on_event, on_chunk, modes, failing_back_to=again)

    def propose(
        self, values: dict[str, Any], *, as_node: str, on_event: EventSink | None = None
    ) -> ChatTurn:
        """Put a proposal drafted outside the conversation (an MCP client's search or
        deployment, `graphs.chat_drafts`) to the owner: `values` are written to the thread's
        state as if node `as_node` had drafted them, and the thread runs on to that proposal's
        approval, where it pauses as for a draft of the assistant's own."""
        with checkpointer(self.settings) as saver:
            build_assistant_graph(saver).update_state(self.config, values, as_node=as_node)
        return self._stream(None, on_event)

    def snapshot(self, checkpoint_id: str | None = None) -> StateSnapshot:
        """The thread's current LangGraph state (values, next nodes, tasks, interrupts), or its
        state at checkpoint `checkpoint_id` (`NotFoundError` when the thread has none of that
        id)."""
        with checkpointer(self.settings) as saver:
            graph = build_assistant_graph(saver)
            if checkpoint_id is None:
                return graph.get_state(self.config)
            config = self._at(checkpoint_id)
            if saver.get_tuple(config) is None:
                raise NotFoundError(f"thread {self.thread_id} has no checkpoint {checkpoint_id}")
            return graph.get_state(config)

    def snapshots(
        self,
        limit: int,
        *,
        before: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[StateSnapshot]:
        """The thread's checkpoints, newest first, at most `limit`: those before checkpoint
        `before` only, and only those whose metadata holds `metadata`, when given."""
        with checkpointer(self.settings) as saver:
            graph = build_assistant_graph(saver)
            return list(
                graph.get_state_history(
                    self.config,
                    limit=limit,
                    before=None if before is None else self._at(before),
                    filter=metadata,
                )
            )

    def update_state(
        self, values: dict[str, Any], checkpoint_id: str | None = None
    ) -> dict[str, Any]:
        """Write `values` to the thread's state (through the graph's reducers: messages with the
        id of one it holds replace it, others are appended) as a new checkpoint, after the
        current one or after checkpoint `checkpoint_id` (a fork: the thread goes on from
        there); the new checkpoint's config."""
        base = cast(RunnableConfig, self.config)
        with checkpointer(self.settings) as saver:
            if (
                checkpoint_id is not None
                and saver.get_tuple(base := self._at(checkpoint_id)) is None
            ):
                raise NotFoundError(f"thread {self.thread_id} has no checkpoint {checkpoint_id}")
            return dict(build_assistant_graph(saver).update_state(base, values))

    def copy_to(self, thread: ChatSession) -> None:
        """Copy the thread's checkpoints (and their pending writes) to the new thread of
        session `thread`, oldest first, so that it continues from the same state."""
        target = thread.config["configurable"]
        with checkpointer(self.settings) as saver:
            for saved in reversed(list(saver.list(cast(RunnableConfig, self.config)))):
                parent = dict(saved.parent_config or {}).get("configurable") or {}
                configurable = {
                    **saved.config["configurable"],
                    **target,
                    "checkpoint_id": parent.get("checkpoint_id"),
                }
                written = saver.put(
                    cast(RunnableConfig, {"configurable": configurable}),
                    saved.checkpoint,
                    saved.metadata,
                    saved.checkpoint["channel_versions"],
                )
                by_task: dict[str, list[tuple[str, Any]]] = {}
                for task_id, channel, value in saved.pending_writes or []:
                    by_task.setdefault(task_id, []).append((channel, value))
                for task_id, writes in by_task.items():
                    saver.put_writes(written, writes, task_id)

    def _at(self, checkpoint_id: str) -> RunnableConfig:
        """The config of the thread's checkpoint `checkpoint_id`."""
        configurable = {
            **self.config["configurable"],
            "checkpoint_ns": "",
            "checkpoint_id": checkpoint_id,
        }
        return cast(RunnableConfig, {**self.config, "configurable": configurable})

    def pending(self) -> dict[str, Any] | None:
        """The approval request the thread is paused on, or None."""
        return _approval(self.snapshot())

    def history(self) -> list[BaseMessage]:
        """The conversation so far (user messages, tool calls and results, replies)."""
        return list(self.snapshot().values.get("messages", []))

    def delete(self) -> None:
        """Forget the conversation: its trace file, and its checkpoints on SQLite. On AWS the
        checkpoints stay until the purge of the deleted thread record deletes them
        (`Store.purge_deleted`, the cleanup's: the API may not delete); the thread's next
        incarnation checkpoints under a key of its own (`ChatThread.checkpoint`)."""
        if self.settings.store.backend != "aws":
            with checkpointer(self.settings) as saver:
                saver.delete_thread(self.config["configurable"]["thread_id"])
        shutil.rmtree(self.directory, ignore_errors=True)

    def _stream(
        self,
        payload: Any,
        on_event: EventSink | None,
        on_chunk: ChunkSink | None = None,
        modes: Sequence[str] = (),
        *,
        asking: HumanMessage | None = None,
        failing_back_to: str | None = None,
    ) -> ChatTurn:
        """Run the thread's graph on `payload` as one turn. `asking`: the user's message the
        payload carries; when the thread waits on a proposal, the proposal hears it instead
        (`ASKED`: answered, then the proposal waits again), and an external tool's call is first
        rejected in a run of its own (its events not sent to `on_event`). The thread's state is
        loaded once for both. `failing_back_to`: the approval node a turn that fails puts its
        proposal back to (a decided run that failed waits for a decision again)."""
        path = private_file(self.directory / "events.jsonl")
        with checkpointer(self.settings) as saver, self._memories() as memories:
            graph = build_assistant_graph(saver, memories)
            state = graph.get_state(self.config)
            waiting = _approval(state) if asking is not None else None
            held = False  # the message is put to the proposal, which waits again after it
            if asking is not None and waiting is not None:
                if _approval_node(waiting) is not None:
                    payload = Command(resume={"action": ASKED, "said": _words(asking)})
                    held = True
                else:
                    reject: Command[Any] = Command(resume={"action": "reject"})
                    state = self._run(graph, path, state, reject, None)[1]
            try:
                return self._run(graph, path, state, payload, on_event, on_chunk, modes)[0]
            except Exception:
                if held or failing_back_to is not None:
                    self._hold_again(graph, path, failing_back_to)
                raise

    def _hold_again(self, graph: Any, path: Path, node: str | None = None) -> None:
        """After a turn that failed (a model or store failure, a stop) while answering a message
        asked as a proposal waited: the proposal waits again, as it would after the answer (the
        turn stopped before it got back to it). With `node`, after a decided run that failed:
        that approval node's proposal waits for a new decision (the thread's approval, whose
        answer was spent, would otherwise take any next message for the same answer). A failure
        to restore it is logged: the turn's own failure is what the caller is told."""
        stop, self.stop = self.stop, None  # a stopped turn stops no putting back
        try:
            state = graph.get_state(self.config)
            if node is None:
                node = held_route(cast(AssistantState, state.values))
                if _approval(state) is not None:
                    return
            proposed = state.values.get("draft" if node == "approve" else "deployment")
            if node == END or not proposed:
                return
            drafted_by = "draft" if node == "approve" else "propose_deployment"
            graph.update_state(self.config, {}, as_node=drafted_by)  # on to its approval
            self._run(graph, path, graph.get_state(self.config), None, None)
        except Exception:
            LOG.exception(
                "thread %s: the proposal held while a message was answered could not be put back",
                self.thread_id,
            )
        finally:
            self.stop = stop

    def _run(
        self,
        graph: Any,
        path: Path,
        state: StateSnapshot,
        payload: Any,
        on_event: EventSink | None,
        on_chunk: ChunkSink | None = None,
        modes: Sequence[str] = (),
    ) -> tuple[ChatTurn, StateSnapshot]:
        """One run of `graph` from the thread's `state`, its trace appended to `path`: the
        turn, and the thread's state after it."""
        turn = ChatTurn(self.thread_id)
        with trace_log(path, self.thread_id, on_event) as log:
            before = len(state.values.get("messages", []))
            known = set(state.values.get("portfolios") or {})
            log.emit([log.recorder.run_started("assistant")])
            with (
                span("assistant turn", carry={"stratigos.thread_id": self.thread_id}),
                traced(self.config, self.settings) as config,
            ):
                log.stream(graph, payload, config, *self._sink(on_chunk, modes))
            snapshot = graph.get_state(self.config)
            built = snapshot.values.get("portfolios") or {}
            turn.saved = self._save({pid: data for pid, data in built.items() if pid not in known})
            messages = snapshot.values.get("messages", [])[before:]
            turn.replies = [
                m.text for m in messages if isinstance(m, AIMessage) and not m.tool_calls and m.text
            ]
            turn.pending = _approval(snapshot)
            log.emit(log.recorder.run_finished("interrupted" if turn.pending else "succeeded"))
        return turn, snapshot

    def _sink(
        self, on_chunk: ChunkSink | None, modes: Sequence[str]
    ) -> tuple[ChunkSink | None, tuple[str, ...]]:
        """What a turn's stream items go to, and the modes streamed for it: `on_chunk` with
        "values" and `modes`; with a `stop`, the top-level "values" item of each step (streamed
        after its checkpoint is written, before the next step starts: `Pregel.stream`'s runner
        hands control back before it schedules a step's tasks) first asks it."""
        stop = self.stop
        streamed = ("values", *modes) if on_chunk is not None or stop is not None else ()
        if stop is None:
            return on_chunk, streamed

        def sink(chunk: Any) -> None:
            namespace, mode, _ = chunk
            if not namespace and mode == "values" and stop():
                raise TurnStopped(f"thread {self.thread_id}: the turn stopped before its next step")
            if on_chunk is not None:
                on_chunk(chunk)

        return sink, streamed

    def _memories(self) -> AbstractContextManager[BaseStore | None]:
        """The long-term memory store for a thread with an owner (nothing without one)."""
        if self._owner is None:
            return nullcontext(None)
        return memory_store(self.settings)

    def _save(self, portfolios: dict[str, Any]) -> list[SavedPortfolio]:
        """Save the thread's new portfolios (chat id -> portfolio JSON) to the owner's
        portfolios, each once (a repeated turn finds the one saved before)."""
        if self._owner is None or not portfolios:
            return []
        owner, store = self._owner
        existing = {
            (p.data.get("source") or {}).get("chat_id"): p
            for p in store.list_portfolios(owner)
            if (p.data.get("source") or {}).get("thread_id") == self.thread_id
        }
        saved = []
        for chat_id, data in portfolios.items():
            portfolio = existing.get(chat_id)
            if portfolio is None:
                portfolio = store.create_portfolio(
                    owner, portfolio_name(data), self._portfolio_data(chat_id, data)
                )
            saved.append(SavedPortfolio(chat_id, portfolio.id, portfolio.name))
        return saved

    def _portfolio_data(self, chat_id: str, data: dict[str, Any]) -> dict[str, Any]:
        weights = data["weights"]
        return {
            "weights": [{"asset": asset, "weight": weight} for asset, weight in weights.items()],
            "dataset_id": None,
            "notes": (
                f"Built by the assistant in chat thread {self.thread_id} as {chat_id}: method "
                f"{data['method']}, returns {data['start']} to {data['end']}; in-sample expected "
                f"return {data['expected_return']:.4f}, volatility {data['volatility']:.4f} "
                "(annualised)."
            ),
            "allow_short": any(weight < 0 for weight in weights.values()),
            "source": {
                "thread_id": self.thread_id,
                "chat_id": chat_id,
                "start": data["start"],
                "end": data["end"],
            },
        }


def _approval(snapshot: StateSnapshot) -> dict[str, Any] | None:
    """The approval request a thread in state `snapshot` is paused on, or None."""
    return next((i.value for i in snapshot.interrupts if isinstance(i.value, dict)), None)


def portfolio_name(data: dict[str, Any]) -> str:
    """A saved chat portfolio's display name: method, assets by weight, period."""
    assets = sorted(data["weights"], key=lambda a: -abs(data["weights"][a]))
    shown = ", ".join(assets[:5]) + (f" and {len(assets) - 5} more" if len(assets) > 5 else "")
    return f"{data['method']} portfolio of {shown} ({data['start']} to {data['end']}), from chat"


def _words(message: HumanMessage) -> dict[str, Any]:
    """A user's message as an approval's answer carries it (``{"text", "id"}``)."""
    return {"text": message.text, "id": message.id}


def _approval_node(pending: dict[str, Any]) -> str | None:
    """The assistant graph's approval node an approval request is paused in ("approve",
    "approve_deployment"); None for an external tool's call (paused inside its tool)."""
    if pending.get("call") is not None:
        return None
    return "approve_deployment" if _kind(pending) == "deployment" else "approve"


def _kind(pending: dict[str, Any]) -> str:
    """The kind of proposal an approval request is, as a decision in words names it."""
    return {"deployment": "deployment", "external_tool": "tool"}.get(
        pending.get("kind", ""), "search"
    )
