"""A process that checks no API key (`STRATIGOS_STORE_API_KEY_CHECKS=false`: a job worker, a
SageMaker container) starts in production without the API key pepper and holds none: its store
refuses to create or verify a key, naming the setting, instead of hashing with a wrong pepper."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from store.errors import StoreError
from store.factory import open_store


def test_production_without_a_pepper_starts_only_where_no_key_is_checked(tmp_path: Path) -> None:
    store = {"sqlite_path": tmp_path / "store.sqlite"}
    with pytest.raises(ValueError, match="STRATIGOS_STORE_API_KEY_PEPPER"):
        Settings(environment="production", store=store)  # type: ignore[arg-type]
    settings = Settings(
        environment="production",
        store={**store, "api_key_checks": False},  # type: ignore[arg-type]
    )
    opened = open_store(settings)
    for call in (
        lambda: opened.create_api_key("alice", "laptop"),
        lambda: opened.verify_api_key("sk-anything"),
    ):
        with pytest.raises(StoreError, match="STRATIGOS_STORE_API_KEY_CHECKS=false"):
            call()
    opened.close()


def test_a_process_that_checks_keys_still_hashes_with_its_pepper(tmp_path: Path) -> None:
    settings = Settings(
        environment="production",
        store={"sqlite_path": tmp_path / "s.sqlite", "api_key_pepper": "p" * 48},  # type: ignore[arg-type]
    )
    opened = open_store(settings)
    raw, key = opened.create_api_key("alice", "laptop")
    assert opened.verify_api_key(raw).id == key.id
    opened.close()
