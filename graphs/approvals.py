"""The answers a pending approval of the assistant takes, checked before a thread resumes (the
chat session, the API and the Agent Protocol share them; no graph is loaded to check one)."""

from __future__ import annotations

from typing import Any

from services.errors import InputError

DECISIONS = ("approve", "edit", "reject")
"""The answers an approval takes unless it names its own (`actions`)."""


def check_decision(pending: dict[str, Any], action: str) -> None:
    """Refuse an answer the pending approval does not take (its `actions`): a call of an
    external MCP tool is approved or rejected as asked, never edited, since only the very call
    approved is ever sent (`tools.external`). `InputError` on ``action``."""
    offered = list(pending.get("actions") or DECISIONS)
    if action not in offered:
        what = pending.get("summary") or "the pending approval"
        raise InputError(
            "action",
            f"must be one of {', '.join(offered)} for this approval",
            f"{action} is not an answer to this approval ({what}): answer {' or '.join(offered)}",
        )
