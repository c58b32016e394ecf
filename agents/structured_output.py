"""Bedrock's native structured output: a decision asked for with ``outputConfig.textFormat``.

Used for models that refuse forced tool choice but have native structured output (the model
catalog), for schemas it can express (`agents.model_plan.closed_schema`). The reply's text (its
thinking blocks left out) must be the JSON of the decision; it is validated against the pydantic
schema, and the result has the shape of LangChain's ``with_structured_output(include_raw=True)``:
``{"raw", "parsed", "parsing_error"}``, so `agents.agent_loop` asks once more when it does not
validate.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ValidationError


def text_format(schema: type[BaseModel]) -> dict[str, Any]:
    """Bedrock's ``outputConfig.textFormat`` for `schema`: its JSON schema (every object closed
    to other properties), name and first docstring line."""
    json_schema = schema.model_json_schema()
    stack: list[Any] = [json_schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                node["additionalProperties"] = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    description = (schema.__doc__ or schema.__name__).strip().splitlines()[0]
    return {
        "type": "json_schema",
        "structure": {
            "jsonSchema": {
                "schema": json.dumps(json_schema, sort_keys=True),
                "name": schema.__name__,
                "description": description,
            }
        },
    }


def native_structured(
    model: BaseChatModel, schema: type[BaseModel], output_config: dict[str, Any] | None
) -> Runnable[Any, dict[str, Any]]:
    """`model` asked for a `schema` decision as JSON text (``outputConfig.textFormat``, with the
    plan's other output settings such as the effort kept)."""
    bound = model.bind(output_config={**(output_config or {}), "textFormat": text_format(schema)})

    def parse(raw: AIMessage) -> dict[str, Any]:
        try:
            parsed = schema.model_validate_json(raw.text)
        except ValidationError as exc:
            return {"raw": raw, "parsed": None, "parsing_error": exc}
        return {"raw": raw, "parsed": parsed, "parsing_error": None}

    return bound | RunnableLambda(parse)


__all__ = ["native_structured", "text_format"]
