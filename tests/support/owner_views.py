"""Two owners' views compared: a view (any JSON document) written with the owner, its tag
(`trading.account_names.owner_tag`) and every generated id replaced by what it stands for, so
that two owners who did the same things have the same text; and what in a view would betray
another owner."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from trading.account_names import owner_tag

GENERATED_IDS = re.compile(
    r"\b(?:dep|pf|job|th|key|exp)_[0-9a-f]{28}\b|\b(?:stg|acct|hdg)-[0-9a-f]{16}\b"
)
"""Generated ids and the ids derived from them (client order ids, account run ids)."""


def written(
    view: Any, owner: str, names: Mapping[str, str], *, left_out: Iterable[str] = ()
) -> str:
    """`view` as JSON text (keys sorted; the keys in `left_out` dropped at every depth, e.g.
    wall-clock times) with `owner` as `<owner>`, its tag as `<tag>`, an id of `names` as the
    name it maps to, and every other generated id numbered in order of first appearance."""
    dropped = set(left_out)
    text = json.dumps(_without(view, dropped), sort_keys=True, default=str)
    numbered: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if found in names:
            return f"<{names[found]}>"
        return numbered.setdefault(found, f"<{found[:3]}{len(numbered)}>")

    text = GENERATED_IDS.sub(replace, text).replace(owner_tag(owner), "<tag>")
    return text.replace(f'"{owner}"', '"<owner>"')


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list | tuple):
        return [_without(v, keys) for v in value]
    return value


def betrayed(view: Any, owner: str, ids: Iterable[str]) -> set[str]:
    """What of `owner` (its id, its tag, its records' `ids`) appears in `view` (JSON text of
    it, as another owner read it): empty when the view tells nothing of `owner`."""
    text = view if isinstance(view, str) else json.dumps(view, default=str)
    return {mark for mark in (owner, owner_tag(owner), *ids) if mark in text}
