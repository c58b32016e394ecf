"""What an agent's model calls add to the run's trace: warnings written from inside the graph
node that runs the agent (a decision asked for once more, a model route switched after
throttling). They go through LangGraph's stream writer, as the graph nodes' own events do
(`graphs.emit`); the trace recorder numbers them and attributes them to the running node.
Outside a graph nothing listens and nothing is written."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def trace_note(message: str, code: str) -> None:
    """Add a `warning` event with `message` and `code` to the trace of the running graph (and
    the log)."""
    from langgraph.config import get_stream_writer

    logger.info("%s (%s)", message, code)
    try:
        writer = get_stream_writer()
    except RuntimeError:  # not inside a graph: nothing listens
        return
    writer({"type": "warning", "message": message, "code": code})


__all__ = ["trace_note"]
