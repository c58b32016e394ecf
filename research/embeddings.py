"""Text embeddings for the research index: the `Embedder` interface and the offline embedder.

Vectors are float32 rows of unit length (L2), so a dot product is the cosine similarity.

`HashingEmbedder` is the deterministic offline embedder (the default without Bedrock, and what
the local Bedrock endpoint serves for Titan Text Embeddings V2). It is lexical: each word (lower
case, a plural, ``-ing``, ``-ed`` or final ``-e`` ending stripped) contributes its own feature and its
character 3-grams (with word boundaries), each word pair one feature, all hashed into
`dimensions` buckets with a sign, with sublinear term frequency and common English words left
out. Two texts are near when they share words or word stems ("semiconductor" and
"semiconductors", "hedge" and "hedging"); it knows no synonyms or meaning ("oil" is not near
"crude", "stocks" is not near "equities"). It is worth a fuzzy full-text search, not a semantic
one: good for tests, offline use and recording, never a stand-in for a real embedding model's
quality.

The configured embedder (this one, or Titan Text Embeddings V2 on Bedrock,
`research.bedrock_embeddings`) is picked by `research.embedder_factory.embedder_for`.
Embedding failures are `EmbeddingError`s: `EmbeddingInputError` for a text the model refuses
before any call, `EmbeddingServiceError` for the service's refusals and failures.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol, TypeAlias

from settings import patterns

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

EMBEDDING_DIMENSIONS = 1024
"""Vector length of the offline embedder (Titan Text Embeddings V2's default, too)."""

OFFLINE_EMBEDDING_MODEL = "offline-hashing-v1"
"""Model id recorded with vectors made by `HashingEmbedder`."""

Vectors: TypeAlias = "NDArray[np.float32]"
"""Embeddings, one unit-length row per text (a numpy array; numpy is loaded on first use)."""


def model_id_with_dimensions(model_id: str, dimensions: int) -> str:
    """`model_id`, with ``-<dimensions>`` appended when they are not `EMBEDDING_DIMENSIONS`
    (vectors of one model at two lengths are different vectors)."""
    return model_id if dimensions == EMBEDDING_DIMENSIONS else f"{model_id}-{dimensions}"


class EmbeddingError(RuntimeError):
    """Texts could not be embedded (the message names the model)."""

    def __init__(self, model_id: str, message: str) -> None:
        super().__init__(message)
        self.model_id = model_id


class EmbeddingInputError(EmbeddingError):
    """A text the model would refuse, caught before any call: `index` is its position in the
    batch, `length` its length in characters, `limit` the model's limit."""

    def __init__(self, model_id: str, index: int, length: int, limit: int) -> None:
        super().__init__(
            model_id,
            f"text {index} has {length:,} characters; {model_id} embeds at most {limit:,} "
            "characters per text (split it into smaller chunks)",
        )
        self.index = index
        self.length = length
        self.limit = limit


class EmbeddingServiceError(EmbeddingError):
    """The embedding service refused or failed a call after the client's retries: `code` is the
    service's error code (e.g. ``ThrottlingException``, ``AccessDeniedException``,
    ``ValidationException``, or the client's error class for a connection failure)."""

    def __init__(self, model_id: str, code: str, message: str) -> None:
        super().__init__(model_id, f"embedding with {model_id} failed: {code}: {message}")
        self.code = code
        self.detail = message


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of `dimensions` values.

    `model_id` names the model (vectors of different models are never compared: the index keeps
    the model id beside its vectors).
    """

    @property
    def model_id(self) -> str:
        """The embedding model's id."""
        ...

    @property
    def dimensions(self) -> int:
        """Length of every vector."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """One row per text, in order (shape ``(len(texts), dimensions)``)."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """The vector of a search query (shape ``(dimensions,)``)."""
        ...


_WORD = patterns.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "more",
        "most",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "over",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "under",
        "up",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_SUFFIXES = ("ies", "ing", "ed", "es", "s", "e")


@lru_cache(maxsize=65_536)  # a text's words repeat: documents, the guide, questions
def _stem(word: str) -> str:
    """`word` without one common English ending (kept when the rest would be under 3 letters)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "ies":
                return word[:-3] + "y"
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)]
    return word


def words_of(text: str) -> list[str]:
    """The stemmed content words of `text`, in order (lower case, common words left out)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS]


def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, (1.0 if (value >> 63) & 1 else -1.0)


@lru_cache(maxsize=32_768)
def _word_features(word: str, dimensions: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Buckets and signed weights of one word: the word (weight 1) and its character 3-grams
    (together weight 1)."""
    padded = f"<{word}>"
    grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
    features = [(_bucket(f"w:{word}", dimensions), 1.0)]
    share = 1.0 / max(1, len(grams))
    features += [(_bucket(f"g:{gram}", dimensions), share) for gram in grams]
    return (
        tuple(index for (index, _), _ in features),
        tuple(sign * weight for (_, sign), weight in features),
    )


class HashingEmbedder:
    """The deterministic offline embedder (see the module docstring for what it is worth)."""

    def __init__(self, dimensions: int = EMBEDDING_DIMENSIONS) -> None:
        if dimensions < 8:
            raise ValueError(f"dimensions must be at least 8, got {dimensions}")
        self._dimensions = dimensions

    @property
    def model_id(self) -> str:
        """`OFFLINE_EMBEDDING_MODEL`, with the dimensions when they are not the default."""
        return model_id_with_dimensions(OFFLINE_EMBEDDING_MODEL, self._dimensions)

    @property
    def dimensions(self) -> int:
        """Length of every vector."""
        return self._dimensions

    def term_vectors(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """The hashed feature weights of each text before normalisation, shape
        ``(len(texts), dimensions)`` (what Titan's ``normalize: false`` stands for locally)."""
        import numpy as np

        out = np.zeros((len(texts), self._dimensions), dtype=np.float64)
        for row, text in enumerate(texts):
            indices, weights = self._features(text)
            if indices:
                out[row] = np.bincount(indices, weights, minlength=self._dimensions)
        return out

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text (a text without content words gives a zero row)."""
        import numpy as np

        out = self.term_vectors(texts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out.astype(np.float32)

    def embed_query(self, text: str) -> Vectors:
        """The vector of `text` (as `embed_documents` would make it)."""
        return self.embed_documents([text])[0]

    def _features(self, text: str) -> tuple[list[int], list[float]]:
        """Buckets and signed weights of every feature of `text` (repeated buckets add up)."""
        words = words_of(text)
        indices: list[int] = []
        weights: list[float] = []
        for word, count in Counter(words).items():
            word_indices, word_weights = _word_features(word, self._dimensions)
            scale = 1.0 + math.log(count)
            indices.extend(word_indices)
            weights.extend(w * scale for w in word_weights)
        for first, second in pairwise(words):
            index, sign = _bucket(f"p:{first} {second}", self._dimensions)
            indices.append(index)
            weights.append(sign * 0.5)
        return indices, weights
