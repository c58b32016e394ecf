"""Who deletes the research index's files (`store.lance_versions`): on S3 (moto's server, every
request recorded) the API's upkeep (adds past `COMPACT_AFTER_FILES`, a document deleted, a
reindex) deletes nothing; the cleanup's `remove_old_versions` then deletes the old versions'
files and searches answer as before. In a directory the writers clean up as LanceDB does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from research.embeddings import HashingEmbedder
from research.index import COMPACT_AFTER_FILES, ResearchIndex
from research.index_terms import WRITERS_KEEP
from store.lance_versions import remove_old_versions
from tests.research.test_index import CHIPS, ENERGY, JAN, MAR, chunks
from tests.support.aws import FAKE_AWS_ENV, moto_server

Requests = list[tuple[str, str, str]]
QUERIES = ["energy stocks in March", "memory prices", "refiners margins", "utilities leverage"]


def deleting(requests: Requests) -> Requests:
    """The requests that delete objects: DELETE, or S3's multi-object delete (POST ?delete)."""
    return [r for r in requests if r[0] == "DELETE" or (r[0] == "POST" and "delete" in r[2])]


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> list[timedelta | None]:
    """The `cleanup_older_than` of every LanceDB `optimize` call (the real one runs)."""
    import lancedb.table  # imported here: LanceDB's import is ~2 s of the module's collection

    seen: list[timedelta | None] = []
    real = lancedb.table.LanceTable.optimize

    def optimize(self: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("cleanup_older_than"))
        return real(self, **kwargs)

    monkeypatch.setattr(lancedb.table.LanceTable, "optimize", optimize)
    return seen


def upkeep(index: ResearchIndex) -> None:
    """What the API does to an owner's table: adds (past the compaction threshold), a document
    deleted, a reindex (`rebuild_text_index`), an explicit optimize; and another owner's add."""
    for n in range(COMPACT_AFTER_FILES + 3):
        index.add("alice", chunks(f"doc_{n}", f"energy-{n}.pdf", ENERGY, JAN))
    index.add("alice", chunks("doc_chips", "chips.pdf", CHIPS, MAR))
    index.delete_document("alice", "doc_1")
    index.rebuild_text_index("alice")
    index.optimize("alice")
    index.add("bob", chunks("doc_bob", "bob.pdf", ["Energy stocks are bob's secret."], JAN))


def answers(index: ResearchIndex) -> list[list[tuple[str, int, float]]]:
    return [
        [(h.document_id, h.ordinal, round(h.score, 9)) for h in index.search(owner, q, k=10)]
        for owner in ("alice", "bob")
        for q in QUERIES
    ]


@pytest.fixture
def s3_index(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, dict[str, str], Requests, Any]]:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    requests: Requests = []
    with moto_server(requests) as endpoint:
        bucket = f"test-{uuid.uuid4().hex[:10]}-index"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        options = {"region": "us-east-1", "endpoint": endpoint, "allow_http": "true"}
        yield (
            f"s3://{bucket}/index",
            options,
            requests,
            lambda: s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0),
        )


def test_on_s3_the_api_deletes_nothing_and_the_cleanup_removes_old_versions(
    s3_index: tuple[str, dict[str, str], Requests, Any], windows: list[timedelta | None]
) -> None:
    uri, options, requests, objects = s3_index
    index = ResearchIndex(uri, HashingEmbedder(), options)
    upkeep(index)
    assert len(windows) >= 3  # the adds past the threshold, the reindex, the optimize compact
    assert all(w is not None and w >= WRITERS_KEEP >= timedelta(days=36_500) for w in windows)
    assert deleting(requests) == []
    before, kept = answers(index), objects()
    assert before[0] and before[4]  # both owners find their passages

    requests.clear()
    reader = ResearchIndex(uri, HashingEmbedder(), options)  # another function's, opened before
    assert answers(reader) == before
    assert remove_old_versions(uri, options, older_than=timedelta(milliseconds=1)) == 2
    assert deleting(requests)  # the cleanup deletes (the cleanup role holds the grant)
    assert objects() < kept / 2
    assert answers(index) == before and answers(reader) == before
    assert ResearchIndex(uri, HashingEmbedder(), options).document_ids("alice") == {
        f"doc_{n}" for n in range(COMPACT_AFTER_FILES + 3) if n != 1
    } | {"doc_chips"}


def test_the_cleanup_keeps_versions_younger_than_its_window(
    s3_index: tuple[str, dict[str, str], Requests, Any],
) -> None:
    uri, options, requests, objects = s3_index
    index = ResearchIndex(uri, HashingEmbedder(), options)
    upkeep(index)
    kept, before = objects(), answers(index)
    requests.clear()
    assert remove_old_versions(uri, options) == 2  # the default: a week
    assert deleting(requests) == []
    assert objects() >= kept and answers(index) == before


def test_in_a_directory_the_writers_clean_up_as_lancedb_does(
    tmp_path: Path, windows: list[timedelta | None]
) -> None:
    index = ResearchIndex(str(tmp_path / "index"), HashingEmbedder())
    upkeep(index)
    assert windows and set(windows) == {None}  # LanceDB's default cleanup
    assert answers(index)[0]
