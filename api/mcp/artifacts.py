"""What an MCP call builds (a portfolio `pf_...`, a scenario set `scn_...`, a frontier), any
server process can use in a later call.

A tool keeps what it builds in its process's memory (`tools.artifacts.ArtifactStore`), and a
client refers to it by id in its next call ("the risk of pf_1a2b3c"). Over HTTP that call may
reach another server process (`api.mcp.http`: no session pins a client to one). So an owner's
tools record the recipe of each artifact a call builds in the owner's cache in the store, and a
call naming an artifact its process lacks first rebuilds it from its recipe, under the same id
(`tools.recipes`: the same mechanism as a chat thread's, whose book is its checkpointed state).

Artifact ids count per namespace (`tools.artifacts`); the namespace of an owner's tools over
HTTP holds the process's `INSTANCE`, so two processes never hand out the same id for two
different artifacts (over stdio, one process, the ids stay the deterministic ones).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.tools import BaseTool

INSTANCE = uuid.uuid4().hex[:12]
"""This process's part of the artifact namespace of owners' tools over HTTP."""


@dataclass(frozen=True)
class OwnerTools:
    """An owner's tools by name, each recording and rebuilding its artifacts (`tools.recipes`)."""

    tools: Mapping[str, BaseTool]
