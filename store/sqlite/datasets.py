"""Datasets in the SQLite store (the bytes in the row, compressed)."""

from __future__ import annotations

import sqlite3

from store.common import new_id
from store.datasets import Dataset, dataset_from_row
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection

_DATASET_COLUMNS = "id, owner, name, meta, created_at"


class SqliteDatasets(SqliteConnection):
    """The datasets repository on SQLite."""

    def _insert_dataset(self, owner: str, name: str, data: bytes, meta: str) -> Dataset:
        did = new_id("ds")
        with self._tx("put_dataset") as conn:
            conn.execute(
                "INSERT INTO datasets (id, owner, name, meta, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (did, owner, name, meta, sqlite3.Binary(data), self._now()),
            )
        return self.get_dataset(owner, did)

    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        sql = f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE id = ? AND owner = ?"
        row = self._owned_row("get_dataset", sql, owner, dataset_id, "dataset")
        return dataset_from_row(dict(row))

    def dataset_bytes(self, owner: str, dataset_id: str) -> bytes:
        sql = "SELECT data FROM datasets WHERE id = ? AND owner = ?"
        return bytes(self._owned_row("dataset_bytes", sql, owner, dataset_id, "dataset")["data"])

    def list_datasets(self, owner: str) -> list[Dataset]:
        rows = self._read(
            "list_datasets",
            f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [dataset_from_row(dict(r)) for r in rows]

    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        with self._tx("delete_dataset") as conn:
            cur = conn.execute(
                "DELETE FROM datasets WHERE id = ? AND owner = ?", (dataset_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
