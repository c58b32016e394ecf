"""Which chat threads this process is answering now: one turn at a time per thread and
`MAX_CONCURRENT_TURNS` per process (`/v1/threads`, the Agent Protocol's runs and crons). The
claims are this process's own; a run's record in the store (`api.agent_protocol.run_records`)
is what other processes see."""

from __future__ import annotations

import threading

from api.errors import ApiError

MAX_CONCURRENT_TURNS = 4
"""Chat turns this process answers at once (an approved run executes inside its turn)."""

_busy: set[str] = set()
_busy_lock = threading.Lock()


def claim_thread(thread_id: str) -> None:
    """Mark the thread answering (one turn at a time per thread, `MAX_CONCURRENT_TURNS` per
    process): `ApiError` 409 if it is answering already, 429 if the process is busy."""
    with _busy_lock:
        if len(_busy) >= MAX_CONCURRENT_TURNS:
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"{MAX_CONCURRENT_TURNS} conversations are answering already; retry shortly",
                [("thread", "the server is busy")],
                headers={"Retry-After": "5"},
            )
        if thread_id in _busy:
            raise ApiError(
                409,
                "CONFLICT",
                f"thread {thread_id} is answering another message; wait for it to finish",
                [("thread", "busy")],
            )
        _busy.add(thread_id)


def thread_busy(thread_id: str) -> bool:
    """Whether a turn is running on the thread."""
    with _busy_lock:
        return thread_id in _busy


def release_thread(thread_id: str) -> None:
    """The thread's turn has ended."""
    with _busy_lock:
        _busy.discard(thread_id)
