"""Thinking blocks in a conversation, shaped for the model that is called next.

A thinking model's reply carries signed thinking blocks, which Stratigos keeps in the
conversation (a chat thread's checkpoints send them back) and never shows as the answer. A
block is tied to the model that produced it: Bedrock drops a block another model signed from a
Claude 5.5 request and refuses the whole request on earlier models ("Invalid `signature` in
`thinking` block"; the model catalog's `Accepts.unreadable_thinking` cites both). So before a
Bedrock call (its own model, another inference profile of it, or a fallback model:
`agents.model_routes`), the thinking blocks of every reply another model produced are taken out
of the history; the replies' text and tool calls stay. Which model produced a reply is its
``response_metadata["model_name"]`` (langchain-aws sets it to the model id called); two ids name
the same model when the catalog resolves them to the same entry (``us.`` and ``global.``
profiles of one model do), else when they are equal. Replies naming no model (the offline
model's) are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage

from settings.model_catalog import model_catalog
from traces.text import is_reasoning_block


def same_model(first: str, second: str) -> bool:
    """Whether two Bedrock model ids name the same model (see the module docstring)."""
    catalog = model_catalog()
    left, right = catalog.resolve(first), catalog.resolve(second)
    if left is not None and right is not None:
        return left.model.key == right.model.key
    return first == second


def readable_history(messages: Sequence[BaseMessage], model_id: str) -> list[BaseMessage]:
    """`messages` as model `model_id` may read them: the thinking blocks of replies another
    model produced taken out (copies; the originals are not changed)."""
    shaped: list[BaseMessage] = []
    for message in messages:
        producer = (message.response_metadata or {}).get("model_name")
        foreign = (
            isinstance(message, AIMessage)
            and isinstance(message.content, list)
            and isinstance(producer, str)
            and not same_model(producer, model_id)
        )
        if foreign and any(is_reasoning_block(block) for block in message.content):
            kept = [block for block in message.content if not is_reasoning_block(block)]
            message = message.model_copy(update={"content": kept})
        shaped.append(message)
    return shaped


__all__ = ["readable_history", "same_model"]
