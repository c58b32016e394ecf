"""The assistants the Agent Protocol serves: one per graph (the chat assistant and the
optimization workflow), with the ids LangGraph Platform would give them."""

from __future__ import annotations

from typing import Any

from api.errors import not_found
from api.schemas.assistants import CHAT_GRAPH, assistant_id

GRAPHS = {
    "assistant": "The strategy assistant: chat, portfolios, approvals of long runs.",
    "optimization": "The optimization workflow: its input, an OptimizationRequest, runs as "
    "your optimization job (as POST /v1/optimizations).",
}
"""Each graph served, by its id, with the description its assistant shows."""

CREATED = "2025-01-01T00:00:00+00:00"
"""When the built-in assistants are said to be created (they never change)."""


def assistant_view(graph_id: str) -> dict[str, Any]:
    """The graph's assistant as the Agent Protocol shows it."""
    return {
        "assistant_id": assistant_id(graph_id),
        "graph_id": graph_id,
        "config": {},
        "context": {},
        "created_at": CREATED,
        "updated_at": CREATED,
        "metadata": {"created_by": "system"},
        "version": 1,
        "name": graph_id,
        "description": GRAPHS[graph_id],
    }


def graph_of(assistant: str) -> str:
    """The graph of an assistant given by id or graph id; 404 when unknown."""
    for graph_id in GRAPHS:
        if assistant in (graph_id, assistant_id(graph_id)):
            return graph_id
    raise not_found("assistant", assistant)


__all__ = ["CHAT_GRAPH", "CREATED", "GRAPHS", "assistant_id", "assistant_view", "graph_of"]
