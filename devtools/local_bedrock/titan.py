"""InvokeModel for Amazon Titan Text Embeddings V2, answered by the offline embedder.

Request (Titan V2's documented body): ``inputText`` (required, 1 to 50,000 characters),
``dimensions`` (256, 512 or 1024; default 1024), ``normalize`` (default true) and
``embeddingTypes`` (a non-empty list of ``"float"`` and/or ``"binary"``; default
``["float"]``). Response: ``embedding`` (the float vector), ``inputTextTokenCount`` and
``embeddingsByType`` (``float`` and/or ``binary``: 1 where the float value is positive, else
0, one value per dimension).

The vector is `research.embeddings.HashingEmbedder`'s of the same dimensions (unit length with
``normalize``, its raw feature weights without), written as the shortest decimals that read back
as the same float32 values, so a client gets exactly the offline embedder's vectors. The token
count is an estimate (words and punctuation marks), not Titan's tokenizer; a text over 8,192 of
them is refused as Titan refuses one over its token limit.

Errors use Bedrock's shapes and wording: ``ValidationException`` (400, "Malformed input
request: ...") for a malformed body, ``ValidationException`` "The provided model identifier is
invalid." for an id Bedrock would not recognise, and ``ResourceNotFoundException`` (404) for a
Bedrock model id this endpoint does not serve through InvokeModel.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from devtools.local_bedrock.converse import BedrockError, check_model_id
from research.bedrock_embeddings import (
    TITAN_V2_MAX_CHARACTERS,
    TITAN_V2_MAX_TOKENS,
    TITAN_V2_MODEL_ID,
)
from research.embeddings import HashingEmbedder

TITAN_V2 = TITAN_V2_MODEL_ID
"""The model id served through InvokeModel (the model catalog's)."""

MAX_CHARACTERS = TITAN_V2_MAX_CHARACTERS
MAX_TOKENS = TITAN_V2_MAX_TOKENS
DIMENSIONS = (256, 512, 1024)
EMBEDDING_TYPES = ("float", "binary")
_KEYS = ("inputText", "dimensions", "normalize", "embeddingTypes")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_JSON_TYPES = {str: "String", bool: "Boolean", int: "Integer", float: "Number", list: "JSONArray",
               dict: "JSONObject", type(None): "Null"}  # fmt: skip


def _malformed(detail: str) -> BedrockError:
    return BedrockError(
        "ValidationException",
        f"Malformed input request: {detail}, please reformat your input and try again.",
        400,
    )


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def serves(model_id: str) -> bool:
    """Whether InvokeModel on `model_id` is Titan Text Embeddings V2 (its id or an ARN of it)."""
    return model_id == TITAN_V2 or (
        model_id.startswith("arn:") and model_id.endswith(f"foundation-model/{TITAN_V2}")
    )


def check_invoke_model_id(model_id: str) -> None:
    """Bedrock's answers to a model id this endpoint does not embed with."""
    if serves(model_id):
        return
    check_model_id(model_id)  # ValidationException for ids Bedrock would not recognise
    raise BedrockError(
        "ResourceNotFoundException",
        f"Model {model_id} is not served through InvokeModel by the local endpoint: it embeds "
        f"with {TITAN_V2} only (chat models go through Converse).",
        404,
    )


def token_count(text: str) -> int:
    """The estimated tokens of `text`: its words and punctuation marks."""
    return len(_TOKEN.findall(text))


def parse_titan_request(body: Any) -> tuple[str, int, bool, list[str]]:
    """``(inputText, dimensions, normalize, embeddingTypes)`` of a Titan V2 request body, with
    Titan's defaults; `BedrockError` (ValidationException) naming the field otherwise."""
    if not isinstance(body, dict):
        raise _malformed(f"#: expected type: JSONObject, found: {_type_name(body)}")
    for key in body:
        if key not in _KEYS:
            raise _malformed(f"#: extraneous key [{key}] is not permitted")
    if "inputText" not in body:
        raise _malformed("#: required key [inputText] not found")
    text = body["inputText"]
    if not isinstance(text, str):
        raise _malformed(f"#/inputText: expected type: String, found: {_type_name(text)}")
    if not text:
        raise _malformed("#/inputText: expected minLength: 1, actual: 0")
    if len(text) > MAX_CHARACTERS:
        raise _malformed(f"#/inputText: expected maxLength: {MAX_CHARACTERS}, actual: {len(text)}")
    dimensions = body.get("dimensions", 1024)
    if isinstance(dimensions, bool) or dimensions not in DIMENSIONS:
        raise _malformed(f"#/dimensions: {dimensions} is not a valid enum value")
    normalize = body.get("normalize", True)
    if not isinstance(normalize, bool):
        raise _malformed(f"#/normalize: expected type: Boolean, found: {_type_name(normalize)}")
    types = body.get("embeddingTypes", ["float"])
    if not isinstance(types, list):
        raise _malformed(f"#/embeddingTypes: expected type: JSONArray, found: {_type_name(types)}")
    if not types:
        raise _malformed("#/embeddingTypes: expected minimum item count: 1, found: 0")
    for i, kind in enumerate(types):
        if kind not in EMBEDDING_TYPES:
            raise _malformed(f"#/embeddingTypes/{i}: {kind} is not a valid enum value")
    return text, int(dimensions), normalize, list(dict.fromkeys(types))


@lru_cache(maxsize=3)
def _embedder(dimensions: int) -> HashingEmbedder:
    return HashingEmbedder(dimensions)


def _floats(row: np.ndarray[Any, Any]) -> list[float]:
    """float32 values as the shortest decimals that read back as the same float32."""
    return [float(str(v)) for v in row.astype(np.float32)]


def titan_embedding(model_id: str, body: Any) -> dict[str, Any]:
    """The InvokeModel response body of Titan V2 for `body` (see the module docstring)."""
    check_invoke_model_id(model_id)
    text, dimensions, normalize, types = parse_titan_request(body)
    tokens = token_count(text)
    if tokens > MAX_TOKENS:
        raise BedrockError(
            "ValidationException",
            f"400 Bad Request: Too many input tokens. Max input tokens: {MAX_TOKENS}, request "
            f"input token count: {tokens} ",
            400,
        )
    embedder = _embedder(dimensions)
    if normalize:
        row = embedder.embed_documents([text])[0]
    else:
        row = embedder.term_vectors([text])[0].astype(np.float32)
    values = _floats(row)
    by_type: dict[str, list[Any]] = {}
    for kind in types:
        by_type[kind] = values if kind == "float" else [1 if v > 0 else 0 for v in values]
    return {"embedding": values, "inputTextTokenCount": tokens, "embeddingsByType": by_type}


__all__ = [
    "DIMENSIONS",
    "MAX_CHARACTERS",
    "MAX_TOKENS",
    "TITAN_V2",
    "check_invoke_model_id",
    "parse_titan_request",
    "serves",
    "titan_embedding",
    "token_count",
]
