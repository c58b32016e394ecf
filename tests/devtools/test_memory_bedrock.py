"""Long-term memory through Bedrock's client path (the local endpoint): the memory tools'
schemas, the memory guide and what is known go through Converse, and the chat remembers,
enforces, lists and forgets exactly as with the offline model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphs.chat import ChatSession
from store.sqlite import SQLiteStore
from tests.devtools.test_local_bedrock import aws_env, bedrock, use_provider  # noqa: F401

STEPS = (
    "remember that I never hold energy stocks",
    "build an HRP portfolio of XOM, CVX, AAPL and MSFT",
    "what do you know about me?",
    "forget that",
    "what do you know about me?",
)


def test_memory_conversations_through_the_endpoint_match_the_offline_model(
    use_provider: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    replies = {}
    for provider in ("offline", "bedrock"):
        use_provider(provider)
        store = SQLiteStore(tmp_path / f"{provider}.sqlite")
        said = []
        for n, step in enumerate(STEPS):
            # a new thread for every message: only long-term memory carries across
            session = ChatSession(f"t{n}", owner="alice", store=store)
            said.append(session.send(step).replies[-1])
        replies[provider] = [_without_ids(text) for text in said]
    assert replies["bedrock"] == replies["offline"]
    offline = replies["offline"]
    assert "XOM left out" in offline[1] and "Your profile excludes energy" in offline[2]
    assert "I don't know anything about you" in offline[4]


def _without_ids(text: str) -> str:
    """A reply without its generated ids (memory keys, portfolio ids differ between runs)."""
    import re

    return re.sub(r"\b(?:mem|pf)_[0-9a-f]+\b", "<id>", text)
