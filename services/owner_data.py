"""An owner's data, whole: exported as one archive, imported into an empty owner, erased.

**The archive** is a zip file (`export_owner` writes it to a file object, one entry at a time):

- `records/<nnnn>-<collection>.jsonl`: the store's records of the owner, one JSON document a
  line, in the order the store restores them (`store.owner_data`: SQLite rows, or DynamoDB
  items on AWS);
- `objects/<kind>/<name>`: the owner's files (documents' originals, datasets, ledger exports,
  reports, strategy models, large results), byte for byte;
- `memories.jsonl`: the long-term memories (`key`, `value`);
- `conversations/<thread id>.jsonl`: each chat thread's conversation, the LangGraph
  checkpoints oldest first (serialised by the saver's own serializer);
- `manifest.json`, last: `format` (`stratigos-owner-data`), `format_version`, the `owner`, the
  store `backend`, `exported_at`, every other entry with its `size`, `sha256` and (records)
  `count`, the `counts` per collection, and what is `left_out` and why (API keys: credentials;
  the results cache: rebuilt on demand).

**An import** (`import_owner`) restores an archive into an owner who has nothing: refused at
once, before the archive is read, for an owner with data or one being erased; then the whole
archive is checked before anything is written (`ArchiveError`, naming `archive` or the manifest
field): a zip file no larger than `ArchiveLimits.max_archive_bytes`, at most `max_entries`
entries, names that stay inside the archive (no absolute path, `..`, backslash or drive), no
name twice, no directory, link or encrypted entry, exactly the entries the manifest lists, each
of the size and SHA-256 it states (read at most that size: a zip bomb stops there), sizes
summing to at most `max_unpacked_bytes`, a known format version, this store's backend, and
records that parse. Then the store restores the records and objects all or nothing
(`Store.restore_owner`, re-owning them), the memories and conversations follow, and the
documents are indexed for research again; a failure after the store's restore erases what was
imported, so a failed import leaves nothing. Generated ids (`job_…`, `pf_…`) are kept: an
archive imports into another store, or into its own once the owner it came from is erased.

**An erasure** (`erase_owner_data`) hides everything of the owner at once (the store's owner
lock), forgets their memories and removes their research index, and answers the store's
receipt; the cleanup purges the rest (`Store.purge_erased`).

The work is synchronous and bounded by the archive's limits: the API runs it in a worker thread,
never on the event loop.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from services.errors import InputError
from services.owner_archive import (
    CONVERSATION,
    MANIFEST,
    MEMORIES,
    ArchiveEntry,
    ArchiveError,
    ArchiveLimits,
    CheckedArchive,
    Manifest,
    archive_objects,
    archive_records,
    check_archive,
    entry_lines,
    store_backend,
)
from settings import Settings
from store import Store
from store.errors import NotFoundError
from store.memories import memory_namespace
from store.owner_data import (
    ErasureReceipt,
    OwnerBusyError,
    OwnerNotEmptyError,
    OwnerRewrite,
    thread_of,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.store.base import BaseStore

    from research.index import ResearchIndex

log = logging.getLogger("stratigos.owner_data")


@dataclass(frozen=True)
class OwnerStores:
    """Where an owner's data lives besides the store: the long-term memories, the chat
    conversations' checkpointer (opened when needed) and the research index (None: not kept)."""

    memories: BaseStore | None = None
    checkpointer: Any = None
    """A callable returning a context manager of a LangGraph checkpointer, or None."""
    research: ResearchIndex | None = None

    def saver(self) -> AbstractContextManager[BaseCheckpointSaver[str]] | None:
        """The checkpointer, open for a `with` block (None: conversations are not kept)."""
        return None if self.checkpointer is None else self.checkpointer()


@contextmanager
def open_owner_stores(
    settings: Settings, research: ResearchIndex | None = None
) -> Iterator[OwnerStores]:
    """The places beside the store an owner's data lives in, open for a `with` block: the
    memory store and the checkpointer of `settings`, and `research` (None: not touched)."""
    from store.checkpoints import checkpointer
    from store.memories import memory_store

    with memory_store(settings) as memories:
        yield OwnerStores(memories, functools.partial(checkpointer, settings), research)


# --- export ----------------------------------------------------------------------------------

EXPORT_COMPRESSION = 1
"""zlib's level for the archive's entries: the records are JSON, mostly numbers (a stored
simulation's wealth paths), which level 1 packs within a few percent of the default level 6
in a fifth of the CPU time (14 MB of records: 6.6 MB in 0.25 s against 6.2 MB in 1.3 s)."""


def export_owner(
    store: Store, owner: str, out: IO[bytes], stores: OwnerStores, *, now: datetime
) -> Manifest:
    """Write everything `owner` has as one archive to `out` (see the module docstring); its
    manifest. Reads one record and one file at a time."""
    manifest = Manifest(owner, store_backend(store), now.isoformat())
    with zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=EXPORT_COMPRESSION
    ) as archive:
        entry: ArchiveEntry | None = None
        collection = None
        threads: list[str] = []
        for record in store.owner_records(owner):
            if (thread := thread_of(record)) is not None:
                threads.append(thread)
            if record.collection != collection:
                if entry is not None:
                    entry.close(manifest, counted=True)
                collection = record.collection
                part = len(manifest.entries)
                entry = ArchiveEntry(archive, f"records/{part:04d}-{collection}.jsonl")
            assert entry is not None
            entry.line(record.data)
            manifest.counts[collection] = manifest.counts.get(collection, 0) + 1
        if entry is not None:
            entry.close(manifest, counted=True)
        for obj in store.owner_objects(owner):
            entry = ArchiveEntry(archive, obj.name)
            entry.write(obj.read())
            entry.close(manifest, counted=False)
            manifest.counts["objects"] = manifest.counts.get("objects", 0) + 1
        if stores.memories is not None:
            entry = ArchiveEntry(archive, MEMORIES)
            for item in stores.memories.search(memory_namespace(owner), limit=100_000):
                entry.line({"key": item.key, "value": item.value})
            entry.close(manifest, counted=True)
            manifest.counts["memories"] = entry.count
        _export_conversations(store, owner, threads, archive, stores, manifest)
        archive.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, ensure_ascii=False))
    return manifest


def _export_conversations(
    store: Store,
    owner: str,
    threads: list[str],
    archive: zipfile.ZipFile,
    stores: OwnerStores,
    manifest: Manifest,
) -> None:
    opened = stores.saver()
    if opened is None:
        return
    with opened as saver:
        for thread_id in threads:
            thread = store.get_thread(owner, thread_id)
            config: RunnableConfig = {"configurable": {"thread_id": thread.checkpoint}}
            tuples = list(saver.list(config))
            if not tuples:
                continue
            entry = ArchiveEntry(archive, f"conversations/{thread.id}.jsonl")
            for found in reversed(tuples):  # oldest first
                entry.line(_checkpoint_json(saver, found))
            entry.close(manifest, counted=True)
            manifest.counts["conversations"] = manifest.counts.get("conversations", 0) + 1


def _typed(saver: Any, value: Any) -> list[str]:
    kind, data = saver.serde.dumps_typed(value)
    return [kind, base64.b64encode(data).decode()]


def _untyped(saver: Any, value: list[str]) -> Any:
    return saver.serde.loads_typed((value[0], base64.b64decode(value[1], validate=True)))


def _checkpoint_json(saver: Any, found: Any) -> dict[str, Any]:
    configurable = found.config["configurable"]
    parent = (found.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    return {
        "ns": configurable.get("checkpoint_ns", ""),
        "id": configurable["checkpoint_id"],
        "parent": parent,
        "checkpoint": _typed(saver, found.checkpoint),
        "metadata": _typed(saver, found.metadata),
        "writes": [[t, c, _typed(saver, v)] for t, c, v in (found.pending_writes or [])],
    }


# --- import ----------------------------------------------------------------------------------


def check_importable(store: Store, owner: str) -> None:
    """Refuse, before an archive is read, an import into an owner who has data or whose
    erasure or import is under way (`ConflictError` in words)."""
    lock = store.owner_lock(owner)
    if lock is not None:
        raise OwnerBusyError(owner, lock.state, lock.since)
    if store.owner_has_data(owner):
        raise OwnerNotEmptyError(
            "an archive imports into an owner with no data only; this owner has data "
            "(erase it first, or import as another owner)"
        )


@dataclass(frozen=True)
class ImportReport:
    """What an import restored: the owner it came from, the counts per collection."""

    source_owner: str
    exported_at: str
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "source_owner": self.source_owner,
            "exported_at": self.exported_at,
            "counts": self.counts,
        }


def import_owner(
    store: Store,
    owner: str,
    source: IO[bytes],
    stores: OwnerStores,
    limits: ArchiveLimits | None = None,
) -> ImportReport:
    """Restore the archive `source` into `owner` (see the module docstring), within `limits`
    (default `ArchiveLimits()`)."""
    limits = limits or ArchiveLimits()
    check_importable(store, owner)
    source.seek(0, io.SEEK_END)
    if source.tell() > limits.max_archive_bytes:
        raise ArchiveError(f"larger than {limits.max_archive_bytes} bytes")
    source.seek(0)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ArchiveError(f"not a zip file: {exc}") from None
    with archive:
        checked = check_archive(store, archive, limits)
        rewrite = OwnerRewrite(checked.manifest["owner"], owner)
        try:
            store.restore_owner(
                owner, archive_records(archive, checked), archive_objects(archive, checked), rewrite
            )
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise ArchiveError(f"a record this store does not keep: {exc}") from None
        try:
            _restore_beside(store, owner, archive, checked, stores, rewrite)
        except BaseException:
            log.exception("an import failed after the store's restore; erasing what it wrote")
            erase_owner_data(store, owner, stores)
            raise
    counts = {k: int(v) for k, v in (checked.manifest.get("counts") or {}).items()}
    return ImportReport(checked.manifest["owner"], str(checked.manifest.get("exported_at")), counts)


def _restore_beside(
    store: Store,
    owner: str,
    archive: zipfile.ZipFile,
    checked: CheckedArchive,
    stores: OwnerStores,
    rewrite: OwnerRewrite,
) -> None:
    """The memories, conversations (under their threads' re-owned ids) and research index of
    an import."""
    if MEMORIES in checked.sizes:
        if stores.memories is None:
            raise ArchiveError("holds memories, and this server keeps none", MEMORIES)
        for item in entry_lines(archive, checked.infos[MEMORIES], checked.sizes[MEMORIES]):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise ArchiveError("a memory is an object with a key and a value", MEMORIES)
            if not isinstance(item.get("value"), dict):
                raise ArchiveError("a memory's value is an object", MEMORIES)
            stores.memories.put(memory_namespace(owner), item["key"], item["value"])
    conversations = {
        m.group(1): n for n in checked.sizes if (m := CONVERSATION.fullmatch(n)) is not None
    }
    if conversations:
        opened = stores.saver()
        if opened is None:
            raise ArchiveError("holds conversations, and this server keeps none")
        with opened as saver:
            for thread_id, name in sorted(conversations.items()):
                try:
                    key = store.get_thread(owner, rewrite.value(thread_id)).checkpoint
                except NotFoundError:
                    raise ArchiveError(f"{name}: the archive holds no thread {thread_id}") from None
                for line in entry_lines(archive, checked.infos[name], checked.sizes[name]):
                    _put_checkpoint(saver, key, line)
    if stores.research is not None:
        from research.index import chunks_of
        from services.documents import all_chunks

        for document in store.list_documents(owner):
            chunks = all_chunks(store, owner, document.id)
            stores.research.add(
                owner, chunks_of(document.id, document.name, document.created_at, chunks)
            )


def _put_checkpoint(saver: Any, key: str, line: dict[str, Any]) -> None:
    try:
        checkpoint = _untyped(saver, line["checkpoint"])
        metadata = _untyped(saver, line["metadata"])
        config = {
            "configurable": {
                "thread_id": key,
                "checkpoint_ns": str(line.get("ns", "")),
                "checkpoint_id": line.get("parent"),
            }
        }
        stored = saver.put(config, checkpoint, metadata, checkpoint.get("channel_versions", {}))
        writes: dict[str, list[tuple[str, Any]]] = {}
        for task, channel, value in line.get("writes") or []:
            writes.setdefault(str(task), []).append((str(channel), _untyped(saver, value)))
        for task, pending in writes.items():
            saver.put_writes(stored, pending, task)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"a conversation's checkpoint cannot be restored: {exc}") from None


# --- erasure ---------------------------------------------------------------------------------


def erase_owner_data(store: Store, owner: str, stores: OwnerStores) -> ErasureReceipt:
    """Erase everything `owner` has (see the module docstring): the store's owner lock first
    (everything hidden at once; asking again while its purge is pending continues the rest
    and answers the same receipt), then the memories and the research index. The receipt."""
    try:
        receipt = store.erase_owner(owner)
    except OwnerBusyError as exc:
        if exc.state != "erasing":
            raise
        receipt = store.erasure_receipts(owner)[0]
    if stores.memories is not None:
        namespace = memory_namespace(owner)
        for item in stores.memories.search(namespace, limit=100_000):
            stores.memories.delete(namespace, item.key)
    if stores.research is not None:
        for document_id in stores.research.document_ids(owner):
            stores.research.delete_document(owner, document_id)
    return receipt


__all__ = [
    "ArchiveError",
    "ArchiveLimits",
    "ImportReport",
    "OwnerStores",
    "check_importable",
    "erase_owner_data",
    "export_owner",
    "import_owner",
    "open_owner_stores",
]
