"""A follow-up's change of the conversation's request, as `agents.offline.follow_ups` reads and
applies it: the request changed (`ThreadRequest`) and the change applied (`Edit`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.offline.intent.changes import Change

__all__ = ["Edit", "ThreadRequest"]


@dataclass(frozen=True)
class ThreadRequest:
    """The conversation's latest request a follow-up may change: the tool, its arguments, its
    result (None when it failed), the message that first asked it (`text`: the start of its
    chain of changes), and whether it was asked in the latest turn that called a tool
    (`previous`: a "thanks" between does not make it earlier)."""

    tool: str
    args: dict[str, Any]
    data: Any
    text: str
    previous: bool = False


@dataclass(frozen=True)
class Edit:
    """A follow-up applied to the thread's request: the changed `args` (None while a criterion
    waits for `stats`, the `asset_statistics` arguments to call first), what changed in words
    (`changes`), or why it cannot be made (`problem`)."""

    request: ThreadRequest
    change: Change
    args: dict[str, Any] | None = None
    stats: dict[str, Any] | None = None
    changes: list[str] = field(default_factory=list)
    problem: str | None = None
