"""Persistence: the embedded SQLite file, or DynamoDB + S3 (`STRATIGOS_STORE_*`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from settings.fields import SettingsGroup

DEVELOPMENT_PEPPER = "stratigos-local-pepper"
"""The API key pepper of local development; refused outside it (`Settings`)."""


class StoreSettings(SettingsGroup):
    """Which store opens (store.factory), where its data lives and how it is reached.

    `backend` picks `sqlite` (the embedded default: one file, `sqlite_path`) or `aws` (the
    DynamoDB tables `table_name`, `checkpoint_table` and `memory_table` and the S3 bucket
    `s3_bucket`, in `aws_region`, optionally at `aws_endpoint_url`, e.g. a moto server).
    `max_attempts`, `connect_timeout` and `read_timeout` (seconds) bound how long an unreachable
    AWS endpoint takes to fail; results above `inline_limit_bytes` go to S3. `api_key_pepper` is
    the secret keyed into API key hashes: set it in production and never change it (existing keys
    stop verifying); `api_key_pepper_secret_id` reads it from AWS Secrets Manager instead (the
    secret's string value). `checkpoint_ttl_seconds` expires DynamoDB checkpoints (None keeps
    them); checkpoints above 350 KB go to `checkpoint_s3_bucket` (default `s3_bucket`). The
    documents library's originals go to `documents_s3_bucket` (default `s3_bucket`; in the cloud a
    versioned bucket of their own).
    """

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
        default=SecretStr(DEVELOPMENT_PEPPER),
        description="Secret keyed into API key hashes: set it in production, never change it.",
    )
    api_key_pepper_secret_id: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the API key pepper (overrides "
        "store_api_key_pepper; read once at start-up).",
    )
    api_key_checks: bool = Field(
        default=True,
        description="Whether this process creates or verifies API keys (a server, the command "
        "line); false for one that never does (a job worker, a SageMaker container): it needs "
        "no pepper and reads none, and an API key call there fails naming this setting.",
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
    model_artifacts_s3_bucket: str | None = Field(
        default=None,
        description="Bucket for the owners' strategy models (default: store_s3_bucket).",
    )

    @property
    def table_name(self) -> str:
        """The store's DynamoDB table: `<table_prefix>store`."""
        return f"{self.table_prefix}store"

    @property
    def checkpoint_table(self) -> str:
        """The DynamoDB table of LangGraph checkpoints: `<table_prefix>checkpoints`."""
        return f"{self.table_prefix}checkpoints"

    @property
    def memory_table(self) -> str:
        """The DynamoDB table of long-term memory (LangGraph's `DynamoDBStore`):
        `<table_prefix>memories`."""
        return f"{self.table_prefix}memories"
