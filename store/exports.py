"""Stored exports of a deployment's ledger (the file's bytes with their metadata) and their
repository interface.

An export is written whole or not at all: its metadata is never readable without its bytes.
SQLite keeps both in one row; AWS uploads the bytes to S3 first and then writes the metadata
item (see `store.aws.exports`).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from store.common import Clock, check_owner, from_micros, new_id, to_micros

ExportFormat = Literal["csv", "parquet"]

EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

EXPORT_MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}
"""The media type of each export format (CSV is UTF-8)."""


@dataclass(frozen=True)
class Export:
    """A stored export's metadata; its bytes come from `export_bytes`.

    `format` is the file's (`csv` or `parquet`), `rows` how many ledger entries it holds,
    `size_bytes` and `sha256` (hex) describe the stored bytes.
    """

    id: str
    owner: str
    deployment_id: str
    format: ExportFormat
    rows: int
    size_bytes: int
    sha256: str
    created_at: datetime


EXPORT_FIELDS = ("id", "owner", "deployment_id", "format", "rows", "size_bytes", "sha256")
"""The stored fields of an export besides `created_at` (stored as microseconds)."""


def export_to_row(export: Export) -> dict[str, Any]:
    """The stored form of an export's metadata (`created_at` as microseconds)."""
    return {
        **{field: getattr(export, field) for field in EXPORT_FIELDS},
        "created_at": to_micros(export.created_at),
    }


def export_from_row(d: Mapping[str, Any]) -> Export:
    """The Export a stored row or item holds."""
    return Export(
        id=d["id"],
        owner=d["owner"],
        deployment_id=d["deployment_id"],
        format=d["format"],
        rows=int(d["rows"]),
        size_bytes=int(d["size_bytes"]),
        sha256=d["sha256"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
    )


def _check_export(deployment_id: str, format: str, data: bytes, rows: int) -> None:
    """ValueError naming the first bad argument of `create_export`."""
    if not isinstance(deployment_id, str) or not deployment_id or set("#/") & set(deployment_id):
        raise ValueError(
            f"export deployment_id must be a non-empty string without '#' or '/', "
            f"got {deployment_id!r}"
        )
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export format must be one of {EXPORT_FORMATS}, got {format!r}")
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValueError("export data must be non-empty bytes")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError(f"export rows must be a non-negative integer, got {rows!r}")


class ExportRepository(ABC):
    """An owner's stored ledger exports."""

    clock: Clock

    def create_export(
        self, owner: str, deployment_id: str, format: ExportFormat, data: bytes, rows: int
    ) -> Export:
        """Store `data`, a `format` file of `rows` ledger entries of `deployment_id`, and its
        metadata (id `exp_…`, size, SHA-256, creation time) as one export. Returns the record
        once the bytes and the metadata are both stored; on any failure (`StoreError`) no
        export is listed. `ValueError` names a bad argument. The deployment is not looked up:
        the caller checks it is the owner's."""
        check_owner(owner)
        _check_export(deployment_id, format, data, rows)
        export = Export(
            id=new_id("exp"),
            owner=owner,
            deployment_id=deployment_id,
            format=format,
            rows=rows,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=from_micros(to_micros(self.clock())),  # type: ignore[arg-type]
        )
        self._insert_export(export, bytes(data))
        return export

    @abstractmethod
    def _insert_export(self, export: Export, data: bytes) -> None:
        """`create_export` after its checks: store the bytes and the metadata atomically."""

    @abstractmethod
    def get_export(self, owner: str, export_id: str) -> Export:
        """The export's metadata, or `NotFoundError` (also for another owner's)."""

    @abstractmethod
    def export_bytes(self, owner: str, export_id: str) -> bytes:
        """The export's bytes exactly as stored, or `NotFoundError`."""

    @abstractmethod
    def list_exports(self, owner: str, deployment_id: str) -> list[Export]:
        """The owner's exports of `deployment_id`, oldest first."""

    @abstractmethod
    def delete_export(self, owner: str, export_id: str) -> None:
        """Delete the export's metadata and its bytes (`NotFoundError` if absent)."""
