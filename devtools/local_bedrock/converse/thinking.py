"""Thinking blocks tied to the model that produced them, as Bedrock ties them.

A thinking model's reply carries a signed ``reasoningContent`` block (`signature`: a digest of
the producing model's base id and the text, so every inference profile of one model signs
alike). A request that sends such blocks back in its history is checked as Bedrock checks them
(the model catalog's `Accepts.unreadable_thinking`, settings/model_catalog.toml cites the
sources):

- a block signed by the model itself (or a redacted block, which cannot be checked) is kept;
- a block another model signed is dropped from the request without an error by the Claude 5.5
  models (Anthropic's "preserved thinking": a model that cannot read a block ignores it), and
  refused by the others: 400 "... messages.N.content.M: Invalid `signature` in `thinking`
  block";
- a block without a signature is refused: 400 "... messages.N.content.M.thinking.signature:
  Field required".

The endpoint reads no thinking (the offline rules answer), so a dropped block changes nothing
but the count `check_thinking` returns. Whether the blocks' prefix (system, tools, earlier
turns) is unchanged since they were produced, which Bedrock also checks, is not modelled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from devtools.local_bedrock.converse.call import MODEL_ERRORS, _invalid
from settings.model_catalog import CatalogModel


def thinking_signature(model: CatalogModel | None, model_id: str, text: str) -> str:
    """The signature `model` (`model_id` for the endpoint's own ``stratigos-offline-<role>``
    ids) puts on thinking `text`: as opaque as Bedrock's, and the same on every profile of one
    model."""
    signer = model.base_id if model is not None else model_id
    return hashlib.sha256(f"{signer}\n{text}".encode()).hexdigest()


def check_thinking(model: CatalogModel | None, model_id: str, body: Mapping[str, Any]) -> int:
    """Check the thinking blocks of the request's history (see the module docstring): the
    number of blocks dropped, or the `BedrockError` Bedrock answers."""
    if model is None:
        return 0
    dropped = 0
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        for j, block in enumerate(message.get("content") or []):
            reasoning = block.get("reasoningContent") if isinstance(block, dict) else None
            if not isinstance(reasoning, dict) or "redactedContent" in reasoning:
                continue
            given = reasoning.get("reasoningText") or {}
            if not isinstance(given, dict) or not given.get("signature"):
                raise _invalid(
                    f"{MODEL_ERRORS}messages.{i}.content.{j}.thinking.signature: Field required"
                )
            text = str(given.get("text", ""))
            if given["signature"] == thinking_signature(model, model_id, text):
                continue
            if model.accepts.unreadable_thinking == "drop":
                dropped += 1
                continue
            raise _invalid(
                f"{MODEL_ERRORS}messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
            )
    return dropped


__all__ = ["check_thinking", "thinking_signature"]
