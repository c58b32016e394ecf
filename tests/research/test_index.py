"""The research index on local disk and on S3 (moto): modes, owners, filters, deletion, snippets,
and the fusions against plain reference implementations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from research.citations import cite, locator
from research.embeddings import HashingEmbedder
from research.index import (
    COMPACT_AFTER_FILES,
    IndexedChunk,
    ResearchIndex,
    SearchFilters,
    fuse_ranks,
    fuse_scores,
    snippet_of,
)
from tests.support.aws import FAKE_AWS_ENV, moto_server

JAN = datetime(2026, 1, 5, tzinfo=UTC)
MAR = datetime(2026, 3, 2, tzinfo=UTC)

ENERGY = [
    "Energy stocks fell 12% in March as crude oil prices collapsed after the OPEC meeting.",
    "Refiners held up better: margins widened to 28 dollars per barrel.",
    "Utilities are defensive; we prefer regulated utilities with low leverage.",
]
CHIPS = [
    "Semiconductor demand for AI accelerators doubled; foundry capacity is sold out to 2027.",
    "Memory prices recovered in the second half.",
]


def chunks(document_id: str, name: str, texts: list[str], at: datetime) -> list[IndexedChunk]:
    return [
        IndexedChunk(document_id, name, i, {"page": i + 1}, text, at)
        for i, text in enumerate(texts)
    ]


def build(index: ResearchIndex) -> ResearchIndex:
    index.add("alice", chunks("doc_energy", "energy.pdf", ENERGY, JAN))
    index.add("alice", chunks("doc_chips", "chips.pdf", CHIPS, MAR))
    index.add("bob", chunks("doc_bob", "bob.pdf", ["Energy stocks are bob's secret."], JAN))
    return index


@pytest.fixture
def index(tmp_path: Path) -> ResearchIndex:
    return build(ResearchIndex(str(tmp_path / "index"), HashingEmbedder()))


def keys(hits: list[Any]) -> list[tuple[str, int]]:
    return [(hit.document_id, hit.ordinal) for hit in hits]


def test_each_mode_finds_the_passage_and_reports_its_ranks(index: ResearchIndex) -> None:
    for mode in ("bm25", "vector", "hybrid"):
        hits = index.search("alice", "energy stocks in March", mode=mode)  # type: ignore[arg-type]
        assert keys(hits)[0] == ("doc_energy", 0), mode
    hybrid = index.search("alice", "energy stocks in March")[0]
    assert hybrid.bm25_rank == 1 and hybrid.vector_rank == 1
    assert hybrid.reference == {"page": 1} and hybrid.document_name == "energy.pdf"
    assert hybrid.uploaded_at == JAN and hybrid.text == ENERGY[0]
    assert set(hybrid.matched_terms) == {"energy", "stock", "march"}
    only_text = index.search("alice", "energy stocks in March", mode="bm25")[0]
    assert only_text.vector_rank is None and only_text.score > 0


def test_an_owner_never_sees_another_owner_s_passages(index: ResearchIndex) -> None:
    assert {hit.document_id for hit in index.search("bob", "energy stocks", k=10)} == {"doc_bob"}
    assert "doc_bob" not in {hit.document_id for hit in index.search("alice", "bob secret")}
    assert index.search("carol", "energy") == []
    assert index.table_name("alice") != index.table_name("bob")


def test_filters_apply_before_ranking(index: ResearchIndex) -> None:
    chips_only = SearchFilters(document_ids=frozenset({"doc_chips"}))
    assert {h.document_id for h in index.search("alice", "prices", k=10, filters=chips_only)} == {
        "doc_chips"
    }
    since_feb = SearchFilters(uploaded_from=datetime(2026, 2, 1, tzinfo=UTC))
    assert {h.document_id for h in index.search("alice", "prices", k=10, filters=since_feb)} == {
        "doc_chips"
    }
    before_feb = SearchFilters(uploaded_to=datetime(2026, 2, 1, tzinfo=UTC))
    hits = index.search("alice", "prices", k=10, filters=before_feb)
    assert hits and {h.document_id for h in hits} == {"doc_energy"}
    assert index.search("alice", "prices", filters=SearchFilters(document_ids=frozenset())) == []
    with pytest.raises(ValueError, match="document id"):
        index.search("alice", "x", filters=SearchFilters(document_ids=frozenset({"a' OR '1"})))
    with pytest.raises(ValueError, match="timezone"):
        index.search("alice", "x", filters=SearchFilters(uploaded_from=datetime(2026, 1, 1)))


def test_bad_searches_are_refused(index: ResearchIndex) -> None:
    with pytest.raises(ValueError, match="empty"):
        index.search("alice", "  ")
    with pytest.raises(ValueError, match="k must be"):
        index.search("alice", "energy", k=0)
    with pytest.raises(ValueError, match="unknown mode"):
        index.search("alice", "energy", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown fusion"):
        index.search("alice", "energy", fusion="max")  # type: ignore[arg-type]
    assert index.search("alice", "the of and") == []  # nothing but common words


def test_rows_added_later_are_found_and_deleted_documents_are_gone(index: ResearchIndex) -> None:
    index.add("alice", chunks("doc_tobacco", "tobacco.md", ["Tobacco volumes declined 4%."], MAR))
    assert keys(index.search("alice", "tobacco volumes", mode="bm25")) == [("doc_tobacco", 0)]
    index.optimize("alice")
    assert keys(index.search("alice", "tobacco volumes", mode="bm25")) == [("doc_tobacco", 0)]
    assert index.document_ids("alice") == {"doc_energy", "doc_chips", "doc_tobacco"}
    index.delete_document("alice", "doc_energy")
    assert "doc_energy" not in {h.document_id for h in index.search("alice", "energy", k=10)}
    assert index.document_ids("alice") == {"doc_chips", "doc_tobacco"}
    index.delete_document("alice", "doc_missing")  # nothing to delete is not an error
    other = ResearchIndex(index.uri, HashingEmbedder())  # another process sees the same rows
    assert other.document_ids("alice") == {"doc_chips", "doc_tobacco"}


def test_every_add_leaves_the_text_index_covering_every_row(tmp_path: Path) -> None:
    import lancedb

    index = ResearchIndex(str(tmp_path / "index"), HashingEmbedder())
    uploads = COMPACT_AFTER_FILES + 3  # past a compaction
    for number in range(uploads):
        text = f"Quarterly note {number}: tobacco{number} volumes declined."
        index.add("alice", chunks(f"doc_{number}", f"note{number}.md", [text], JAN))
        table = lancedb.connect(index.uri).open_table(index.table_name("alice"))
        (text_index,) = [i for i in table.list_indices() if i.index_type == "FTS"]
        text_stats = table.index_stats(text_index.name)
        assert text_stats is not None and text_stats.num_unindexed_rows == 0
        files: Any = table.stats()["fragment_stats"]  # type: ignore[index]  # a dict at run time
        assert files["num_fragments"] <= COMPACT_AFTER_FILES + 1
        hits = index.search("alice", f"tobacco{number}", mode="bm25")
        assert keys(hits) == [(f"doc_{number}", 0)]


def test_bulk_adds_are_found_and_indexed_once_the_text_index_is_rebuilt(tmp_path: Path) -> None:
    import lancedb

    index = ResearchIndex(str(tmp_path / "index"), HashingEmbedder())
    index.rebuild_text_index("alice")  # no table yet: nothing to do
    for number in range(COMPACT_AFTER_FILES + 3):
        text = f"Quarterly note {number}: tobacco{number} volumes declined."
        index.add(
            "alice",
            chunks(f"doc_{number}", f"note{number}.md", [text], JAN),
            update_text_index=False,
        )
    table = lancedb.connect(index.uri).open_table(index.table_name("alice"))
    assert not [i for i in table.list_indices() if i.index_type == "FTS"]  # left for the rebuild
    index.rebuild_text_index("alice")
    table = lancedb.connect(index.uri).open_table(index.table_name("alice"))
    (text_index,) = [i for i in table.list_indices() if i.index_type == "FTS"]
    text_stats = table.index_stats(text_index.name)
    assert text_stats is not None and text_stats.num_unindexed_rows == 0
    files: Any = table.stats()["fragment_stats"]  # type: ignore[index]  # a dict at run time
    assert files["num_fragments"] == 1
    for number in range(COMPACT_AFTER_FILES + 3):
        hits = index.search("alice", f"tobacco{number}", mode="bm25")
        assert keys(hits) == [(f"doc_{number}", 0)]


def test_vectors_of_another_model_are_kept_apart(tmp_path: Path) -> None:
    uri = str(tmp_path / "index")
    build(ResearchIndex(uri, HashingEmbedder()))
    smaller = ResearchIndex(uri, HashingEmbedder(dimensions=256))
    assert smaller.search("alice", "energy") == []  # nothing indexed for this model yet
    assert smaller.table_name("alice") != ResearchIndex(uri, HashingEmbedder()).table_name("alice")


def test_adding_checks_the_vectors(index: ResearchIndex) -> None:
    batch = chunks("doc_x", "x.md", ["one", "two"], JAN)
    with pytest.raises(ValueError, match="vectors"):
        index.add("alice", batch, index.embed(batch[:1]))


def test_snippets_hold_the_query_words_within_the_limit() -> None:
    text = " ".join(["filler"] * 80) + " crude oil collapsed " + " ".join(["padding"] * 80)
    snippet, terms = snippet_of(text, "why did crude oil collapse?", limit=60)
    assert "crude oil collapsed" in snippet and terms == ("collaps", "crud", "oil")
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 62
    short, _ = snippet_of("Energy\n\nstocks   fell.", "energy")
    assert short == "Energy stocks fell."
    assert snippet_of("", "energy") == ("", ())


def test_citations_name_the_document_and_the_place() -> None:
    assert cite("energy.pdf", {"page": 3}) == "(energy.pdf, p. 3)"
    assert locator({"sheet": "Q1", "rows": "2-14"}) == "sheet Q1, rows 2-14"
    assert locator({"section": "Risks"}) == 'section "Risks"'
    assert locator({"key": "limits"}) == "key limits"
    assert locator({"lines": "1-9"}) == "lines 1-9"
    assert locator({"sheet": "Q1", "rows": "4-4"}) == "sheet Q1, row 4"
    assert cite("notes.txt", {}) == "(notes.txt)"


def row(document: str, ordinal: int, **scores: float) -> dict[str, Any]:
    return {"document_id": document, "ordinal": ordinal, **scores}


def test_fusions_match_plain_reference_formulas() -> None:
    bm25 = [row("a", 0, _score=9.0), row("b", 0, _score=3.0), row("c", 0, _score=1.0)]
    vector = [row("c", 0, _distance=0.2), row("a", 0, _distance=0.5), row("d", 0, _distance=0.6)]
    by_rank = dict.fromkeys("abcd", 0.0)
    for ranked in (bm25, vector):
        for rank, item in enumerate(ranked, start=1):
            by_rank[item["document_id"]] += 1 / (60 + rank)
    fused = fuse_ranks(bm25, vector)
    assert [r["document_id"] for r, _ in fused] == sorted(by_rank, key=lambda k: -by_rank[k])
    assert all(abs(score - by_rank[r["document_id"]]) < 1e-15 for r, score in fused)

    expected = {
        "a": 0.5 * 9 / 9 + 0.5 * 0.5,
        "b": 0.5 * 3 / 9,
        "c": 0.5 * 1 / 9 + 0.5 * 0.8,
        "d": 0.5 * 0.4,
    }
    fused = fuse_scores(bm25, vector)
    assert [r["document_id"] for r, _ in fused] == sorted(expected, key=lambda k: -expected[k])
    assert all(abs(score - expected[r["document_id"]]) < 1e-12 for r, score in fused)
    tie = fuse_scores([row("y", 0, _score=2.0)], [row("x", 0, _distance=0.0)])
    assert [score for _, score in tie] == [0.5, 0.5]
    assert [r["document_id"] for r, _ in tie] == ["y", "x"]  # a tie goes to the BM25 list


@pytest.fixture
def s3_uri(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with moto_server() as endpoint:
        bucket = f"test-{uuid.uuid4().hex[:10]}-index"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
        yield (
            f"s3://{bucket}/research-index",
            {
                "region": "us-east-1",
                "endpoint": endpoint,
                "allow_http": "true",
            },
        )


def test_the_index_on_s3_searches_filters_and_deletes(
    s3_uri: tuple[str, dict[str, str]],
) -> None:
    uri, options = s3_uri
    index = build(ResearchIndex(uri, HashingEmbedder(), options))
    assert keys(index.search("alice", "energy stocks in March"))[0] == ("doc_energy", 0)
    reader = ResearchIndex(uri, HashingEmbedder(), options)  # another function, same bucket
    assert {h.document_id for h in reader.search("bob", "energy", k=10)} == {"doc_bob"}
    since = SearchFilters(uploaded_from=MAR - timedelta(days=1))
    assert {h.document_id for h in reader.search("alice", "prices", filters=since)} == {"doc_chips"}
    index.delete_document("alice", "doc_chips")
    assert reader.document_ids("alice") == {"doc_energy"}
