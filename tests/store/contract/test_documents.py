"""The documents contract on both backends: the original, the metadata and every chunk round-trip;
chunks page in order; owner isolation; newest first; deletion takes the chunks and the original
too; argument checks; and a failed write leaves no document (and, on AWS, cleans up)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from store import Document, DocumentChunk, NotFoundError, StoreError, StoreUnavailableError
from store.aws import AWSStore
from store.base import Store
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock, chunk_items, s3_keys
from tests.support.store_contract import ALICE, BOB

PDF = "application/pdf"


def chunks(n: int, reference: dict[str, str | int] | None = None) -> list[DocumentChunk]:
    return [DocumentChunk(i, f"chunk {i} text", reference or {"page": i + 1}) for i in range(n)]


def all_chunks(store: Store, owner: str, document_id: str, limit: int) -> list[DocumentChunk]:
    found: list[DocumentChunk] = []
    cursor = None
    while True:
        page = store.document_chunks(owner, document_id, cursor=cursor, limit=limit)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_a_document_s_original_metadata_and_chunks_round_trip(
    store: Store, clock: FakeClock
) -> None:
    data = b"%PDF-1.4" + os.urandom(3000) + b"\x00\r\n%%EOF"
    stored = [
        DocumentChunk(0, "Allocation policy.", {"page": 1}),
        DocumentChunk(1, "Équités ≤ 60 %.", {"sheet": "Q1", "rows": "2-14"}),
        DocumentChunk(2, "Risks", {"section": "Risks"}),
    ]
    document = store.add_document(ALICE, "policy.pdf", PDF, data, stored, pages=2)
    assert isinstance(document, Document) and document.id.startswith("doc_")
    assert (document.owner, document.name, document.media_type) == (ALICE, "policy.pdf", PDF)
    assert (document.size_bytes, document.pages, document.chunk_count) == (len(data), 2, 3)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.created_at == clock.now
    assert store.get_document(ALICE, document.id) == document
    assert store.document_bytes(ALICE, document.id) == data
    page = store.document_chunks(ALICE, document.id)
    assert page.items == stored and page.next_cursor is None


def test_a_document_without_pages_keeps_none(store: Store) -> None:
    document = store.add_document(ALICE, "a.txt", "text/plain", b"hi", chunks(1), pages=None)
    assert store.get_document(ALICE, document.id).pages is None


def test_chunks_page_in_ordinal_order_beyond_a_transaction_s_size(store: Store) -> None:
    document = store.add_document(ALICE, "big.pdf", PDF, b"%PDF-", chunks(230))
    assert document.chunk_count == 230
    assert all_chunks(store, ALICE, document.id, limit=100) == chunks(230)
    first = store.document_chunks(ALICE, document.id, limit=7)
    assert [c.ordinal for c in first.items] == list(range(7)) and first.next_cursor
    with pytest.raises(ValueError, match="cursor"):
        store.document_chunks(ALICE, document.id, cursor="nonsense!")
    with pytest.raises(ValueError, match="limit"):
        store.document_chunks(ALICE, document.id, limit=0)


def test_another_owner_s_document_is_not_found(store: Store) -> None:
    document = store.add_document(ALICE, "a.md", "text/markdown", b"# A", chunks(2))
    for read in (store.get_document, store.document_bytes, store.delete_document):
        with pytest.raises(NotFoundError):
            read(BOB, document.id)
    with pytest.raises(NotFoundError):
        store.document_chunks(BOB, document.id)
    assert store.list_documents(BOB) == []
    assert store.document_bytes(ALICE, document.id) == b"# A"  # bob's delete did nothing
    assert store.document_chunks(ALICE, document.id).items == chunks(2)


def test_documents_are_listed_newest_first(store: Store, clock: FakeClock) -> None:
    first = store.add_document(ALICE, "1.txt", "text/plain", b"1", chunks(1))
    clock.advance(1)
    second = store.add_document(ALICE, "2.txt", "text/plain", b"2", chunks(1))
    clock.advance(-10)
    earliest = store.add_document(ALICE, "0.txt", "text/plain", b"0", chunks(1))
    assert store.list_documents(ALICE) == [second, first, earliest]


def test_delete_removes_the_metadata_the_chunks_and_the_original(store: Store) -> None:
    keep = store.add_document(ALICE, "keep.txt", "text/plain", b"keep", chunks(3))
    gone = store.add_document(ALICE, "gone.txt", "text/plain", b"gone", chunks(130))
    store.delete_document(ALICE, gone.id)
    for read in (store.get_document, store.document_bytes, store.delete_document):
        with pytest.raises(NotFoundError):
            read(ALICE, gone.id)
    with pytest.raises(NotFoundError):
        store.document_chunks(ALICE, gone.id)
    assert store.list_documents(ALICE) == [keep]
    assert store.document_chunks(ALICE, keep.id).items == chunks(3)
    if isinstance(store, AWSStore):  # hidden at once; the purge removes the object and chunks
        assert chunk_items(store) == 133 and len(s3_keys(store)) == 2
        assert store.purge_deleted() == 1
        assert s3_keys(store) == [f"documents/{ALICE}/{keep.id}/original"]  # unversioned
        assert chunk_items(store) == 3
        assert store.purge_deleted() == 0  # nothing is left to purge
    else:
        assert isinstance(store, SQLiteStore)
        left = store._read("test", "SELECT count(*) FROM document_chunks WHERE document_id = ?",
                           (gone.id,))  # fmt: skip
        assert left[0][0] == 0


def test_the_original_lives_in_s3_with_its_media_type_on_aws(store: Store) -> None:
    data = os.urandom(2_000_000)
    document = store.add_document(ALICE, "big.pdf", PDF, data, chunks(1))
    assert store.document_bytes(ALICE, document.id) == data
    if isinstance(store, AWSStore):
        key = f"documents/{ALICE}/{document.id}/original"
        head = store.s3.head_object(Bucket=store.bucket, Key=key)
        assert (head["ContentLength"], head["ContentType"]) == (2_000_000, PDF)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"media_type": "pdf"}, "media_type"),
        ({"data": b""}, "data"),
        ({"pages": 0}, "pages"),
        ({"pages": True}, "pages"),
        ({"chunks": []}, "at least one chunk"),
        ({"chunks": [DocumentChunk(1, "x", {})]}, "ordinals"),
        ({"chunks": [DocumentChunk(0, " ", {})]}, "empty"),
    ],
)
def test_invalid_arguments_are_refused_and_nothing_is_stored(
    store: Store, arguments: dict[str, Any], message: str
) -> None:
    values = {
        "name": "a.txt",
        "media_type": "text/plain",
        "data": b"x",
        "chunks": chunks(1),
        "pages": None,
        **arguments,
    }
    with pytest.raises(ValueError, match=message):
        store.add_document(ALICE, **values)
    assert store.list_documents(ALICE) == []


def test_a_failed_write_stores_no_document_sqlite(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", max_db_bytes=512 * 1024)
    big = [DocumentChunk(i, "y" * 800, {"page": 1}) for i in range(1000)]  # ~800 KB of chunks
    with pytest.raises(StoreUnavailableError, match="full"):
        store.add_document(ALICE, "a.txt", "text/plain", b"small", big)
    assert store.list_documents(ALICE) == []
    assert store._read("test", "SELECT count(*) FROM document_chunks")[0][0] == 0
    store.close()


def test_a_failed_metadata_write_cleans_up_the_chunks_and_the_original_aws(
    store_aws: AWSStore,
) -> None:
    # a name whose item is too large for DynamoDB (400 KB) fails the metadata write, after the
    # original and the chunks were written: nothing stays behind
    original = store_aws._put_object_then_item

    def failing_record(*args: Any, **kwargs: Any) -> None:
        record = {**args[4], "padding": "z" * 500_000}
        original(*args[:4], record, *args[5:], **kwargs)

    store_aws._put_object_then_item = failing_record  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="add_document"):
        store_aws.add_document(ALICE, "a.txt", "text/plain", b"data", chunks(40))
    assert store_aws.list_documents(ALICE) == []
    assert store_aws.purge_deleted() == 1  # the purge record of what the failed write left
    assert s3_keys(store_aws) == []
    assert chunk_items(store_aws) == 0
