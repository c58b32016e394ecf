"""Which agent role answers a call: its model id or its system prompt, and where langchain-aws
merged several messages into one text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from devtools.local_bedrock.converse.call import FALLBACK_ROLE, OFFLINE_MODEL_PREFIX, BedrockError
from prompts import load_prompt
from prompts.roles import AGENT_ROLES


def role_prompts() -> dict[str, str]:
    """``{role: system prompt text}`` of every agent role (read from `prompts/` each call)."""
    return {role: load_prompt(role).text for role in AGENT_ROLES}


@dataclass(frozen=True)
class MessageBoundaries:
    """What marks the agents' separate messages inside a text that langchain-aws merged.

    `whole` are texts always sent as a message of their own (the role prompts, the chat-mode
    instruction); `starts` are prefixes that always begin a new message (those texts, the
    ``LAST_RUN:`` context of the chat, the runner's requests for a decision).
    """

    whole: frozenset[str]
    starts: tuple[str, ...]


def message_boundaries() -> MessageBoundaries:
    """The boundaries of the Stratigos agents' messages (read from the prompts and agents)."""
    from agents.chat import CHAT_MODE
    from agents.conversation_texts import DECISION_PROMPT, LAST_RUN_MARKER, RETRY_PROMPT

    whole = {*role_prompts().values(), CHAT_MODE}
    starts = {
        *whole,
        LAST_RUN_MARKER,
        DECISION_PROMPT.split("{")[0],
        RETRY_PROMPT.split("{")[0],
    }
    return MessageBoundaries(
        whole=frozenset(whole),
        starts=tuple(sorted((s for s in starts if s), key=len, reverse=True)),
    )


def split_merged_text(text: str, boundaries: MessageBoundaries | None = None) -> list[str]:
    """Undo langchain-aws's merging of consecutive messages of one kind (joined by ``"\n"``).

    langchain-aws runs `merge_message_runs` before calling Converse, so ``[System(P),
    System(C)]`` arrives as one system block ``"P\nC"`` and ``[Human(task), Human(ask)]`` as one
    text ``"task\nask"``. The text is cut at a newline when the text before it (since the last
    cut) is one of `boundaries.whole`, or the text after it starts with one of
    `boundaries.starts`; the newline itself is dropped. Other texts come back whole.
    """
    boundaries = boundaries or message_boundaries()
    segments: list[str] = []
    begin = 0
    position = text.find("\n")
    while position != -1:
        after = text[position + 1 :]
        if text[begin:position] in boundaries.whole or after.startswith(boundaries.starts):
            segments.append(text[begin:position])
            begin = position + 1
        position = text.find("\n", position + 1)
    segments.append(text[begin:])
    return segments


def identify_role(model_id: str, system_texts: Sequence[str]) -> str:
    """The agent role that answers a request.

    1. A model id ``stratigos-offline-<role>`` names it (an unknown role is a
       ``ResourceNotFoundException``).
    2. Else the role whose prompt the first system text starts with (the longest such prompt).
    3. Else `FALLBACK_ROLE` (``"supervisor"``).

    Several roles share one Bedrock model id (the strong and fast tiers), so the model id alone
    cannot tell them apart; the system prompt can.
    """
    if model_id.startswith(OFFLINE_MODEL_PREFIX):
        role = model_id[len(OFFLINE_MODEL_PREFIX) :]
        if role not in AGENT_ROLES:
            raise BedrockError(
                "ResourceNotFoundException",
                f"model {model_id!r} names no agent role; known roles: {', '.join(AGENT_ROLES)}",
                404,
            )
        return role
    if system_texts:
        first = system_texts[0]
        matches = [
            (len(text), role) for role, text in role_prompts().items() if first.startswith(text)
        ]
        if matches:
            return max(matches)[1]
    return FALLBACK_ROLE
