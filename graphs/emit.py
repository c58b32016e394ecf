"""What graph nodes (and the tools inside them) add to the trace: node starts, progress,
warnings and errors, written with LangGraph's stream writer for the `TraceRecorder` to number."""

from __future__ import annotations

from typing import Any

from prompts.roles import AGENT_ROLES, AgentRole


def _node_context() -> tuple[str | None, str | None, str | None]:
    """(node, agent, task) of the LangGraph node currently running, from its config metadata;
    task is the execution's `langgraph_checkpoint_ns` (unique per execution)."""
    from langgraph.config import get_config

    try:
        metadata = get_config().get("metadata") or {}
    except RuntimeError:  # outside a runnable context
        return None, None, None
    node = metadata.get("langgraph_node")
    agent = metadata.get("agent")
    task = metadata.get("langgraph_checkpoint_ns")
    return (
        node if isinstance(node, str) else None,
        agent if isinstance(agent, str) else None,
        task if isinstance(task, str) else None,
    )


def _write(payload: dict[str, Any]) -> None:
    from langgraph.config import get_stream_writer

    node, agent, task = _node_context()
    if node is not None:
        payload.setdefault("node", node)
        payload.setdefault("task", task)
    if agent is not None and payload.get("agent") is None:
        payload["agent"] = agent
    try:
        writer = get_stream_writer()
    except RuntimeError:  # not inside a graph: nothing listens
        return
    writer(payload)


def emit_node_started(agent: AgentRole | None = None) -> None:
    """Call first thing inside a node: announces the node (and which agent works in it).

    The node name is taken from LangGraph's config; `agent` defaults to the node's metadata
    `agent` (set with `builder.add_node(name, fn, metadata={"agent": ...})`).
    """
    _write({"type": "node_started", "agent": agent})


def emit_job(job_id: str, kind: str) -> None:
    """Announce the job a node started (custom stream data `{"type": "job", "job_id", "kind"}`,
    not part of the trace), so that a client following the stream can follow or cancel it."""
    _write({"type": "job", "job_id": job_id, "kind": kind})


def emit_progress(
    done: int,
    total: int | None,
    *,
    unit: str = "trials",
    best: float | None = None,
    metric: str | None = None,
) -> None:
    """Report `done` of `total` units from inside a node (e.g. trials after each batch)."""
    _write(
        {
            "type": "progress",
            "done": done,
            "total": total,
            "unit": unit,
            "best": best,
            "metric": metric,
        }
    )


def emit_warning(message: str, code: str | None = None) -> None:
    """Report a recoverable problem from inside a node."""
    _write({"type": "warning", "message": message, "code": code})


def emit_error(message: str, code: str | None = None) -> None:
    """Report a failure from inside a node (the driver still decides how the run ends)."""
    _write({"type": "error", "message": message, "code": code})


def node_agents_from_graph(graph: Any) -> dict[str, AgentRole]:
    """`{node: agent}` from a compiled graph's node metadata `{"agent": ...}` (top level only)."""
    out: dict[str, AgentRole] = {}
    for name, node in getattr(graph, "nodes", {}).items():
        agent = (getattr(node, "metadata", None) or {}).get("agent")
        if agent in AGENT_ROLES:
            out[name] = agent
    return out
