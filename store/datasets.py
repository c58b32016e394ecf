"""Uploaded market data (CSV or Parquet bytes with validated metadata) and their repository
interface."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from store.common import check_owner, dumps, from_micros

DatasetFormat = Literal["prices", "returns"]


DATASET_FORMATS: tuple[DatasetFormat, ...] = get_args(DatasetFormat)


@dataclass(frozen=True)
class Dataset:
    """An uploaded market dataset's metadata; its bytes (Parquet) come from `dataset_bytes`.

    `format` says what the table holds (`prices` or daily simple `returns`); `columns` are the
    asset names in order; `start` / `end` the first and last date (ISO `YYYY-MM-DD`); `sha256`
    (hex) and `size_bytes` describe the stored bytes.
    """

    id: str
    owner: str
    name: str
    format: DatasetFormat
    n_rows: int
    n_columns: int
    columns: list[str]
    start: str
    end: str
    sha256: str
    size_bytes: int
    created_at: datetime


def check_dataset_meta(name: str, data: bytes, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Validate `put_dataset` arguments; returns the metadata document the stores keep:
    `format`, `n_rows`, `n_columns`, `columns`, `start`, `end` (from `meta`) and the `sha256` and
    `size_bytes` of `data`. `ValueError` names the first bad field."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("dataset name must be a non-empty string")
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValueError("dataset data must be non-empty bytes")
    fmt = meta.get("format")
    if fmt not in DATASET_FORMATS:
        raise ValueError(f"dataset format must be one of {DATASET_FORMATS}, got {fmt!r}")
    columns = meta.get("columns")
    if not isinstance(columns, list | tuple) or not all(isinstance(c, str) for c in columns):
        raise ValueError("dataset columns must be a list of asset names")
    doc: dict[str, Any] = {"format": fmt, "columns": [str(c) for c in columns]}
    for key in ("n_rows", "n_columns"):
        value = meta.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"dataset {key} must be a non-negative integer, got {value!r}")
        doc[key] = int(value)
    if doc["n_columns"] != len(doc["columns"]):
        raise ValueError(
            f"dataset n_columns {doc['n_columns']} does not match {len(doc['columns'])} columns"
        )
    for key in ("start", "end"):
        value = meta.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"dataset {key} must be an ISO date string, got {value!r}")
        doc[key] = value
    doc["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    doc["size_bytes"] = len(data)
    return doc


def dataset_from_doc(
    dataset_id: str, owner: str, name: str, doc: Mapping[str, Any], created_at: datetime
) -> Dataset:
    """A `Dataset` from the metadata document of `check_dataset_meta`."""
    return Dataset(
        id=dataset_id,
        owner=owner,
        name=name,
        format=doc["format"],
        n_rows=int(doc["n_rows"]),
        n_columns=int(doc["n_columns"]),
        columns=list(doc["columns"]),
        start=doc["start"],
        end=doc["end"],
        sha256=doc["sha256"],
        size_bytes=int(doc["size_bytes"]),
        created_at=created_at,
    )


class DatasetRepository(ABC):
    """An owner's uploaded market data."""

    def put_dataset(self, owner: str, name: str, data: bytes, meta: Mapping[str, Any]) -> Dataset:
        """Store an uploaded dataset: `data` (the normalised Parquet bytes) and `meta` (`format`,
        `n_rows`, `n_columns`, `columns`, `start`, `end`; see `check_dataset_meta`). Returns the
        new record (id `ds_…`); `sha256` and `size_bytes` are computed from `data`."""
        check_owner(owner)
        doc = check_dataset_meta(name, data, meta)
        return self._insert_dataset(owner, name, bytes(data), dumps(doc))

    @abstractmethod
    def _insert_dataset(self, owner: str, name: str, data: bytes, meta: str) -> Dataset:
        """`put_dataset` after `check_dataset_meta` (`meta`: the metadata document as JSON)."""

    @abstractmethod
    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        """The dataset's metadata, or `NotFoundError`."""

    @abstractmethod
    def dataset_bytes(self, owner: str, dataset_id: str) -> bytes:
        """The dataset's stored bytes exactly as put, or `NotFoundError`."""

    @abstractmethod
    def list_datasets(self, owner: str) -> list[Dataset]:
        """The owner's datasets, oldest first."""

    @abstractmethod
    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        """Delete the dataset and its bytes (`NotFoundError` if absent)."""


def dataset_from_row(d: Mapping[str, Any]) -> Dataset:
    """The Dataset a stored row or item holds (`d`: column or attribute name -> value; absent
    optional attributes read as None)."""
    return dataset_from_doc(
        d["id"],
        d["owner"],
        d["name"],
        json.loads(d["meta"]),
        from_micros(d["created_at"]),  # type: ignore[arg-type]
    )
