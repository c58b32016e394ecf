"""Backend choice from `STRATIGOS_STORE_*` variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from store.aws import AWSStore
from store.factory import open_store
from store.sqlite import SQLiteStore


def test_default_is_sqlite_in_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRATIGOS_STORE_BACKEND", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.store.backend == "sqlite"
    store = open_store(settings)
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "store.sqlite"
    store.close()


def test_aws_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_env: None
) -> None:
    monkeypatch.setenv("STRATIGOS_STORE_BACKEND", "aws")
    monkeypatch.setenv("STRATIGOS_STORE_TABLE_PREFIX", "prod-")
    monkeypatch.setenv("STRATIGOS_STORE_S3_BUCKET", "my-bucket")
    monkeypatch.setenv("STRATIGOS_STORE_AWS_REGION", "eu-west-1")
    monkeypatch.setenv("STRATIGOS_STORE_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("STRATIGOS_STORE_API_KEY_PEPPER", "s3cret")
    settings = Settings(data_dir=tmp_path)
    config = settings.store
    assert config.backend == "aws"
    assert (config.table_name, config.checkpoint_table) == ("prod-store", "prod-checkpoints")
    assert config.api_key_pepper.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)
    store = open_store(settings)
    assert isinstance(store, AWSStore)
    assert (store.table, store.bucket, store.region) == ("prod-store", "my-bucket", "eu-west-1")
    assert store.endpoint_url == "http://127.0.0.1:1"
