"""Text embeddings of the research index (`STRATIGOS_EMBEDDING_*`)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from settings.fields import EnvironmentName, SettingsGroup
from settings.model_catalog import model_catalog

EMBEDDING_DIMENSION_CHOICES = (256, 512, 1024)
"""Vector lengths `EmbeddingSettings.dimensions` accepts (Titan Text Embeddings V2's)."""


class EmbeddingSettings(SettingsGroup):
    """Which embedder the research index uses, and its vectors."""

    env_prefix: ClassVar[str] = "STRATIGOS_EMBEDDING_"

    provider: Literal["auto", "offline", "bedrock"] = Field(
        default="auto",
        description="Text embeddings of the research index: `bedrock` (Titan Text Embeddings V2 "
        "through langchain-aws), the deterministic `offline` hashing embedder, or `auto` "
        "(bedrock when every agent role's chat model is on Bedrock, else offline: an "
        "OpenAI-compatible chat provider does not imply Bedrock embeddings).",
    )
    bedrock_model_id: Annotated[str, EnvironmentName("STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID")] = (
        Field(
            default=model_catalog().default_id("embedding"),
            description="The Bedrock embedding model (Titan Text Embeddings V2 or a provisioned "
            "throughput / profile ARN of it); called in bedrock_region through "
            "bedrock_endpoint_url.",
        )
    )
    dimensions: int = Field(
        default=1024,
        description="Length of every embedding vector: 256, 512 or 1024 (Titan Text Embeddings "
        "V2's choices; the offline embedder takes the same).",
    )
    concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Bedrock embedding calls in flight at once (Titan V2 embeds one text per call).",
    )

    @field_validator("dimensions", mode="after")
    @classmethod
    def _dimensions(cls, value: int) -> int:
        if value not in EMBEDDING_DIMENSION_CHOICES:
            choices = ", ".join(map(str, EMBEDDING_DIMENSION_CHOICES))
            raise ValueError(f"embedding_dimensions must be one of {choices}, got {value}")
        return value
