"""The window a name judged best or worst was judged over (`agents.offline.judged_names`), for
a question that refers back to it and names no window of its own ("the worst stock in 2008?",
then "how volatile was it?" or "and that stock's max drawdown?": over 2008)."""

from __future__ import annotations

from typing import Any

from agents.offline.chat_intent import judged_before, session_window, subject_stock
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput

__all__ = ["judged_window"]


def judged_window(inp: PolicyInput, intent: Intent) -> dict[str, Any]:
    """The `start` and `end` (a trailing window as its dates) of the call that judged the name
    the message refers back to; {} when the message names a window or refers back to none."""
    if intent.start or intent.end or intent.last_sessions or judged_before(inp) is None:
        return {}
    window = dict((subject_stock(inp) or ("", {}))[1])
    if (sessions := window.pop("last_sessions", None)) is not None:
        window["start"], window["end"] = session_window(sessions, window.get("end"))
    return window
