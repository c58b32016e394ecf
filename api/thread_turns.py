"""One turn at a time per chat thread, in every process; at most `MAX_CONCURRENT_TURNS` turns
in this one.

Two turns of one thread at once would both start from its last checkpoint: one turn's messages
would be lost, and both would hand out the same artifact ids for different artifacts
(`graphs.thread_artifacts`). The turns of a thread may reach any server process (and any Lambda
invocation), so a turn holds a lease on its thread in the owner's cache in the store
(`Store.hold_lease`, `turn:<thread id>`) for `TURN_LEASE_SECONDS`, renewed every
`RENEW_EVERY_SECONDS` while it runs and released when it ends: a second turn, here or in another
process, is refused (409) meanwhile. A process that dies mid-turn leaves its thread busy until
the lease expires. How many turns this process answers at once is its own capacity, counted
here (`TURNS`, 429 with `Retry-After` beyond: `services.work_bounds`).

An app runs its turns through its `AppTurns` (`AppContext.turns`), so that none outlives it:
once the app closes, a new turn is refused (503 `UNAVAILABLE` with `Retry-After`), the turns under
way are asked to stop before their next step (`graphs.chat.ChatSession.stop`), and the close
waits for them up to `TURN_STOP_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from api.errors import ApiError, busy
from services.work_bounds import BusyError, WorkBound
from store import Store, StoreError

log = logging.getLogger("stratigos.api")

MAX_CONCURRENT_TURNS = 4
"""Chat turns this process answers at once (an approved run executes inside its turn)."""
TURN_LEASE_SECONDS = 60.0
"""How long a turn's hold on its thread lasts unrenewed (a dead process's turn at most)."""
RENEW_EVERY_SECONDS = 15.0
"""How often a running turn renews its hold."""
TURN_RETRY_AFTER_S = 5
"""`Retry-After` of a turn refused because this process answers its maximum."""
TURNS = WorkBound("chat turns", MAX_CONCURRENT_TURNS, "thread", TURN_RETRY_AFTER_S)
"""The turns this process answers at once: the bound every kind of expensive work has
(`services.work_bounds`)."""
TURN_STOP_SECONDS = 10.0
"""How long an app's close waits for its turns to stop (each finishes the step under way: a
model's answer, a tool's call)."""


def turn_key(thread_id: str) -> str:
    """The lease a turn of `thread_id` holds, in its owner's cache."""
    return f"turn:{thread_id}"


@dataclass
class _Turn:
    """A turn this process runs: its holder name and the signal that it ended."""

    holder: str = field(default_factory=lambda: f"turn-{uuid.uuid4().hex}")
    ended: threading.Event = field(default_factory=threading.Event)


_turns: dict[tuple[str, str], _Turn] = {}
"""The turns this process runs, by owner and thread."""
_turns_lock = threading.Lock()


def _busy(thread_id: str) -> ApiError:
    return ApiError(
        409,
        "CONFLICT",
        f"thread {thread_id} is answering another message; wait for it to finish",
        [("thread", "busy")],
    )


def claim_thread(store: Store, owner: str, thread_id: str) -> None:
    """Start a turn of `owner`'s thread: `ApiError` 409 while a turn runs on it (in any
    process), 429 when this process answers `MAX_CONCURRENT_TURNS` already. End it with
    `release_thread`."""
    key = (owner, thread_id)
    turn = _Turn()
    with _turns_lock:
        if key in _turns:
            raise _busy(thread_id)
        try:
            TURNS.enter()
        except BusyError as exc:
            raise busy(exc) from None
        _turns[key] = turn
    try:
        held = store.hold_lease(owner, turn_key(thread_id), turn.holder, TURN_LEASE_SECONDS)
    except BaseException:
        _forget(key)
        raise
    if not held:
        _forget(key)
        raise _busy(thread_id)
    threading.Thread(
        target=_renew,
        args=(store, owner, thread_id, turn),
        name=f"turn-lease-{thread_id}",
        daemon=True,
    ).start()


def _renew(store: Store, owner: str, thread_id: str, turn: _Turn) -> None:
    """Renew the turn's hold every `RENEW_EVERY_SECONDS` until it ends."""
    while not turn.ended.wait(RENEW_EVERY_SECONDS):
        try:
            held = store.hold_lease(owner, turn_key(thread_id), turn.holder, TURN_LEASE_SECONDS)
        except StoreError as exc:
            log.warning("thread %s: renewing the turn's hold failed: %s", thread_id, exc)
            continue
        if not held:  # it expired (a stall longer than the lease) and another turn took it
            log.warning("thread %s: the turn's hold expired and was taken", thread_id)
            return


def _forget(key: tuple[str, str]) -> _Turn | None:
    with _turns_lock:
        turn = _turns.pop(key, None)
        if turn is not None:
            TURNS.leave()
        return turn


def release_thread(store: Store, owner: str, thread_id: str) -> None:
    """End this process's turn of `owner`'s thread (a store that cannot be written leaves the
    hold to expire)."""
    turn = _forget((owner, thread_id))
    if turn is None:
        return
    turn.ended.set()
    try:
        store.release_lease(owner, turn_key(thread_id), turn.holder)
    except StoreError as exc:
        log.warning("thread %s: releasing the turn's hold failed: %s", thread_id, exc)


def thread_busy(store: Store, owner: str, thread_id: str) -> bool:
    """Whether a turn of `owner`'s thread runs, in this process or another."""
    with _turns_lock:
        if (owner, thread_id) in _turns:
            return True
    return store.cache_get(owner, turn_key(thread_id)) is not None


def let_go(owner: str, thread_id: str) -> None:
    """Stop renewing this process's hold on `owner`'s thread, whose turn goes on: the hold then
    expires as a dead process's would (the turn's end still releases it if it comes first)."""
    with _turns_lock:
        turn = _turns.get((owner, thread_id))
    if turn is not None:
        turn.ended.set()


def shutting_down() -> ApiError:
    """The refusal of a turn asked of an app that is closing (503, `Retry-After`)."""
    return ApiError(
        503,
        "UNAVAILABLE",
        "the server is shutting down; retry later",
        [("thread", "the server is shutting down")],
        headers={"Retry-After": str(TURN_RETRY_AFTER_S)},
    )


@dataclass(eq=False)
class _AppTurn:
    """A turn of an app: the signal asking it to stop, and the thread of its own doing it."""

    owner: str
    thread_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    worker: threading.Thread | None = None


class AppTurns:
    """The turns one app runs (`AppContext.turns`): each holds its thread (`claim_thread`) from
    `claim` to `release`, and its work runs in the request's thread or in one of its own
    (`start`). A released thread is free at once, for this app too, even while the turn's own
    thread finishes what follows the release (recording the run's end, sending its last frame):
    a client that asks again as soon as it has the answer is not refused as busy. `close`
    refuses new turns, asks those under way to stop before their next step and waits for them
    and their threads: none goes on after the app has closed."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._claimed: dict[tuple[str, str], _AppTurn] = {}
        """The turns holding their thread, by owner and thread."""
        self._working: set[_AppTurn] = set()
        """The turns whose own thread (`start`) has not ended, released or not."""
        self.closing = threading.Event()
        """Set once the app closes: new turns are refused from then on."""

    def claim(self, store: Store, owner: str, thread_id: str) -> threading.Event:
        """Start a turn of `owner`'s thread (`claim_thread`: 409, 429), or refuse it with 503
        once the app closes; the event asking the turn to stop (`ChatSession.stop`)."""
        turn = _AppTurn(owner, thread_id)
        with self._changed:
            if self.closing.is_set():
                raise shutting_down()
            if (owner, thread_id) in self._claimed:
                raise _busy(thread_id)
            self._claimed[(owner, thread_id)] = turn
        try:
            claim_thread(store, owner, thread_id)
        except BaseException:
            self._unclaim(turn)
            raise
        return turn.stop

    def start(self, owner: str, thread_id: str, work: Callable[[], object], name: str) -> None:
        """Do the claimed turn's `work` in a thread of its own (`close` waits for it); the
        turn's hold on the thread ends with `release`, which `work` calls."""
        with self._changed:
            turn = self._claimed[(owner, thread_id)]
            self._working.add(turn)

        def run() -> None:
            try:
                work()
            finally:
                with self._changed:
                    self._working.discard(turn)
                    self._changed.notify_all()

        turn.worker = threading.Thread(target=run, name=name, daemon=True)
        turn.worker.start()

    def release(self, store: Store, owner: str, thread_id: str) -> None:
        """End the turn's hold on `owner`'s thread (`release_thread`): a new turn of it may
        start from here, in this process or another."""
        release_thread(store, owner, thread_id)
        with self._changed:
            turn = self._claimed.get((owner, thread_id))
        if turn is not None:
            self._unclaim(turn)

    def _unclaim(self, turn: _AppTurn) -> None:
        with self._changed:
            if self._claimed.get((turn.owner, turn.thread_id)) is turn:
                del self._claimed[(turn.owner, turn.thread_id)]
            self._changed.notify_all()

    def close(self, timeout: float | None = None) -> None:
        """Refuse new turns, ask the turns under way to stop before their next step and wait up
        to `timeout` seconds (default `TURN_STOP_SECONDS`) for them and their threads to end. A
        turn still running then (a step that did not finish: a model or a tool that does not
        answer) is logged and left; its hold on the thread, if it still has one, is no longer
        renewed and expires as a dead process's. The turns stopped in time have released their
        threads themselves (the store is still open): the threads are free at once."""
        timeout = TURN_STOP_SECONDS if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._changed:
            turns = set(self._claimed.values()) | self._working
            for turn in turns:
                turn.stop.set()
            self.closing.set()  # after: whoever sees it closing sees its turns asked to stop
        with self._changed:
            self._changed.wait_for(lambda: not self._claimed and not self._working, timeout)
            holding = list(self._claimed.values())
            left = set(holding) | self._working
        for turn in turns:
            if turn.worker is not None:  # its last statement has run: it ends at once
                turn.worker.join(max(0.0, deadline - time.monotonic()))
        for turn in left:
            log.warning(
                "thread %s: its turn did not stop within %.0f s of the close; left to end, "
                "its hold on the thread to expire",
                turn.thread_id,
                timeout,
            )
        for turn in holding:
            let_go(turn.owner, turn.thread_id)
