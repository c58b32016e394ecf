"""The research index: hybrid (full-text BM25 + vector) search over document chunks, with LanceDB
on local disk or on S3.

Each owner has a table of their own (named by a hash of the owner and the embedding model), so
one owner's search never reads another's rows and vectors of different models are never
compared. A row is one chunk: `document_id`, `document_name`, `ordinal`, `reference` (JSON),
`text`, `search_text` (what is searched and embedded: the document's name and the chunk's place
before its text, so "forecasts.xlsx, sheet Energy" is found by "energy"), `uploaded_us` (the
document's upload time, microseconds since the epoch, UTC) and `vector` (the embedder's
unit-length float32 vector of `search_text`).

Search modes:
- ``bm25``: LanceDB's full-text index (BM25; English stemming, stop words left out, case and
  accents folded);
- ``vector``: exact nearest neighbours by cosine similarity (a flat scan, exact at any size);
  chunks of similarity <= 0 (nothing in common with the query) are not results;
- ``hybrid``: both lists, `CANDIDATES` deep each, fused. The default fusion (``scores``) is a
  convex combination of the two scores, each on [0, 1]: ``0.5 * bm25 / best_bm25 + 0.5 *
  cosine`` (a chunk missing from a list scores 0 there; `best_bm25` is the query's best BM25
  score). ``rrf`` is reciprocal rank fusion, ``sum(1 / (RRF_K + rank))`` over the lists (rank
  from 1). Score fusion keeps how far ahead a list's best match is, which rank fusion throws
  away: on the labelled set of the tests it beats both lists (on MRR by a hair), while rank fusion falls below
  BM25 (docs/documents.md has the numbers). Ties go to the better BM25 rank, then vector rank,
  then document and ordinal.
Filters (document ids, upload time range) are applied before ranking (pre-filtering), so a
filtered search returns the best `k` of the chunks that pass.
Writes to a local index (creating an owner's table, adding, deleting, rebuilding or compacting)
take the table's lock file first, so any number of threads and processes may write at once.
Writers delete no file in an object store (`writers_cleanup_window`, `store.lance_versions`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from research.citations import cite
from research.embeddings import Embedder, words_of
from research.index_terms import (
    FUSIONS,
    MAX_K,
    SEARCH_MODES,
    Fusion,
    ResearchIndexError,
    SearchMode,
    is_remote,
    open_local_directory,
    writers_cleanup_window,
)
from settings.file_locks import exclusive, lock_path

TEXT_WEIGHT = 0.5
"""Weight of the (relative) BM25 score in score fusion; the cosine gets the rest."""

RRF_K = 60
"""The constant of reciprocal rank fusion (the usual 60)."""

CANDIDATES = 50
"""How deep each list of a hybrid search goes (at least `k`)."""

SNIPPET_CHARS = 240
"""Longest snippet of a result."""

INDEX_FORMAT = 1
"""The tables' layout; a new layout gets new tables (rebuilt by reindexing)."""

COMPACT_AFTER_FILES = 8
"""How many data files (one per `add`) a table may hold before `add` compacts them into one (each
search reads every file, so many small ones slow both lists)."""

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COLUMNS = ["document_id", "document_name", "ordinal", "reference", "text", "uploaded_us"]
"""Columns a search reads back (not the vectors)."""


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk to index: its document, position, reference and text."""

    document_id: str
    document_name: str
    ordinal: int
    reference: Mapping[str, str | int]
    text: str
    uploaded_at: datetime

    @property
    def search_text(self) -> str:
        """What search reads of the chunk: its document's name and place, then its text."""
        return f"{cite(self.document_name, self.reference)}\n{self.text}"


@dataclass(frozen=True)
class SearchFilters:
    """Which chunks a search may return: of these documents (all when None), uploaded at or
    after `uploaded_from` and before `uploaded_to` (UTC; either may be None)."""

    document_ids: frozenset[str] | None = None
    uploaded_from: datetime | None = None
    uploaded_to: datetime | None = None


@dataclass(frozen=True)
class SearchHit:
    """One result: the chunk, where it is, a snippet around the query's words and its ranks.

    `score` is the mode's score (BM25 for ``bm25``, cosine similarity for ``vector``, the fused
    score for ``hybrid``); `bm25_rank` / `vector_rank` are its rank (from 1) in each list it was
    found in (None otherwise).
    """

    document_id: str
    document_name: str
    ordinal: int
    reference: dict[str, str | int]
    text: str
    snippet: str
    uploaded_at: datetime
    score: float
    bm25_rank: int | None = None
    vector_rank: int | None = None
    matched_terms: tuple[str, ...] = field(default_factory=tuple)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC)")
    return int(moment.timestamp() * 1_000_000)


def _schema(dimensions: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("document_id", pa.string(), nullable=False),
            pa.field("document_name", pa.string(), nullable=False),
            pa.field("ordinal", pa.int32(), nullable=False),
            pa.field("reference", pa.string(), nullable=False),
            pa.field("text", pa.string(), nullable=False),
            pa.field("search_text", pa.string(), nullable=False),
            pa.field("uploaded_us", pa.int64(), nullable=False),
            pa.field("vector", pa.list_(pa.float32(), dimensions), nullable=False),
        ]
    )


def _where(filters: SearchFilters) -> str | None:
    """The SQL filter of `filters` (ids are checked, so nothing is interpolated unchecked)."""
    clauses: list[str] = []
    if filters.document_ids is not None:
        ids = sorted(filters.document_ids)
        for document_id in ids:
            if not _ID.match(document_id):
                raise ValueError(f"not a document id: {document_id!r}")
        clauses.append(
            "document_id IN (" + ", ".join(f"'{i}'" for i in ids) + ")" if ids else "false"
        )
    if filters.uploaded_from is not None:
        clauses.append(f"uploaded_us >= {_micros(filters.uploaded_from)}")
    if filters.uploaded_to is not None:
        clauses.append(f"uploaded_us < {_micros(filters.uploaded_to)}")
    return " AND ".join(clauses) or None


@lru_cache(maxsize=65_536)
def _stems_of(token: str) -> frozenset[str]:
    """The query words (stems) one whitespace-free token holds (cached: texts share tokens)."""
    return frozenset(words_of(token))


def snippet_of(text: str, query: str, limit: int = SNIPPET_CHARS) -> tuple[str, tuple[str, ...]]:
    """The window of `text` (at most `limit` characters, cut at word boundaries, with ``…``
    where cut, whitespace runs as one space) holding the most of the query's words, and the
    query words (stems) it holds."""
    terms = set(words_of(query))
    tokens = [
        (m.start(), m.end(), not terms.isdisjoint(_stems_of(m.group())))
        for m in re.finditer(r"\S+", text)
    ]
    if not tokens:
        return "", ()
    best: tuple[int, int, int] = (-1, 0, 0)  # (query words held, start, stop) of the window
    held, last = 0, 0  # the window starting at token `first` holds tokens first .. last - 1
    for first in range(len(tokens)):
        if last < first:  # the previous window held no whole word
            held, last = 0, first
        stop = tokens[first][0] + limit
        while last < len(tokens) and tokens[last][1] <= stop:
            held += tokens[last][2]
            last += 1
        end = tokens[last - 1][1] if last > first else stop  # a word longer than the limit
        if held > best[0]:
            best = (held, tokens[first][0], min(end, stop))
        if last > first:
            held -= tokens[first][2]
    _, start, end = best
    window = " ".join(text[start:end].split())
    found = tuple(sorted(terms & set(words_of(window))))
    return ("…" if start > 0 else "") + window + ("…" if end < len(text) else ""), found


class ResearchIndex:
    """The hybrid index at `uri` (a directory, or ``s3://bucket/prefix``) for vectors of
    `embedder`. `storage_options` are LanceDB's object-store options (e.g. an S3 endpoint).
    `ResearchIndexError` when the location cannot be opened.

    Thread-safe; a table is opened once per instance and re-read on every search (LanceDB
    checks for a newer version), so writes of other processes are seen.
    """

    def __init__(
        self, uri: str, embedder: Embedder, storage_options: Mapping[str, str] | None = None
    ) -> None:
        import lancedb  # imported lazily: a second of Arrow and Lance setup

        self.uri = uri
        self.embedder = embedder
        self.storage_options = dict(storage_options or {})
        if not is_remote(uri):
            open_local_directory(uri)
        try:
            self._db = lancedb.connect(uri, storage_options=dict(storage_options or {}))
        except (OSError, RuntimeError, ValueError) as exc:
            raise ResearchIndexError(f"research index at {uri}: {exc}") from exc
        self._lock = threading.Lock()
        self._tables: dict[str, Any] = {}
        self._document_ids: dict[str, tuple[int, frozenset[str]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="research-index")

    def table_name(self, owner: str) -> str:
        """The owner's table for this index's embedding model."""
        identity = f"{owner}\0{self.embedder.model_id}\0{INDEX_FORMAT}"
        digest = hashlib.sha256(identity.encode()).hexdigest()
        return f"chunks_{digest[:32]}"

    def _table(self, owner: str, create: bool) -> Any | None:
        name = self.table_name(owner)
        with self._lock:
            table = self._tables.get(name)
            if table is not None:
                return table
            try:
                table = self._open(name, create)
            except (OSError, RuntimeError, ValueError) as exc:
                raise ResearchIndexError(f"research index at {self.uri}: {exc}") from exc
            if table is None:
                return None
            self._tables[name] = table
            return table

    def _open(self, name: str, create: bool) -> Any | None:
        try:
            return self._db.open_table(name)
        except ValueError as exc:
            if "not found" not in str(exc):
                raise
        if not create:
            return None
        with self._writing(name):
            schema = _schema(self.embedder.dimensions)
            return self._db.create_table(name, schema=schema, exist_ok=True)

    @contextmanager
    def _writing(self, name: str) -> Iterator[None]:
        """One writer at a time on the table `name` of a local index, in any thread or process
        (`settings.file_locks`, a lock file beside the table): LanceDB refuses the second of two
        concurrent commits that rewrite the same files (two full-text index builds, two
        compactions) as a conflict. An index in an object store relies on LanceDB's commits."""
        if is_remote(self.uri):
            yield
            return
        with exclusive(lock_path(os.path.join(self.uri, name))):
            yield

    @contextmanager
    def _written(self, owner: str) -> Iterator[Any]:
        """The owner's table at its newest version (None when it has none) for a write, under
        `_writing`; LanceDB's errors as `ResearchIndexError`."""
        table = self._table(owner, create=False)
        if table is None:
            yield None
            return
        with self._writing(self.table_name(owner)):
            try:
                table.checkout_latest()  # another process may have written meanwhile
                yield table
            except (OSError, RuntimeError, ValueError) as exc:
                raise ResearchIndexError(f"research index at {self.uri}: {exc}") from exc

    def _latest(self, owner: str) -> Any | None:
        """The owner's table at its newest version (another process may have written it)."""
        table = self._table(owner, create=False)
        if table is not None:
            try:
                table.checkout_latest()
            except (OSError, RuntimeError, ValueError) as exc:
                raise ResearchIndexError(f"research index at {self.uri}: {exc}") from exc
        return table

    def embed(self, chunks: Sequence[IndexedChunk]) -> np.ndarray:
        """The vectors of `chunks`' texts (the slow part of `add`, so callers may do it before
        they store anything)."""
        return self.embedder.embed_documents([chunk.search_text for chunk in chunks])

    def add(
        self,
        owner: str,
        chunks: Sequence[IndexedChunk],
        vectors: np.ndarray | None = None,
        *,
        update_text_index: bool = True,
    ) -> None:
        """Index `chunks` of `owner` (with their `vectors` from `embed`, else embedded here).

        The rows of one call land in one commit: all or none are searchable. With
        `update_text_index=False` the full-text index is left as it was (searches scan the new
        rows) until `rebuild_text_index`: for bulk loads, whose cost would otherwise grow with
        the square of the owner's text."""
        if not chunks:
            return
        if vectors is None:
            vectors = self.embed(chunks)
        if vectors.shape != (len(chunks), self.embedder.dimensions):
            raise ValueError(
                f"{len(chunks)} chunks need {len(chunks)} vectors of "
                f"{self.embedder.dimensions} values, got shape {vectors.shape}"
            )
        data = pa.table(
            {
                "document_id": [c.document_id for c in chunks],
                "document_name": [c.document_name for c in chunks],
                "ordinal": pa.array([c.ordinal for c in chunks], pa.int32()),
                "reference": [json.dumps(dict(c.reference), sort_keys=True) for c in chunks],
                "text": [c.text for c in chunks],
                "search_text": [c.search_text for c in chunks],
                "uploaded_us": pa.array([_micros(c.uploaded_at) for c in chunks], pa.int64()),
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel()),
                    self.embedder.dimensions,
                ),
            },
            schema=_schema(self.embedder.dimensions),
        )
        self._table(owner, create=True)
        with self._written(owner) as table:
            table.add(data)
            if update_text_index:
                self._maintain_text_index(table)

    def _maintain_text_index(self, table: Any) -> None:
        """Bring the full-text index up to date with the rows just added, so every search runs on
        the index (LanceDB would otherwise scan the rows it does not cover, slower and with
        other BM25 statistics). Once the table holds more than `COMPACT_AFTER_FILES` files,
        `optimize` compacts them and merges the new rows into the index; otherwise the index is
        rebuilt (its cost grows with the owner's text: about 25 ms at 200 passages, 0.2 s at
        4,000, less than compacting on every add)."""
        from lancedb.index import FTS

        if table.stats()["fragment_stats"]["num_fragments"] > COMPACT_AFTER_FILES and any(
            i.index_type == "FTS" for i in table.list_indices()
        ):
            table.optimize(cleanup_older_than=writers_cleanup_window(self.uri))
        else:
            table.create_index("search_text", config=FTS(), replace=True)

    def optimize(self, owner: str) -> None:
        """Compact the owner's files and merge recent rows into the indexes (old versions' files
        are deleted locally, by the cleanup in an object store: `store.lance_versions`)."""
        with self._written(owner) as table:
            if table is not None:
                table.optimize(cleanup_older_than=writers_cleanup_window(self.uri))

    def rebuild_text_index(self, owner: str) -> None:
        """Compact the owner's files and build the full-text index over every row (after adds
        made with `update_text_index=False`)."""
        from lancedb.index import FTS

        with self._written(owner) as table:
            if table is not None:
                table.optimize(cleanup_older_than=writers_cleanup_window(self.uri))
                table.create_index("search_text", config=FTS(), replace=True)

    def delete_document(self, owner: str, document_id: str) -> None:
        """Remove every chunk of `owner`'s document `document_id` (none is not an error)."""
        where = _where(SearchFilters(document_ids=frozenset({document_id})))
        with self._written(owner) as table:
            if table is not None:
                table.delete(where)

    def document_ids(self, owner: str) -> set[str]:
        """The ids of `owner`'s documents that have chunks in the index."""
        table = self._latest(owner)
        if table is None:
            return set()
        version = table.version
        cached = self._document_ids.get(owner)
        if cached is None or cached[0] != version:
            rows = table.search().select(["document_id"]).limit(table.count_rows() + 1).to_arrow()
            cached = (version, frozenset(rows.column("document_id").to_pylist()))
            self._document_ids[owner] = cached
        return set(cached[1])

    def search(
        self,
        owner: str,
        query: str,
        *,
        k: int = 5,
        mode: SearchMode = "hybrid",
        filters: SearchFilters | None = None,
        fusion: Fusion = "scores",
    ) -> list[SearchHit]:
        """The best `k` chunks of `owner` for `query` in `mode`, hybrid ones fused by `fusion`
        (see the module docstring).

        ValueError for an empty query, `k` outside 1..`MAX_K`, an unknown mode or fusion or a
        malformed filter; `ResearchIndexError` when the index cannot be read. An owner with nothing
        indexed gets no results."""
        if not query.strip():
            raise ValueError("the query is empty")
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(SEARCH_MODES)}")
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; fusions: {', '.join(FUSIONS)}")
        where = _where(filters or SearchFilters())
        table = self._latest(owner)
        if table is None:
            return []
        depth = k if mode != "hybrid" else max(CANDIDATES, k)
        try:
            text_list = (
                self._pool.submit(self._bm25, table, query, depth, where)
                if mode != "vector"
                else None
            )
            vector = self._nearest(table, query, depth, where) if mode != "bm25" else []
            bm25 = text_list.result() if text_list is not None else []
        except (OSError, RuntimeError) as exc:
            raise ResearchIndexError(f"research index at {self.uri}: {exc}") from exc
        ranked: list[tuple[Mapping[str, Any], float]]
        if mode == "bm25":
            ranked = [(row, row["_score"]) for row in bm25]
        elif mode == "vector":
            ranked = [(row, _similarity(row)) for row in vector]
        elif fusion == "rrf":
            ranked = fuse_ranks(bm25, vector)
        else:
            ranked = fuse_scores(bm25, vector)
        return [self._hit(row, score, query, bm25, vector) for row, score in ranked[:k]]

    def _bm25(self, table: Any, query: str, depth: int, where: str | None) -> list[dict[str, Any]]:
        if not words_of(query):
            return []  # only common words: the text index has nothing to match
        search = table.search(query, query_type="fts", fts_columns="search_text").select(
            [*_COLUMNS, "_score"]
        )
        if where:
            search = search.where(where, prefilter=True)
        rows: list[dict[str, Any]] = search.limit(depth).to_list()
        return rows

    def _nearest(
        self, table: Any, query: str, depth: int, where: str | None
    ) -> list[dict[str, Any]]:
        vector = self.embedder.embed_query(query)
        if not np.any(vector):
            return []
        search = (
            table.search(vector, vector_column_name="vector")
            .distance_type("cosine")
            .select([*_COLUMNS, "_distance"])
        )
        if where:
            search = search.where(where, prefilter=True)
        rows: list[dict[str, Any]] = search.limit(depth).to_list()
        return [row for row in rows if _similarity(row) > 0]  # shares no feature: not a match

    @staticmethod
    def _hit(
        row: Mapping[str, Any],
        score: float,
        query: str,
        bm25: Sequence[Mapping[str, Any]],
        vector: Sequence[Mapping[str, Any]],
    ) -> SearchHit:
        key = (row["document_id"], row["ordinal"])
        snippet, terms = snippet_of(row["text"], query)
        return SearchHit(
            document_id=row["document_id"],
            document_name=row["document_name"],
            ordinal=int(row["ordinal"]),
            reference=json.loads(row["reference"]),
            text=row["text"],
            snippet=snippet,
            uploaded_at=datetime.fromtimestamp(row["uploaded_us"] / 1_000_000, tz=UTC),
            score=float(score),
            bm25_rank=_rank_of(key, bm25),
            vector_rank=_rank_of(key, vector),
            matched_terms=terms,
        )


def _similarity(row: Mapping[str, Any]) -> float:
    """Cosine similarity of a vector hit (LanceDB reports the cosine distance)."""
    return 1.0 - float(row["_distance"])


def _key(row: Mapping[str, Any]) -> tuple[str, int]:
    return (row["document_id"], int(row["ordinal"]))


def _rank_of(key: tuple[str, int], rows: Sequence[Mapping[str, Any]]) -> int | None:
    for rank, row in enumerate(rows, start=1):
        if _key(row) == key:
            return rank
    return None


Ranked = list[tuple[Mapping[str, Any], float]]
"""Rows with their fused score, best first."""


def _ordered(
    scores: dict[tuple[str, int], float], lists: Sequence[Sequence[Mapping[str, Any]]]
) -> Ranked:
    """Rows of `lists` by `scores`, best first; ties by rank in the first list, then the next
    (absent last), then document and ordinal."""
    rows: dict[tuple[str, int], Mapping[str, Any]] = {}
    ranks: dict[tuple[str, int], list[int]] = {}
    for position, ranked in enumerate(lists):
        for rank, row in enumerate(ranked, start=1):
            key = _key(row)
            rows.setdefault(key, row)
            ranks.setdefault(key, [len(ranked) + 1] * len(lists))[position] = rank
    order = sorted(scores, key=lambda key: (-scores[key], *ranks[key], key))
    return [(rows[key], scores[key]) for key in order]


def fuse_ranks(*lists: Sequence[Mapping[str, Any]], k: int = RRF_K) -> Ranked:
    """Reciprocal rank fusion of ranked lists of rows (keyed by document and ordinal): each
    row's score is the sum of ``1 / (k + rank)`` over the lists holding it."""
    scores: dict[tuple[str, int], float] = {}
    for ranked in lists:
        for rank, row in enumerate(ranked, start=1):
            scores[_key(row)] = scores.get(_key(row), 0.0) + 1.0 / (k + rank)
    return _ordered(scores, lists)


def fuse_scores(
    bm25: Sequence[Mapping[str, Any]],
    vector: Sequence[Mapping[str, Any]],
    text_weight: float = TEXT_WEIGHT,
) -> Ranked:
    """Score fusion: ``text_weight * bm25 / best_bm25 + (1 - text_weight) * cosine`` of each
    row of either list (0 for a list that does not hold it)."""
    best = max((float(row["_score"]) for row in bm25), default=0.0)
    scores: dict[tuple[str, int], float] = {}
    for row in bm25:
        relative = float(row["_score"]) / best if best > 0 else 0.0
        scores[_key(row)] = text_weight * relative
    for row in vector:
        key = _key(row)
        scores[key] = scores.get(key, 0.0) + (1.0 - text_weight) * _similarity(row)
    return _ordered(scores, [bm25, vector])


def chunks_of(
    document_id: str,
    document_name: str,
    uploaded_at: datetime,
    chunks: Iterable[Any],
) -> list[IndexedChunk]:
    """`IndexedChunk`s of a document's chunks (anything with ordinal, text and reference)."""
    return [
        IndexedChunk(document_id, document_name, c.ordinal, dict(c.reference), c.text, uploaded_at)
        for c in chunks
    ]
