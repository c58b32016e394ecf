"""Persistence: the embedded SQLite file, or DynamoDB + S3 (`STRATIGOS_STORE_*`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from settings.fields import SettingsGroup


class StoreSettings(SettingsGroup):
    """Which store opens (store.factory), where its data lives and how it is reached."""

    env_prefix: ClassVar[str] = "STRATIGOS_STORE_"

    backend: Literal["sqlite", "aws"] = Field(
        default="sqlite", description="Persistence: the embedded SQLite file, or DynamoDB + S3."
    )
    sqlite_path: Path | None = Field(
        default=None, description="The SQLite store file (default <data_dir>/store.sqlite)."
    )
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = Field(
        default=None, description="Another DynamoDB/S3 endpoint (e.g. a moto server)."
    )
    table_prefix: str = Field(
        default="stratigos-", description="DynamoDB tables <prefix>store, <prefix>checkpoints."
    )
    s3_bucket: str = "stratigos-data"
    max_attempts: int = Field(default=3, ge=1, le=10)
    connect_timeout: float = Field(default=5.0, gt=0, description="Seconds.")
    read_timeout: float = Field(default=30.0, gt=0, description="Seconds.")
    inline_limit_bytes: int = Field(
        default=100_000, ge=0, le=350_000, description="Larger results go to S3."
    )
    api_key_pepper: SecretStr = Field(
        default=SecretStr("stratigos-local-pepper"),
        description="Secret keyed into API key hashes: set it in production, never change it.",
    )
    api_key_pepper_secret_id: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the API key pepper (overrides "
        "store_api_key_pepper; read once at start-up).",
    )
    checkpoint_s3_bucket: str | None = Field(
        default=None,
        description="Bucket for checkpoints above 350 KB (default: store_s3_bucket).",
    )
    checkpoint_ttl_seconds: int | None = Field(default=None, gt=0)
    documents_s3_bucket: str | None = Field(
        default=None,
        description="Bucket for the documents library's originals (default: store_s3_bucket).",
    )
