"""Documents in the SQLite store: the metadata and the original bytes in one row of
`documents`, the chunks in `document_chunks`, all written in one transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from store.documents import DOCUMENT_FIELDS, Document, document_from_row, document_to_row
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection

_COLUMNS = ", ".join((*DOCUMENT_FIELDS, "created_at"))


class SqliteDocuments(SqliteConnection):
    """The documents repository on SQLite (one transaction: never a document without its
    chunks or its bytes)."""

    def _insert_document(
        self, document: Document, data: bytes, chunks: list[tuple[int, str, str]]
    ) -> None:
        row = document_to_row(document)
        with self._tx("add_document") as conn:
            conn.execute(
                f"INSERT INTO documents ({_COLUMNS}, data) "
                f"VALUES ({', '.join('?' for _ in row)}, ?)",
                [*row.values(), sqlite3.Binary(data)],
            )
            conn.executemany(
                "INSERT INTO document_chunks (document_id, ordinal, text, reference) "
                "VALUES (?, ?, ?, ?)",
                [(document.id, *chunk) for chunk in chunks],
            )

    def get_document(self, owner: str, document_id: str) -> Document:
        sql = f"SELECT {_COLUMNS} FROM documents WHERE id = ? AND owner = ?"
        row = self._owned_row("get_document", sql, owner, document_id, "document")
        return document_from_row(dict(row))

    def list_documents(self, owner: str) -> list[Document]:
        rows = self._read(
            "list_documents",
            f"SELECT {_COLUMNS} FROM documents WHERE owner = ? ORDER BY created_at DESC, id DESC",
            (owner,),
        )
        return [document_from_row(dict(r)) for r in rows]

    def _document_chunks(
        self, owner: str, document_id: str, after: int, limit: int
    ) -> list[dict[str, Any]]:
        rows = self._read(
            "document_chunks",
            "SELECT c.ordinal, c.text, c.reference FROM document_chunks c "
            "JOIN documents d ON d.id = c.document_id "
            "WHERE c.document_id = ? AND d.owner = ? AND c.ordinal > ? "
            "ORDER BY c.ordinal LIMIT ?",
            (document_id, owner, after, limit),
        )
        return [dict(r) for r in rows]

    def document_bytes(self, owner: str, document_id: str) -> bytes:
        sql = "SELECT data FROM documents WHERE id = ? AND owner = ?"
        return bytes(self._owned_row("document_bytes", sql, owner, document_id, "document")["data"])

    def delete_document(self, owner: str, document_id: str) -> None:
        with self._tx("delete_document") as conn:
            cur = conn.execute(
                "DELETE FROM documents WHERE id = ? AND owner = ?", (document_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no document {document_id!r} for owner {owner!r}")
            # the chunks go with it (ON DELETE CASCADE)
