"""The embedder factory: the one `Embedder` the settings choose, offline or on Amazon Bedrock.

``offline`` gives the deterministic `research.embeddings.HashingEmbedder`; ``bedrock`` gives
`research.bedrock_embeddings.TitanEmbedder` (Amazon Titan Text Embeddings V2 through
langchain-aws), loaded only then. The provider comes from `Settings.resolved_embedding_provider`,
the vector length from `Settings.embeddings.dimensions`.
"""

from __future__ import annotations

from research.embeddings import Embedder, HashingEmbedder
from settings.config import Settings, get_settings


def embedder_for(settings: Settings | None = None) -> Embedder:
    """The embedder the settings choose: `HashingEmbedder` (``offline``) or Titan Text
    Embeddings V2 on Bedrock (``bedrock``), both of `Settings.embeddings.dimensions`.

    Building the Bedrock embedder makes no network call. Raises ValueError for a Bedrock model
    id that is not Titan Text Embeddings V2.
    """
    settings = settings or get_settings()
    if settings.resolved_embedding_provider() == "offline":
        return HashingEmbedder(settings.embeddings.dimensions)
    from research.bedrock_embeddings import TitanEmbedder  # boto3 only when used

    return TitanEmbedder.from_settings(settings)
