"""A replay of historical episodes asked again over another window ("stress test it in the covid
crash", then "and in 2022?", "what about 2008?"): the episodes of that window instead, or why none
can be replayed (an episode is its own window; the window is not applied to the one replayed)."""

from __future__ import annotations

from typing import Any

from agents.offline.thread_edits import Edit
from quant.episodes import EPISODES
from settings import patterns

__all__ = ["episode_in_window"]

_FROM_ON = patterns.compile(r"\b(?:since|from|after|starting|onwards?)\b")


def episode_in_window(edit: Edit, args: dict[str, Any]) -> Edit:
    """A replay of historical episodes asked again over another window ("and in 2022?" after
    the Covid crash): the episodes in that window instead, or why there is none (an episode is
    its own window: the window is not applied to the one replayed)."""
    start, end = edit.change.start or "0000", edit.change.end or "9999"
    if edit.change.end is None and not _FROM_ON.search(edit.change.intent.text.lower()):
        end = f"{start[:4]}-12-31"  # "what about 2008?": that year, not from it on
    inside = [e for e in EPISODES.values() if e.start <= end and e.end >= start]
    before = " and ".join(EPISODES[k].name for k in args["episodes"] if k in EPISODES)
    if not inside:
        offered = "; ".join(f"{e.name} ({e.start} to {e.end})" for e in EPISODES.values())
        problem = (
            f"No historical episode the stress tests replay falls in that window: they replay "
            f"{offered}. Name one of them, or a market move ('a 20% fall')."
        )
        return Edit(edit.request, edit.change, changes=edit.changes, problem=problem)
    if [e.key for e in inside] != args["episodes"]:
        edit.changes.append(f"{' and '.join(e.name for e in inside)} instead of {before}")
    args["episodes"] = [e.key for e in inside]
    return Edit(edit.request, edit.change, args=args, changes=edit.changes)
