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
"""

from __future__ import annotations

import logging
import threading
import uuid
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
