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
import hashlib
import io
import json
import logging
import re
import stat
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from services.errors import InputError
from settings import Settings
from store import ConflictError, Store
from store.memories import memory_namespace
from store.owner_data import (
    ErasureReceipt,
    OwnerBusyError,
    OwnerNotEmptyError,
    OwnerRecord,
    OwnerRewrite,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.store.base import BaseStore

    from research.index import ResearchIndex

log = logging.getLogger("stratigos.owner_data")

FORMAT = "stratigos-owner-data"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMORIES = "memories.jsonl"
LEFT_OUT = (
    {"what": "api_keys", "why": "API keys are credentials: the new owner creates their own"},
    {"what": "cache", "why": "the results cache is rebuilt on demand"},
)
_RECORDS = re.compile(r"records/(\d{4})-([a-z_]{1,40})\.jsonl")
_CONVERSATION = re.compile(r"conversations/([A-Za-z0-9_.:~-]{1,200})\.jsonl")
_CHUNK = 1 << 20
MANIFEST_MAX_BYTES = 16 << 20


class ArchiveError(InputError):
    """An archive an import refuses: `field` names `archive` or the manifest's field."""

    def __init__(self, problem: str, field: str = "archive") -> None:
        super().__init__(field, problem)


@dataclass(frozen=True)
class ArchiveLimits:
    """What an import accepts at most: the archive's size, its entries, their unpacked sizes
    together (bytes)."""

    max_archive_bytes: int = 1 << 30
    max_entries: int = 100_000
    max_unpacked_bytes: int = 8 << 30


@dataclass
class Manifest:
    """What an archive holds (see the module docstring)."""

    owner: str
    backend: str
    exported_at: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "owner": self.owner,
            "backend": self.backend,
            "exported_at": self.exported_at,
            "counts": dict(sorted(self.counts.items())),
            "left_out": list(LEFT_OUT),
            "entries": self.entries,
        }


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


def store_backend(store: Store) -> str:
    """`sqlite` or `aws`: the shape of the store's records."""
    from store.aws import AWSStore

    return "aws" if isinstance(store, AWSStore) else "sqlite"


# --- export ----------------------------------------------------------------------------------


class _Entry:
    """One entry being written: its size, digest and record count as it streams."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self.name, self.size, self.count = name, 0, 0
        self.digest = hashlib.sha256()
        self.file = archive.open(name, "w", force_zip64=True)

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)

    def line(self, document: Any) -> None:
        self.write(json.dumps(document, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        self.count += 1

    def close(self, manifest: Manifest, counted: bool) -> None:
        self.file.close()
        entry: dict[str, Any] = {"name": self.name, "size": self.size}
        entry["sha256"] = self.digest.hexdigest()
        if counted:
            entry["count"] = self.count
        manifest.entries.append(entry)


def export_owner(
    store: Store, owner: str, out: IO[bytes], stores: OwnerStores, *, now: datetime
) -> Manifest:
    """Write everything `owner` has as one archive to `out` (see the module docstring); its
    manifest. Reads one record and one file at a time."""
    manifest = Manifest(owner, store_backend(store), now.isoformat())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        entry: _Entry | None = None
        collection = None
        for record in store.owner_records(owner):
            if record.collection != collection:
                if entry is not None:
                    entry.close(manifest, counted=True)
                collection = record.collection
                part = len(manifest.entries)
                entry = _Entry(archive, f"records/{part:04d}-{collection}.jsonl")
            assert entry is not None
            entry.line(record.data)
            manifest.counts[collection] = manifest.counts.get(collection, 0) + 1
        if entry is not None:
            entry.close(manifest, counted=True)
        for obj in store.owner_objects(owner):
            entry = _Entry(archive, obj.name)
            entry.write(obj.read())
            entry.close(manifest, counted=False)
            manifest.counts["objects"] = manifest.counts.get("objects", 0) + 1
        if stores.memories is not None:
            entry = _Entry(archive, MEMORIES)
            for item in stores.memories.search(memory_namespace(owner), limit=100_000):
                entry.line({"key": item.key, "value": item.value})
            entry.close(manifest, counted=True)
            manifest.counts["memories"] = entry.count
        _export_conversations(store, owner, archive, stores, manifest)
        archive.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, ensure_ascii=False))
    return manifest


def _threads(store: Store, owner: str) -> Iterator[Any]:
    yield from store.list_threads(owner, limit=1000)


def _export_conversations(
    store: Store, owner: str, archive: zipfile.ZipFile, stores: OwnerStores, manifest: Manifest
) -> None:
    opened = stores.saver()
    if opened is None:
        return
    with opened as saver:
        for thread in _threads(store, owner):
            config: RunnableConfig = {"configurable": {"thread_id": thread.checkpoint}}
            tuples = list(saver.list(config))
            if not tuples:
                continue
            entry = _Entry(archive, f"conversations/{thread.id}.jsonl")
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


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        0 < len(name) <= 512
        and not name.startswith("/")
        and "\\" not in name
        and ":" not in parts[0]
        and all(p not in ("", ".", "..") for p in parts)
        and not any(ord(c) < 32 for c in name)
    )


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> Iterator[bytes]:
    """The entry's bytes in chunks, never more than `size` (then `ArchiveError`)."""
    read = 0
    with archive.open(info) as stream:
        while chunk := stream.read(min(_CHUNK, size - read + 1)):
            read += len(chunk)
            if read > size:
                raise ArchiveError(f"{info.filename} is larger than the manifest says")
            yield chunk
    if read != size:
        raise ArchiveError(f"{info.filename} is smaller than the manifest says")


def _lines(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> Iterator[Any]:
    pending = b""
    for chunk in _read_entry(archive, info, size):
        pending += chunk
        *whole, pending = pending.split(b"\n")
        for line in whole:
            yield json.loads(line)
    if pending.strip():
        yield json.loads(pending)


@dataclass
class _Checked:
    manifest: dict[str, Any]
    infos: dict[str, zipfile.ZipInfo]
    sizes: dict[str, int]


def _manifest(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    info = infos.get(MANIFEST)
    if info is None:
        raise ArchiveError(f"no {MANIFEST}: not an owner's export")
    if info.file_size > MANIFEST_MAX_BYTES:
        raise ArchiveError(f"{MANIFEST} is larger than {MANIFEST_MAX_BYTES} bytes")
    try:
        data = b"".join(_read_entry(archive, info, info.file_size))
        manifest = json.loads(data)
    except (ValueError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"{MANIFEST} is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"not a {FORMAT} archive", "manifest.format")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArchiveError("must be a positive integer", "manifest.format_version")
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"format version {version} was written by a newer Stratigos; this one reads "
            f"version {FORMAT_VERSION}",
            "manifest.format_version",
        )
    if not isinstance(manifest.get("owner"), str) or not manifest["owner"]:
        raise ArchiveError("must name the owner exported", "manifest.owner")
    if not isinstance(manifest.get("entries"), list):
        raise ArchiveError("must list the archive's entries", "manifest.entries")
    return manifest


def check_archive(store: Store, archive: zipfile.ZipFile, limits: ArchiveLimits) -> _Checked:
    """Check the whole archive (see the module docstring) without writing anything."""
    infos_list = archive.infolist()
    if len(infos_list) > limits.max_entries:
        raise ArchiveError(f"more than {limits.max_entries} entries")
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in infos_list:
        name = info.filename
        if not _safe_name(name) or info.is_dir():
            raise ArchiveError(f"the entry name {name[:80]!r} is not one an export writes")
        if stat.S_ISLNK(info.external_attr >> 16) or info.flag_bits & 0x1:
            raise ArchiveError(f"{name}: links and encrypted entries are refused")
        if name in infos:
            raise ArchiveError(f"the entry {name} appears twice")
        infos[name] = info
    manifest = _manifest(archive, infos)
    if manifest.get("backend") != store_backend(store):
        raise ArchiveError(
            f"an archive of the {manifest.get('backend')!r} store imports into a store of that "
            f"backend; this one is {store_backend(store)!r}",
            "manifest.backend",
        )
    sizes: dict[str, int] = {}
    for i, entry in enumerate(manifest["entries"]):
        where = f"manifest.entries.{i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ArchiveError("must be an object with a name", where)
        name, size = entry["name"], entry.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ArchiveError("size must be a non-negative integer", f"{where}.size")
        if name in sizes or name == MANIFEST:
            raise ArchiveError(f"{name} is listed twice", f"{where}.name")
        if name not in infos:
            raise ArchiveError(f"{name} is listed but not in the archive", f"{where}.name")
        if infos[name].file_size != size:
            raise ArchiveError(f"{name} is not of the size listed", f"{where}.size")
        if not (_RECORDS.fullmatch(name) or _CONVERSATION.fullmatch(name) or name == MEMORIES or name.startswith("objects/")):  # fmt: skip
            raise ArchiveError(f"{name} is not an entry an export writes", f"{where}.name")
        sizes[name] = size
    extra = set(infos) - set(sizes) - {MANIFEST}
    if extra:
        raise ArchiveError(f"{sorted(extra)[0]} is in the archive but not in the manifest")
    if sum(sizes.values()) > limits.max_unpacked_bytes:
        raise ArchiveError(f"its entries unpack to more than {limits.max_unpacked_bytes} bytes")
    for i, entry in enumerate(manifest["entries"]):
        _check_entry(archive, infos[entry["name"]], entry, f"manifest.entries.{i}")
    return _Checked(manifest, infos, sizes)


def _check_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: dict[str, Any], where: str
) -> None:
    digest = hashlib.sha256()
    lines = 0
    try:
        for chunk in _read_entry(archive, info, entry["size"]):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{info.filename} is damaged: {exc}") from None
    if digest.hexdigest() != entry.get("sha256"):
        raise ArchiveError(f"{info.filename} does not match its SHA-256", f"{where}.sha256")
    if info.filename.endswith(".jsonl") and entry.get("count") != lines:
        raise ArchiveError(f"{info.filename} does not hold the count listed", f"{where}.count")


def _records(archive: zipfile.ZipFile, checked: _Checked) -> Iterator[OwnerRecord]:
    for name in sorted(n for n in checked.sizes if _RECORDS.fullmatch(n)):
        match = _RECORDS.fullmatch(name)
        assert match is not None
        try:
            for data in _lines(archive, checked.infos[name], checked.sizes[name]):
                if not isinstance(data, dict):
                    raise ArchiveError(f"{name}: a record is a JSON object")
                yield OwnerRecord(match.group(2), data)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"{name}: a line is not JSON ({exc})") from None


def _objects(archive: zipfile.ZipFile, checked: _Checked) -> Iterator[tuple[str, bytes]]:
    for name in sorted(n for n in checked.sizes if n.startswith("objects/")):
        yield name, b"".join(_read_entry(archive, checked.infos[name], checked.sizes[name]))


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
    limits: ArchiveLimits = ArchiveLimits(),
) -> ImportReport:
    """Restore the archive `source` into `owner` (see the module docstring)."""
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
                owner, _records(archive, checked), _objects(archive, checked), rewrite
            )
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise ArchiveError(f"a record this store does not keep: {exc}") from None
        try:
            _restore_beside(store, owner, archive, checked, stores)
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
    checked: _Checked,
    stores: OwnerStores,
) -> None:
    """The memories, conversations and research index of an import."""
    if MEMORIES in checked.sizes:
        if stores.memories is None:
            raise ArchiveError("holds memories, and this server keeps none", MEMORIES)
        for item in _lines(archive, checked.infos[MEMORIES], checked.sizes[MEMORIES]):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise ArchiveError("a memory is an object with a key and a value", MEMORIES)
            if not isinstance(item.get("value"), dict):
                raise ArchiveError("a memory's value is an object", MEMORIES)
            stores.memories.put(memory_namespace(owner), item["key"], item["value"])
    conversations = {
        m.group(1): n for n in checked.sizes if (m := _CONVERSATION.fullmatch(n)) is not None
    }
    if conversations:
        opened = stores.saver()
        if opened is None:
            raise ArchiveError("holds conversations, and this server keeps none")
        with opened as saver:
            for thread_id, name in sorted(conversations.items()):
                key = store.get_thread(owner, thread_id).checkpoint
                for line in _lines(archive, checked.infos[name], checked.sizes[name]):
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
    "FORMAT",
    "FORMAT_VERSION",
    "ArchiveError",
    "ArchiveLimits",
    "ConflictError",
    "ImportReport",
    "Manifest",
    "OwnerStores",
    "check_importable",
    "erase_owner_data",
    "export_owner",
    "import_owner",
    "open_owner_stores",
]
