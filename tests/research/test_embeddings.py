"""The offline embedder: deterministic, unit-length, near for shared words and stems only."""

from __future__ import annotations

import numpy as np
import pytest

from research.embeddings import EMBEDDING_DIMENSIONS, HashingEmbedder, words_of


def test_vectors_are_unit_length_deterministic_and_independent_of_the_batch() -> None:
    texts = ["Energy stocks fell 12% in March.", "Utilities are defensive.", "of the and"]
    first = HashingEmbedder().embed_documents(texts)
    again = HashingEmbedder().embed_documents(list(reversed(texts)))[::-1]
    assert first.shape == (3, EMBEDDING_DIMENSIONS) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first[:2], axis=1), 1.0, rtol=1e-6)
    assert not first[2].any()  # only common words: nothing to embed
    np.testing.assert_array_equal(HashingEmbedder().embed_query(texts[0]), first[0])


def test_shared_stems_are_near_and_unrelated_texts_are_not() -> None:
    embedder = HashingEmbedder()
    base, plural, other = embedder.embed_documents(
        ["semiconductor demand", "semiconductors demanded", "crude oil inventories"]
    )
    assert float(base @ plural) > 0.9
    assert abs(float(base @ other)) < 0.15
    assert words_of("The hedging of the companies") == ["hedg", "company"]


def test_smaller_vectors_name_their_dimensions() -> None:
    embedder = HashingEmbedder(dimensions=256)
    assert embedder.embed_query("energy").shape == (256,)
    assert embedder.model_id.endswith("-256") and embedder.model_id != HashingEmbedder().model_id
    with pytest.raises(ValueError, match="dimensions"):
        HashingEmbedder(dimensions=2)
