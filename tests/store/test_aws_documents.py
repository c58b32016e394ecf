"""The documents library's own bucket on AWS (moto server): originals go to the configured
documents bucket, not the store's; on a versioned bucket deleting a document deletes every
version of its original (and leaves no delete marker); a failure while deleting leaves the
document listed so that deleting again finishes; an original archived to Glacier is restored
on request, with a clear error until it is readable; the factory passes the setting on."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from pydantic import SecretStr

from settings import Settings, StoreSettings
from store import ArchivedError, NotFoundError, open_store
from store.aws import AWSStore, create_tables
from store.aws.documents import RESTORE_DAYS
from store.documents import DocumentChunk
from tests.store.conftest import FakeClock, chunk_items, s3_keys
from tests.support.store_contract import ALICE

TEXT = "text/plain"


def chunks(n: int) -> list[DocumentChunk]:
    return [DocumentChunk(i, f"chunk {i}", {"lines": f"{i + 1}-{i + 1}"}) for i in range(n)]


@pytest.fixture
def documents_bucket(moto_endpoint: str, aws_names: dict[str, str]) -> str:
    """A fresh documents bucket on the moto server, made by `create_tables` (versioned)."""
    name = f"test-{uuid.uuid4().hex[:10]}-documents"
    create_tables(
        aws_names["table"], aws_names["bucket"], endpoint_url=moto_endpoint, documents_bucket=name
    )
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    return name


@pytest.fixture
def store(
    moto_endpoint: str, aws_names: dict[str, str], documents_bucket: str, clock: FakeClock
) -> AWSStore:
    return AWSStore(
        aws_names["table"],
        aws_names["bucket"],
        endpoint_url=moto_endpoint,
        max_attempts=2,
        clock=clock,
        documents_bucket=documents_bucket,
    )


def versions(store: AWSStore) -> list[tuple[str, str]]:
    """(key, kind) of every version and delete marker in the documents bucket."""
    out = store.s3.list_object_versions(Bucket=store.documents_bucket)
    return [(v["Key"], "version") for v in out.get("Versions", [])] + [
        (m["Key"], "delete marker") for m in out.get("DeleteMarkers", [])
    ]


def test_originals_go_to_the_documents_bucket(store: AWSStore) -> None:
    document = store.add_document(ALICE, "a.txt", TEXT, b"alpha", chunks(2))
    key = f"documents/{ALICE}/{document.id}/original"
    assert versions(store) == [(key, "version")]
    assert s3_keys(store) == []  # nothing in the store's own bucket
    assert store.document_bytes(ALICE, document.id) == b"alpha"


def test_delete_removes_every_version_and_leaves_one_delete_marker(store: AWSStore) -> None:
    """Only the delete marker of the app's delete stays (S3 Replication carries it to a replica
    bucket, whose lifecycle then expires the replica's version; the lone marker holds nothing
    and the bucket's lifecycle removes it)."""
    keep = store.add_document(ALICE, "keep.txt", TEXT, b"keep", chunks(1))
    gone = store.add_document(ALICE, "gone.txt", TEXT, b"v1", chunks(3))
    key = f"documents/{ALICE}/{gone.id}/original"
    # older versions and a delete marker, as an operator's overwrite or delete would leave
    store.s3.put_object(Bucket=store.documents_bucket, Key=key, Body=b"v2")
    store.s3.delete_object(Bucket=store.documents_bucket, Key=key)
    store.s3.put_object(Bucket=store.documents_bucket, Key=key, Body=b"v3")
    assert sorted(versions(store)).count((key, "version")) == 3
    store.delete_document(ALICE, gone.id)
    assert store.list_documents(ALICE) == [keep]  # at once; the purge removes the versions
    assert sorted(versions(store)).count((key, "version")) == 3
    assert store.purge_deleted() == 1
    assert sorted(versions(store)) == sorted(
        [(key, "delete marker"), (f"documents/{ALICE}/{keep.id}/original", "version")]
    )
    with pytest.raises(ClientError):
        store.s3.head_object(Bucket=store.documents_bucket, Key=key)
    assert store.list_documents(ALICE) == [keep]


def test_a_failed_purge_keeps_the_document_hidden_and_the_next_purge_finishes(
    store: AWSStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    document = store.add_document(ALICE, "a.txt", TEXT, b"alpha", chunks(2))
    store.delete_document(ALICE, document.id)
    real = store.s3.delete_objects

    def refused(**kwargs: Any) -> dict[str, Any]:
        (entry,) = kwargs["Delete"]["Objects"]
        return {"Errors": [{**entry, "Code": "AccessDenied", "Message": "denied"}]}

    monkeypatch.setattr(store.s3, "delete_objects", refused)
    assert store.purge_deleted() == 0
    assert "could not delete versions" in caplog.text  # logged, left for the next run
    # never resurrected: gone from every read, its chunks kept until the purge finishes
    assert store.list_documents(ALICE) == []
    for read in (store.get_document, store.document_bytes, store.document_chunks):
        with pytest.raises(NotFoundError):
            read(ALICE, document.id)
    with pytest.raises(NotFoundError):
        store.delete_document(ALICE, document.id)
    assert chunk_items(store) == 2
    monkeypatch.setattr(store.s3, "delete_objects", real)
    assert store.purge_deleted() == 1
    key = f"documents/{ALICE}/{document.id}/original"
    assert versions(store) == [(key, "delete marker")] and chunk_items(store) == 0
    assert store.purge_deleted() == 0


def test_an_archived_original_is_restored_on_request(store: AWSStore) -> None:
    document = store.add_document(ALICE, "a.txt", TEXT, b"alpha", chunks(1))
    key = f"documents/{ALICE}/{document.id}/original"
    # what the lifecycle rule does after 90 days: the current version in Glacier
    store.s3.copy_object(
        Bucket=store.documents_bucket,
        Key=key,
        CopySource={"Bucket": store.documents_bucket, "Key": key},
        StorageClass="GLACIER",
    )
    assert "Restore" not in store.s3.head_object(Bucket=store.documents_bucket, Key=key)
    with pytest.raises(ArchivedError, match="archived") as raised:
        store.document_bytes(ALICE, document.id)
    assert raised.value.ready_in_hours == 5
    head = store.s3.head_object(Bucket=store.documents_bucket, Key=key)
    assert head["StorageClass"] == "GLACIER" and "Restore" in head  # a restore was requested
    # moto completes restores at once; on AWS this is hours later (RESTORE_DAYS readable)
    assert RESTORE_DAYS == 7
    assert store.document_bytes(ALICE, document.id) == b"alpha"


def test_the_factory_passes_the_documents_bucket(
    moto_endpoint: str, aws_names: dict[str, str], documents_bucket: str
) -> None:
    settings = Settings(
        store=StoreSettings(
            backend="aws",
            aws_endpoint_url=moto_endpoint,
            table_prefix=aws_names["table"].removesuffix("store"),
            s3_bucket=aws_names["bucket"],
            documents_s3_bucket=documents_bucket,
            api_key_pepper=SecretStr("pepper-of-the-test"),
        )
    )
    store = open_store(settings)
    assert isinstance(store, AWSStore)
    assert (store.bucket, store.documents_bucket) == (aws_names["bucket"], documents_bucket)
    default = open_store(config=StoreSettings(backend="aws", s3_bucket=aws_names["bucket"]))
    assert isinstance(default, AWSStore) and default.documents_bucket == aws_names["bucket"]
