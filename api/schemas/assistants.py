"""The identities of the Agent Protocol's assistants (one per graph), which request models and
routes both name: the chat graph, and the ids LangGraph Platform would give the assistants."""

from __future__ import annotations

import uuid

NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""The namespace LangGraph Platform derives a graph's default assistant id from (uuid5)."""

CHAT_GRAPH = "assistant"
"""The graph of the chat assistant (the other is the optimization workflow)."""


def assistant_id(graph_id: str) -> str:
    """The stable id of the graph's assistant (as LangGraph Platform assigns it)."""
    return str(uuid.uuid5(NAMESPACE_GRAPH, graph_id))
