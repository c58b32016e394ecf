"""Erasing a chat thread in any process (an API request's, a job worker's): its conversation
(checkpoints and trace), its entry in the thread index, its Agent Protocol run records and its
crons."""

from __future__ import annotations

import contextlib

from settings import Settings
from store import NotFoundError, Store


def erase_conversation(settings: Settings, store: Store, owner: str, thread_id: str) -> None:
    """Erase the stored thread `thread_id` of `owner` (see the module docstring; the caller
    makes sure no turn runs on it)."""
    from graphs.chat import ChatSession

    ChatSession(thread_id, settings=settings, owner=owner, store=store).delete()
    for cron in store.list_agent_crons(owner):
        if cron.thread_id == thread_id:
            with contextlib.suppress(NotFoundError):
                store.delete_agent_cron(owner, cron.cron_id)
    store.delete_thread(owner, thread_id)
    store.delete_agent_runs(owner, thread_id)
