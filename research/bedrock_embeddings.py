"""Amazon Titan Text Embeddings V2 on Bedrock, through `langchain_aws.BedrockEmbeddings`.

`TitanEmbedder` implements `research.embeddings.Embedder`. Each text is one InvokeModel call
(Titan V2 embeds one text per call) with the body ``{"inputText", "dimensions", "normalize":
true}``; `embed_documents` sends the distinct texts of a batch from a small thread pool
(`Settings.embeddings.concurrency` calls in flight) and returns float32 unit rows in order.

- Line breaks are sent as spaces (langchain-aws does the same with the host's own line
  separator; doing it here keeps request bodies the same on every machine, so recordings
  replay anywhere).
- A blank text (empty or whitespace only) gives a zero row without a call, as the offline
  embedder gives one for a text without content words (Titan refuses empty input).
- A text longer than Titan V2's documented 50,000 characters raises `EmbeddingInputError`
  before any call. Titan also counts at most 8,192 tokens (about 4.7 characters per token in
  English); a shorter text over that count is refused by the service (`EmbeddingServiceError`
  with ``ValidationException``): keep chunks well below either limit.
- The client is the chat models' configuration (`settings.bedrock.bedrock_config`): region,
  optional endpoint URL (the local Bedrock endpoint), bounded standard-mode retries, timeouts.
  Whatever the service answers after those retries (throttling, access denied, validation, a
  connection failure, a malformed answer) is raised as one `EmbeddingServiceError` naming the
  model and the error code.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from research.embeddings import (
    EmbeddingInputError,
    EmbeddingServiceError,
    Vectors,
    model_id_with_dimensions,
)
from settings import EMBEDDING_DIMENSION_CHOICES, Settings
from settings.bedrock import bedrock_config
from settings.model_catalog import model_catalog

TITAN_V2_MODEL_ID = model_catalog().get("titan-embed-text-v2").base_id
"""Bedrock's model id of Amazon Titan Text Embeddings V2 (the model catalog's)."""

TITAN_V2_MAX_CHARACTERS = 50_000
"""Titan Text Embeddings V2's documented input limit in characters (and 8,192 tokens)."""

TITAN_V2_MAX_TOKENS = model_catalog().get("titan-embed-text-v2").context_window
"""Titan Text Embeddings V2's documented input limit in tokens (counted by the service)."""


def _one_line(text: str) -> str:
    """`text` with each line break (``\\r\\n``, ``\\r``, ``\\n``) as one space."""
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def unit_row(values: Sequence[float], dimensions: int) -> Vectors:
    """`values` as a float32 row of unit length (a zero row stays zero). The norm is summed
    exactly (`math.fsum`), so the row is the same on every machine."""
    row = np.asarray(values, dtype=np.float64)
    if row.shape != (dimensions,):
        raise ValueError(f"expected {dimensions} values, got shape {row.shape}")
    norm = math.sqrt(math.fsum(v * v for v in row.tolist()))
    if norm > 0:
        row = row / norm
    return row.astype(np.float32)


class TitanEmbedder:
    """Titan Text Embeddings V2 on Bedrock (see the module docstring).

    `model_id` is the Bedrock model id, with ``-<dimensions>`` when they are not 1024. Build it
    with `from_settings`, or directly (`client` replaces the Bedrock Runtime client, e.g. in
    tests). Raises ValueError for dimensions other than 256, 512 or 1024, or a model id that
    is not Titan Text Embeddings V2.
    """

    def __init__(
        self,
        *,
        model_id: str = TITAN_V2_MODEL_ID,
        dimensions: int = 1024,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        config: Any = None,
        concurrency: int = 8,
        client: Any = None,
    ) -> None:
        from langchain_aws import BedrockEmbeddings  # imported lazily: ~0.5 s of boto3 setup

        if dimensions not in EMBEDDING_DIMENSION_CHOICES:
            choices = ", ".join(map(str, EMBEDDING_DIMENSION_CHOICES))
            raise ValueError(f"Titan V2 dimensions must be one of {choices}, got {dimensions}")
        if "titan-embed-text-v2" not in model_id:
            raise ValueError(
                f"embedding model {model_id!r} is not Titan Text Embeddings V2 "
                f"({TITAN_V2_MODEL_ID}), whose request shape this embedder speaks"
            )
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._bedrock_model_id = model_id
        self._dimensions = dimensions
        self._concurrency = concurrency
        kwargs: dict[str, Any] = {
            "model_id": model_id,
            "provider": "amazon",
            "region_name": region,
            "dimensions": dimensions,
            # Titan normalizes (its own `normalize`); langchain-aws's client-side normalize
            # would divide a zero vector by zero, so rows are normalized here instead
            "normalize": False,
            "model_kwargs": {"normalize": True},
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        if config is not None:
            kwargs["config"] = config
        if client is not None:
            kwargs["client"] = client
        self._model = BedrockEmbeddings(**kwargs)
        # langchain-aws logs every successful call at INFO with its response metadata (a line
        # per chunk when indexing); its errors (ERROR) still show
        logging.getLogger("langchain_aws.embeddings.bedrock").setLevel(logging.WARNING)

    @classmethod
    def from_settings(cls, settings: Settings) -> TitanEmbedder:
        """The embedder of `settings`: `bedrock_embedding_model_id`, `embedding_dimensions`,
        `bedrock_region`, `bedrock_endpoint_url`, `embedding_concurrency` and the chat models'
        retries and timeouts (`bedrock_config`)."""
        return cls(
            model_id=settings.embeddings.bedrock_model_id,
            dimensions=settings.embeddings.dimensions,
            region=settings.bedrock.region,
            endpoint_url=settings.bedrock.endpoint_url,
            config=bedrock_config(settings),
            concurrency=settings.embeddings.concurrency,
        )

    @property
    def model_id(self) -> str:
        """The Bedrock model id, with the dimensions when they are not 1024."""
        return model_id_with_dimensions(self._bedrock_model_id, self._dimensions)

    @property
    def dimensions(self) -> int:
        """Length of every vector."""
        return self._dimensions

    @property
    def client(self) -> Any:
        """The boto3 Bedrock Runtime client."""
        return self._model.client

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """One float32 unit row per text, in order (shape ``(len(texts), dimensions)``).

        Raises `EmbeddingInputError` (before any call) for a text over Titan V2's character
        limit, and `EmbeddingServiceError` when a call fails (no partial result).
        """
        texts = list(texts)
        for index, text in enumerate(texts):
            if len(text) > TITAN_V2_MAX_CHARACTERS:
                raise EmbeddingInputError(
                    self._bedrock_model_id, index, len(text), TITAN_V2_MAX_CHARACTERS
                )
        out = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        rows: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            if text.strip():
                rows.setdefault(_one_line(text), []).append(index)
        if not rows:
            return out
        unique = list(rows)
        workers = min(self._concurrency, len(unique))
        if workers == 1:  # one text (a query) or one call at a time: no thread needed
            for text in unique:
                out[rows[text]] = self._embed_one(text)
            return out
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed") as pool:
            futures = [pool.submit(self._embed_one, text) for text in unique]
            try:
                for text, future in zip(unique, futures, strict=True):
                    out[rows[text]] = future.result()
            except BaseException:
                _cancel(futures)
                raise
        return out

    def embed_query(self, text: str) -> Vectors:
        """The vector of a search query (shape ``(dimensions,)``), as `embed_documents`."""
        return self.embed_documents([text])[0]

    def _embed_one(self, text: str) -> Vectors:
        """One InvokeModel call; service failures as `EmbeddingServiceError`."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            values = self._model.embed_query(text)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "ClientError")
            raise EmbeddingServiceError(
                self._bedrock_model_id, code, str(error.get("Message") or exc)
            ) from exc
        except BotoCoreError as exc:
            raise EmbeddingServiceError(
                self._bedrock_model_id, type(exc).__name__, str(exc)
            ) from exc
        except ValueError as exc:  # langchain-aws: an answer without an embedding
            raise EmbeddingServiceError(
                self._bedrock_model_id, "InvalidResponse", str(exc)
            ) from exc
        try:
            return unit_row(values, self._dimensions)
        except (TypeError, ValueError) as exc:
            raise EmbeddingServiceError(
                self._bedrock_model_id, "InvalidResponse", str(exc)
            ) from exc


def _cancel(futures: list[Future[Vectors]]) -> None:
    """Cancel the calls not started yet (running ones finish; their results are dropped)."""
    for future in futures:
        future.cancel()


__all__ = [
    "TITAN_V2_MAX_CHARACTERS",
    "TITAN_V2_MAX_TOKENS",
    "TITAN_V2_MODEL_ID",
    "TitanEmbedder",
    "unit_row",
]
