"""Documents in the AWS store: the original in S3 at `documents/<owner>/<id>/original` (the
store's bucket, so its KMS encryption; that bucket is not versioned), one item per chunk
`DOCCHUNK#<owner>#<id>` / `<ordinal, 12 digits>`, and the metadata item `OWNER#<owner>` /
`DOC#<id>`.

`add_document` uploads the original first, writes the chunk items second (batched: a
document may have more chunks than a transaction's 100 items) and the metadata item last, so a
listed document always has its chunks and its original; after a failure the chunks and the
object are deleted (see `AwsTable._put_object_then_item`). `delete_document` deletes the
metadata item first, then the chunks and the object, for the same reason.
"""

from __future__ import annotations

from typing import Any

from store.aws.table import AwsTable, _owner_pk
from store.documents import Document, document_from_row, document_to_row
from store.errors import NotFoundError


def _original_key(owner: str, document_id: str) -> str:
    return f"documents/{owner}/{document_id}/original"


def _chunks_pk(owner: str, document_id: str) -> str:
    return f"DOCCHUNK#{owner}#{document_id}"


def _ordinal_sk(ordinal: int) -> str:
    return f"{ordinal:012d}"


class AwsDocuments(AwsTable):
    """The documents repository on DynamoDB and S3."""

    def _insert_document(
        self, document: Document, data: bytes, chunks: list[tuple[int, str, str]]
    ) -> None:
        pk = _chunks_pk(document.owner, document.id)
        parts = [
            {"pk": pk, "sk": _ordinal_sk(o), "ordinal": o, "text": text, "reference": reference}
            for o, text, reference in chunks
        ]
        record = {
            "pk": _owner_pk(document.owner),
            "sk": f"DOC#{document.id}",
            **document_to_row(document),
        }
        self._put_object_then_item(
            "add_document",
            _original_key(document.owner, document.id),
            data,
            document.media_type,
            record,
            parts,
        )

    def get_document(self, owner: str, document_id: str) -> Document:
        item = self._get("get_document", _owner_pk(owner), f"DOC#{document_id}")
        if item is None:
            raise NotFoundError(f"no document {document_id!r} for owner {owner!r}")
        return document_from_row(item)

    def list_documents(self, owner: str) -> list[Document]:
        items = self._query("list_documents", _owner_pk(owner), sk_prefix="DOC#")
        found = [document_from_row(i) for i in items]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)

    def _document_chunks(
        self, owner: str, document_id: str, after: int, limit: int
    ) -> list[dict[str, Any]]:
        return list(
            self._query(
                "document_chunks",
                _chunks_pk(owner, document_id),
                sk_after=_ordinal_sk(after) if after >= 0 else None,
                limit=limit,
            )
        )

    def document_bytes(self, owner: str, document_id: str) -> bytes:
        self.get_document(owner, document_id)  # NotFoundError for another owner's
        key = _original_key(owner, document_id)
        return self._object_bytes("document_bytes", key, f"document {document_id}")

    def delete_document(self, owner: str, document_id: str) -> None:
        document = self.get_document(owner, document_id)
        if not self._delete("delete_document", _owner_pk(owner), f"DOC#{document_id}"):
            raise NotFoundError(f"no document {document_id!r} for owner {owner!r}")
        pk = _chunks_pk(owner, document_id)
        self._batch_delete(
            "delete_document", [(pk, _ordinal_sk(o)) for o in range(document.chunk_count)]
        )
        self._discard(_original_key(owner, document_id))
