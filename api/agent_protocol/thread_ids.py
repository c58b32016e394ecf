"""Thread ids under `/agent`: the server's (`th_...`, assigned on create) and the ones a client
chooses (a UUID, as LangGraph Platform takes them), and the ids they are stored under.

A client's id names a thread of its owner only: two owners who choose the same UUID get two
threads, neither learning of the other. So a chosen id is stored as `<uuid>.<owner tag>`, the
tag being the first 32 hex digits of the SHA-256 of the owner id: the thread index, the
conversation's checkpoints, its trace directory and the run records all use that stored id,
and the Agent Protocol shows the UUID (`/v1/threads` shows the stored id). The server's ids are
never UUIDs, so the two kinds never meet.
"""

from __future__ import annotations

import uuid

from api.errors import validation_error
from store.owner_ids import owner_digest as owner_tag


def as_uuid(text: str) -> str | None:
    """`text` as a canonical UUID (lower case, hyphens), or None when it is not one."""
    if len(text) > 45:  # the longest form uuid.UUID reads: "urn:uuid:" + 36
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def chosen_thread_id(text: str, field: str = "body.thread_id") -> str:
    """A client's thread id as a canonical UUID; 422 naming `field` when it is not a UUID."""
    canonical = as_uuid(text)
    if canonical is None:
        raise validation_error(field, "a thread id you choose is a UUID")
    return canonical


def stored_thread_id(owner: str, thread_id: str) -> str:
    """The id the owner's thread `thread_id` (as a client names it) is stored under."""
    canonical = as_uuid(thread_id)
    return thread_id if canonical is None else f"{canonical}.{owner_tag(owner)}"


def shown_thread_id(stored: str) -> str:
    """The id the Agent Protocol shows for the stored thread id `stored`."""
    chosen, dot, _ = stored.partition(".")
    return chosen if dot and as_uuid(chosen) == chosen else stored
