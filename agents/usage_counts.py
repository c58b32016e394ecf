"""What a run's model calls used, as counts: the keys (`USAGE_KEYS`) and their sum (`add_usage`,
the reducer of a graph state's ``usage``). Apart from `agents.agent_loop`, which counts them from
the replies, so a state that only adds counts (the search pipeline's steps import it) loads no
LangChain."""

from __future__ import annotations

USAGE_KEYS = (
    "llm_calls",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "fallback_calls",
)
"""What `agents.agent_loop.usage_of` counts (`fallback_calls`: calls a fallback route answered,
`agents.model_routes`)."""


def add_usage(left: dict[str, int] | None, right: dict[str, int] | None) -> dict[str, int]:
    """The sum of two `agents.agent_loop.usage_of` counts (a graph-state reducer)."""
    return {k: (left or {}).get(k, 0) + (right or {}).get(k, 0) for k in USAGE_KEYS}
