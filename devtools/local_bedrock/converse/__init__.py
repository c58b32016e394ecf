"""Bedrock Converse requests in, offline-model replies out.

`parse_request` checks a Converse / ConverseStream request body and translates it into what the
offline model takes: LangChain messages, OpenAI-format tool schemas and a tool choice. The agent
role that answers is picked by `identify_role`. `converse_response` and `stream_events` translate
the model's reply back into Bedrock's response shapes.

Translation (Bedrock -> LangChain):

- ``system`` text blocks -> `SystemMessage`s.
- langchain-aws merges runs of consecutive messages of one kind into one, joined by newlines
  (``[System(prompt), System(chat mode)]`` -> one system block, ``[Human(task), Human(ask)]`` ->
  one text). `split_merged_text` cuts such texts again where the Stratigos agents always start
  a new message (`message_boundaries`), so the offline model sees the same messages as when it
  is called directly and gives the same replies.
- a ``user`` turn -> a `ToolMessage` per ``toolResult`` block (its text or JSON content, its
  status, the name of the matching ``toolUse``) and a `HumanMessage` per text block (per
  segment of a merged text), in block order.
- an ``assistant`` turn -> an `AIMessage` with the joined text and a tool call per ``toolUse``
  block (id, name, input).
- ``toolConfig.tools[].toolSpec`` -> ``{"type": "function", "function": {name, description,
  parameters}}``; ``toolChoice`` ``auto`` / ``any`` / ``tool {name}`` -> ``"auto"`` / ``"any"`` /
  the name.
- ``inferenceConfig`` is validated and otherwise ignored: the offline model is deterministic.

Errors are `BedrockError`s carrying Bedrock's error type and HTTP status (``ValidationException``
400 for malformed requests, ``ModelErrorException`` 424 when the offline model cannot comply,
``ResourceNotFoundException`` 404 for an unknown ``stratigos-offline-<role>`` model id).

Modules: `call` (the parsed call and the errors), `roles` (which agent answers), `request`
(Bedrock -> LangChain), `strict` (what Bedrock refuses for the model, from the model catalog),
`cache` (prompt caching and Bedrock's usage), `model` (the offline model's reply), `output`
(the reply within ``maxTokens``, thinking included), `response` (LangChain -> Bedrock).
"""

from __future__ import annotations

from devtools.local_bedrock.converse.cache import (
    PromptCache,
    cache_points,
    cache_prefix,
    with_cache,
)
from devtools.local_bedrock.converse.call import (
    FALLBACK_ROLE,
    OFFLINE_MODEL_PREFIX,
    BedrockError,
    ConverseCall,
)
from devtools.local_bedrock.converse.model import offline_chunks, offline_reply
from devtools.local_bedrock.converse.request import check_model_id, parse_request
from devtools.local_bedrock.converse.response import (
    converse_response,
    stream_events,
    within_max_tokens,
)
from devtools.local_bedrock.converse.roles import (
    MessageBoundaries,
    identify_role,
    message_boundaries,
    role_prompts,
    split_merged_text,
)
from devtools.local_bedrock.converse.strict import RequestOptions, check_model, check_request

__all__ = [
    "FALLBACK_ROLE",
    "OFFLINE_MODEL_PREFIX",
    "BedrockError",
    "ConverseCall",
    "MessageBoundaries",
    "PromptCache",
    "RequestOptions",
    "cache_points",
    "cache_prefix",
    "check_model",
    "check_model_id",
    "check_request",
    "converse_response",
    "identify_role",
    "message_boundaries",
    "offline_chunks",
    "offline_reply",
    "parse_request",
    "role_prompts",
    "split_merged_text",
    "stream_events",
    "with_cache",
    "within_max_tokens",
]
