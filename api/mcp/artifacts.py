"""What an MCP call builds (a portfolio `pf_...`, a scenario set `scn_...`, a frontier), any
server process can use in a later call.

A tool keeps what it builds in its process's memory (`tools.artifacts.ArtifactStore`), and a
client refers to it by id in its next call ("the risk of pf_1a2b3c"). Over HTTP that call may
reach another server process (`api.mcp.http`: no session pins a client to one). So an MCP call
records, for each artifact it built, its recipe (the tool, the arguments that built it, and
which of the artifacts of its kind the call built it is) in the owner's cache in the store
(`RECIPE_TTL_S`); a call naming an artifact this process lacks
first rebuilds it from its recipe, under the same id (the numeric core is deterministic: the
same arguments and seed give the same artifact, on the market data of the moment). A recipe's
own arguments may name artifacts too: they are rebuilt first (at most `MAX_REBUILD_DEPTH`
deep). An id no recipe is known for is left to the tool, which answers "not found".

Artifact ids count per namespace (`tools.artifacts`); the namespace of an owner's tools over
HTTP holds the process's `INSTANCE`, so two processes never hand out the same id for two
different artifacts (over stdio, one process, the ids stay the deterministic ones).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mcp.types as types
from langchain_core.tools import BaseTool

from store import Store
from tools.artifacts import KIND_PREFIXES, ArtifactStore

INSTANCE = uuid.uuid4().hex[:12]
"""This process's part of the artifact namespace of owners' tools over HTTP."""

RECIPE_TTL_S = 7 * 86_400.0
"""How long a recipe is kept (seconds): a week after the call that built the artifact."""

MAX_REBUILD_DEPTH = 4
"""How many recipes deep a rebuild goes (an artifact built from artifacts built from ...)."""

ARTIFACT_ID = re.compile(rf"\b(?:{'|'.join(KIND_PREFIXES.values())})_[0-9a-f]{{6}}\b")
"""An artifact id as tools give it (a saved portfolio's longer id is not one)."""

_KINDS = {prefix: kind for kind, prefix in KIND_PREFIXES.items()}

Run = Callable[[BaseTool, dict[str, Any]], types.CallToolResult]
"""Calls a tool with arguments (`api.mcp.tools.run_tool`, bound to the settings)."""


@dataclass(frozen=True)
class OwnerTools:
    """An owner's tools by name and the artifacts they build."""

    tools: Mapping[str, BaseTool]
    artifacts: ArtifactStore


def _recipe_key(artifact_id: str) -> str:
    return f"mcp-artifact:{artifact_id}"


def _prefix(artifact_id: str) -> str:
    return artifact_id.split("_", 1)[0]


def _text(result: types.CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


def _built(artifacts: ArtifactStore, before: set[str], result: types.CallToolResult) -> list[str]:
    """The artifacts a call built: new since `before` and named in its result (another call of
    the same owner may have built others meanwhile)."""
    named = set(ARTIFACT_ID.findall(_text(result)))
    return [i for i in artifacts.ids() if i not in before and i in named]


def call_with_artifacts(
    store: Store,
    owner: str,
    owned: OwnerTools,
    name: str,
    arguments: dict[str, Any],
    run: Run,
) -> types.CallToolResult:
    """Call `owner`'s tool `name` with `arguments` (`run`), having rebuilt the artifacts they
    name that this process lacks; record the recipe of each artifact the call builds."""
    rebuild_named(store, owner, owned, arguments, run, MAX_REBUILD_DEPTH)
    before = set(owned.artifacts.ids())
    result = run(owned.tools[name], arguments)
    if not result.isError:
        built = _built(owned.artifacts, before, result)
        for artifact_id in built:
            same_kind = [i for i in built if _prefix(i) == _prefix(artifact_id)]
            recipe = {"tool": name, "arguments": arguments, "index": same_kind.index(artifact_id)}
            store.cache_put(owner, _recipe_key(artifact_id), recipe, RECIPE_TTL_S)
    return result


def rebuild_named(
    store: Store,
    owner: str,
    owned: OwnerTools,
    arguments: dict[str, Any],
    run: Run,
    depth: int,
) -> None:
    """Rebuild, from their recipes, the artifacts `arguments` name that this process lacks."""
    if depth <= 0:
        return
    for artifact_id in dict.fromkeys(ARTIFACT_ID.findall(json.dumps(arguments))):
        if artifact_id in owned.artifacts:
            continue
        recipe = store.cache_get(owner, _recipe_key(artifact_id))
        if not isinstance(recipe, dict) or recipe.get("tool") not in owned.tools:
            continue  # unknown here and in the store: the tool says it is not found
        given = dict(recipe.get("arguments") or {})
        rebuild_named(store, owner, owned, given, run, depth - 1)
        before = set(owned.artifacts.ids())
        result = run(owned.tools[recipe["tool"]], given)
        again = [
            i for i in _built(owned.artifacts, before, result) if _prefix(i) == _prefix(artifact_id)
        ]
        index = int(recipe.get("index", 0))
        if index < len(again):
            kind = _KINDS[_prefix(artifact_id)]
            owned.artifacts.restore(artifact_id, kind, owned.artifacts.get(again[index], kind))
