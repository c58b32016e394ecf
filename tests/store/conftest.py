"""Fixtures for the store tests: a moto server on loopback, fake AWS credentials, a fake clock
and the `store` fixture parametrized over both backends (the contract suite runs on each)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest

from settings import StoreSettings
from settings.aws_sessions import aws_session
from store import Store
from store.aws import AWSStore, boto_config, create_tables
from store.checkpoints import delete_checkpoints
from store.sqlite import SQLiteStore
from tests.support.aws import FAKE_AWS_ENV, moto_server

INLINE_LIMIT = 20_000
"""Results above this many bytes go to S3 in the AWS store under test."""


class FakeClock:
    """A settable clock: `clock()` returns `now`; `advance(seconds)` moves it forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials for one test (moto accepts any); restored afterwards so that later
    tests do not see AWS credentials (they switch the model provider to Bedrock)."""
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server (DynamoDB, S3) on 127.0.0.1 at a free port, for the whole session."""
    with moto_server() as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def provisioning_clients(moto_endpoint: str) -> Iterator[tuple[Any, Any]]:
    """The DynamoDB and S3 clients `aws_names` creates each test's tables and bucket with, one
    pair for the session (nothing else uses them: the stores under test have their own)."""
    config = boto_config(max_attempts=2)
    session = _fake_aws_session()
    clients = (
        session.client("dynamodb", endpoint_url=moto_endpoint, config=config),
        session.client("s3", endpoint_url=moto_endpoint, config=config),
    )
    yield clients
    for client in clients:
        client.close()


@pytest.fixture
def aws_names(
    moto_endpoint: str, aws_env: None, provisioning_clients: tuple[Any, Any]
) -> dict[str, str]:
    """Fresh table and bucket names for one test, created on the moto server, the checkpoint
    table with them (the purge of a deleted thread deletes its checkpoints there)."""
    suffix = uuid.uuid4().hex[:10]
    names = {
        "table": f"test-{suffix}-store",
        "bucket": f"test-{suffix}-bucket",
        "checkpoints": f"test-{suffix}-checkpoints",
    }
    create_tables(
        names["table"],
        names["bucket"],
        checkpoint_table=names["checkpoints"],
        clients=provisioning_clients,
    )
    return names


def checkpoint_settings(endpoint: str, names: dict[str, str]) -> StoreSettings:
    """The store settings whose checkpointer (`store.checkpoints`) is on `names`' checkpoint
    table and bucket."""
    return StoreSettings(
        backend="aws",
        aws_endpoint_url=endpoint,
        table_prefix=names["checkpoints"].removesuffix("checkpoints"),
        s3_bucket=names["bucket"],
        max_attempts=2,
    )


@functools.cache
def _fake_aws_session() -> boto3.Session:
    """One boto3 session per process with moto's fake credentials given outright (none read
    from the environment), for the fixtures' stores and `create_tables`: a session costs
    ~12 ms to make, twice a test. Clients are made from it on the main thread only (a
    botocore session does not make clients on two threads at once)."""
    return aws_session(
        region_name=FAKE_AWS_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=FAKE_AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_AWS_ENV["AWS_SESSION_TOKEN"],
    )


def make_aws_store(endpoint: str, names: dict[str, str], clock: FakeClock) -> AWSStore:
    """The AWS store under test on `names`' table and bucket at `endpoint`."""
    return AWSStore(
        names["table"],
        names["bucket"],
        session=_fake_aws_session(),
        endpoint_url=endpoint,
        max_attempts=2,
        inline_limit_bytes=INLINE_LIMIT,
        api_key_pepper="test-pepper",
        clock=clock,
        delete_checkpoints=partial(delete_checkpoints, checkpoint_settings(endpoint, names)),
    )


@pytest.fixture(params=["sqlite", "aws"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    """The contract suite's store: SQLite in a temp dir, or DynamoDB + S3 on moto."""
    if request.param == "sqlite":
        s: Store = SQLiteStore(tmp_path / "store.sqlite", api_key_pepper="test-pepper", clock=clock)
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        names = request.getfixturevalue("aws_names")
        s = make_aws_store(endpoint, names, clock)
    yield s
    s.close()


def dump_everything(store: Store) -> bytes:
    """Every byte the store persisted: the SQLite files, or every DynamoDB item and S3 object."""
    if isinstance(store, SQLiteStore):
        store.close()  # checkpoint nothing away: read the main file and the WAL as they are
        parts = [
            p.read_bytes()
            for p in store.path.parent.iterdir()
            if p.name.startswith(store.path.name)
        ]
        return b"".join(parts)
    assert isinstance(store, AWSStore)
    out: list[bytes] = []
    for page in store.ddb.get_paginator("scan").paginate(TableName=store.table):
        out.append(json.dumps(page["Items"]).encode())
    s3 = store.s3
    for obj in s3.list_objects_v2(Bucket=store.bucket).get("Contents", []):
        out.append(s3.get_object(Bucket=store.bucket, Key=obj["Key"])["Body"].read())
    return b"".join(out)


def s3_keys(store: AWSStore) -> list[str]:
    """Keys of the store's bucket."""
    contents = store.s3.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    return [o["Key"] for o in contents]


def chunk_items(store: AWSStore) -> int:
    """Document chunk items in the store's table, of every owner (tombstoned or not)."""
    items = store.ddb.scan(TableName=store.table)["Items"]
    return sum(1 for i in items if i["pk"]["S"].startswith("DOCCHUNK#"))


@pytest.fixture
def store_aws(moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock) -> AWSStore:
    """The AWS store alone (for backend-specific tests)."""
    return make_aws_store(moto_endpoint, aws_names, clock)
