"""The archive of an owner's data (`services.owner_data`): its entries, its manifest, and the
checks an import makes of it before anything is written (see docs/owner-data.md).

A zip file: `records/<nnnn>-<collection>.jsonl` (the store's records), `objects/<kind>/<name>`
(files), `memories.jsonl`, `conversations/<thread id>.jsonl` and `manifest.json`, last. An entry
is written as it streams (`ArchiveEntry`) and read never past the size its manifest lists
(`read_entry`), so neither a big owner nor a zip bomb sits in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from services.errors import InputError
from store import Store
from store.owner_data import OwnerRecord

FORMAT = "stratigos-owner-data"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMORIES = "memories.jsonl"
LEFT_OUT = (
    {"what": "api_keys", "why": "API keys are credentials: the new owner creates their own"},
    {"what": "cache", "why": "the results cache is rebuilt on demand"},
)
RECORDS = re.compile(r"records/(\d{4})-([a-z_]{1,40})\.jsonl")
CONVERSATION = re.compile(r"conversations/([A-Za-z0-9_.:~-]{1,200})\.jsonl")
CHUNK = 1 << 20
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


def store_backend(store: Store) -> str:
    """`sqlite` or `aws`: the shape of the store's records."""
    from store.aws import AWSStore

    return "aws" if isinstance(store, AWSStore) else "sqlite"


class ArchiveEntry:
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


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> Iterator[bytes]:
    """The entry's bytes in chunks, never more than `size` (then `ArchiveError`)."""
    read = 0
    with archive.open(info) as stream:
        while chunk := stream.read(min(CHUNK, size - read + 1)):
            read += len(chunk)
            if read > size:
                raise ArchiveError(f"{info.filename} is larger than the manifest says")
            yield chunk
    if read != size:
        raise ArchiveError(f"{info.filename} is smaller than the manifest says")


def entry_lines(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> Iterator[Any]:
    pending = b""
    for chunk in read_entry(archive, info, size):
        pending += chunk
        *whole, pending = pending.split(b"\n")
        for line in whole:
            yield json.loads(line)
    if pending.strip():
        yield json.loads(pending)


@dataclass
class CheckedArchive:
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
        data = b"".join(read_entry(archive, info, info.file_size))
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


def check_archive(store: Store, archive: zipfile.ZipFile, limits: ArchiveLimits) -> CheckedArchive:
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
        if not (RECORDS.fullmatch(name) or CONVERSATION.fullmatch(name) or name == MEMORIES or name.startswith("objects/")):  # fmt: skip
            raise ArchiveError(f"{name} is not an entry an export writes", f"{where}.name")
        sizes[name] = size
    extra = set(infos) - set(sizes) - {MANIFEST}
    if extra:
        raise ArchiveError(f"{sorted(extra)[0]} is in the archive but not in the manifest")
    if sum(sizes.values()) > limits.max_unpacked_bytes:
        raise ArchiveError(f"its entries unpack to more than {limits.max_unpacked_bytes} bytes")
    for i, entry in enumerate(manifest["entries"]):
        _check_entry(archive, infos[entry["name"]], entry, f"manifest.entries.{i}")
    return CheckedArchive(manifest, infos, sizes)


def _check_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, entry: dict[str, Any], where: str
) -> None:
    digest = hashlib.sha256()
    lines = 0
    try:
        for chunk in read_entry(archive, info, entry["size"]):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{info.filename} is damaged: {exc}") from None
    if digest.hexdigest() != entry.get("sha256"):
        raise ArchiveError(f"{info.filename} does not match its SHA-256", f"{where}.sha256")
    if info.filename.endswith(".jsonl") and entry.get("count") != lines:
        raise ArchiveError(f"{info.filename} does not hold the count listed", f"{where}.count")


def archive_records(archive: zipfile.ZipFile, checked: CheckedArchive) -> Iterator[OwnerRecord]:
    for name in sorted(n for n in checked.sizes if RECORDS.fullmatch(n)):
        match = RECORDS.fullmatch(name)
        assert match is not None
        try:
            for data in entry_lines(archive, checked.infos[name], checked.sizes[name]):
                if not isinstance(data, dict):
                    raise ArchiveError(f"{name}: a record is a JSON object")
                yield OwnerRecord(match.group(2), data)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"{name}: a line is not JSON ({exc})") from None


def archive_objects(
    archive: zipfile.ZipFile, checked: CheckedArchive
) -> Iterator[tuple[str, bytes]]:
    for name in sorted(n for n in checked.sizes if n.startswith("objects/")):
        yield name, b"".join(read_entry(archive, checked.infos[name], checked.sizes[name]))
