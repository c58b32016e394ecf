"""Choosing and opening the store from settings.

`StoreConfig` holds the store's settings; `StoreConfig.from_settings(settings)` takes them from
the `store_*` fields of `Settings` (`STRATIGOS_STORE_*` environment variables, e.g.
`STRATIGOS_STORE_BACKEND=aws`) and fills in the SQLite path from `settings.data_dir`. `open_store(settings)` returns the configured `Store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from settings import Settings, get_settings
from store.base import Store
from store.common import Clock, utc_now
from store.errors import StoreUnavailableError

DEFAULT_PEPPER = "stratigos-local-pepper"


class StoreConfig(BaseModel):
    """Where and how the store keeps its data.

    `backend` picks `sqlite` (the embedded default: one file, `sqlite_path`) or `aws` (the
    DynamoDB table `<table_prefix>store`, the checkpoint table `<table_prefix>checkpoints`, the
    long-term memory table `<table_prefix>memories` and
    the S3 bucket `s3_bucket`, in `aws_region`, optionally at `aws_endpoint_url`, e.g. a moto
    server). `max_attempts`, `connect_timeout` and `read_timeout` (seconds) bound how long an
    unreachable AWS endpoint takes to fail; results above `inline_limit_bytes` go to S3.
    `api_key_pepper` is the secret keyed into API key hashes: set it in production and never
    change it (existing keys stop verifying); `api_key_pepper_secret_id` reads it from AWS
    Secrets Manager instead (the secret's string value). `checkpoint_ttl_seconds` expires DynamoDB
    checkpoints (None keeps them); checkpoints above 350 KB go to `checkpoint_s3_bucket` (default
    `s3_bucket`). The documents library's originals go to `documents_s3_bucket` (default
    `s3_bucket`; in the cloud a versioned bucket of their own).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: Literal["sqlite", "aws"] = "sqlite"
    sqlite_path: Path | None = None
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    table_prefix: str = "stratigos-"
    s3_bucket: str = "stratigos-data"
    max_attempts: int = Field(default=3, ge=1, le=10)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    inline_limit_bytes: int = Field(default=100_000, ge=0, le=350_000)
    api_key_pepper: SecretStr = SecretStr(DEFAULT_PEPPER)
    api_key_pepper_secret_id: str | None = None
    checkpoint_ttl_seconds: int | None = Field(default=None, gt=0)
    checkpoint_s3_bucket: str | None = None
    documents_s3_bucket: str | None = None

    @property
    def table_name(self) -> str:
        """The store's DynamoDB table."""
        return f"{self.table_prefix}store"

    @property
    def checkpoint_table(self) -> str:
        """The DynamoDB table of LangGraph checkpoints."""
        return f"{self.table_prefix}checkpoints"

    @property
    def memory_table(self) -> str:
        """The DynamoDB table of long-term memory (LangGraph's `DynamoDBStore`)."""
        return f"{self.table_prefix}memories"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> StoreConfig:
        """The configuration from `Settings.store` (`STRATIGOS_STORE_*` variables);
        `sqlite_path` defaults to `<data_dir>/store.sqlite`."""
        settings = settings or get_settings()
        values = dict(settings.store)
        if values["sqlite_path"] is None:
            values["sqlite_path"] = settings.data_dir / "store.sqlite"
        return cls(**values)


def open_store(
    settings: Settings | None = None, config: StoreConfig | None = None, *, clock: Clock = utc_now
) -> Store:
    """The configured store (`StoreUnavailableError` if it cannot be opened)."""
    config = config or StoreConfig.from_settings(settings)
    pepper = config.api_key_pepper.get_secret_value()
    if config.api_key_pepper_secret_id:
        pepper = read_secret(config.api_key_pepper_secret_id, config)
    if config.backend == "aws":
        from store.aws import AWSStore

        return AWSStore(
            config.table_name,
            config.s3_bucket,
            region=config.aws_region,
            endpoint_url=config.aws_endpoint_url,
            max_attempts=config.max_attempts,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            inline_limit_bytes=config.inline_limit_bytes,
            api_key_pepper=pepper,
            clock=clock,
            documents_bucket=config.documents_s3_bucket,
        )
    from store.sqlite import SQLiteStore

    path = config.sqlite_path or (settings or get_settings()).data_dir / "store.sqlite"
    return SQLiteStore(path, api_key_pepper=pepper, clock=clock)


def read_secret(secret_id: str, config: StoreConfig) -> str:
    """The string value of a Secrets Manager secret (`StoreUnavailableError` if unreadable)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "secretsmanager",
        region_name=config.aws_region,
        endpoint_url=config.aws_endpoint_url,
        config=Config(
            retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        ),
    )
    try:
        value = client.get_secret_value(SecretId=secret_id).get("SecretString")
    except (BotoCoreError, ClientError) as exc:
        raise StoreUnavailableError(
            f"cannot read the API key pepper secret {secret_id}: {exc}"
        ) from exc
    if not value:
        raise StoreUnavailableError(f"the API key pepper secret {secret_id} has no string value")
    return str(value)
