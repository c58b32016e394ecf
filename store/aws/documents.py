"""Documents in the AWS store: the original in S3 at `documents/<owner>/<id>/original` in the
documents bucket (`documents_bucket`; the store's bucket when none is configured; in the cloud
its own KMS-encrypted, versioned bucket with lifecycle transitions, see
`infra/stacks/foundation.py`), one item per chunk `DOCCHUNK#<owner>#<id>` /
`<ordinal, 12 digits>`, and the metadata item `OWNER#<owner>` / `DOC#<id>`.

`add_document` uploads the original first, writes the chunk items second (batched: a
document may have more chunks than a transaction's 100 items) and the metadata item last, so a
listed document always has its chunks and its original; after a failure the chunks and the
object are deleted (see `AwsTable._put_object_then_item`).

`delete_document` marks the metadata item deleted (a tombstone: the document is gone from every
read at once, its chunks with it, since they are read only through it) and hands the original
and the chunks to the purge (`store.aws.tombstones`), which deletes the original (in a versioned
bucket: a delete marker, which S3 Replication carries to a replica bucket, where it makes the
replica's version noncurrent and the replica's lifecycle expires it), then every version of it
and every other delete marker (`_delete_all_versions`), then the chunks, then the tombstone
last: a failure on the way leaves the tombstone, so the next purge finishes the job, and nothing
of a deleted document's content stays behind (not even as a noncurrent version of a versioned
bucket): only the last delete marker, which holds nothing and which the bucket's lifecycle
removes.

An original that the bucket's lifecycle moved to S3 Glacier Flexible Retrieval cannot be read
at once: `document_bytes` requests a restore (Standard tier, readable for `RESTORE_DAYS` days)
and raises `ArchivedError`; reading it again once the restore is done returns the bytes.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.aws.tombstones import Purge
from store.documents import Document, document_from_row, document_to_row
from store.errors import ArchivedError, NotFoundError, StoreError, StoreUnavailableError

RESTORE_DAYS = 7
"""Days a restored (Glacier) original stays readable before S3 removes the temporary copy."""

RESTORE_HOURS = 5
"""Upper bound of a Standard-tier restore from Glacier Flexible Retrieval (3-5 hours), hours."""


def _original_key(owner: str, document_id: str) -> str:
    return f"documents/{owner}/{document_id}/original"


def _chunks_pk(owner: str, document_id: str) -> str:
    return f"DOCCHUNK#{owner}#{document_id}"


def _ordinal_sk(ordinal: int) -> str:
    return f"{ordinal:012d}"


def _s3_code(exc: BaseException | None) -> str:
    """The S3 error code of the ClientError behind a StoreError ("" if there is none)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


class AwsDocuments(AwsTable):
    """The documents repository on DynamoDB and S3 (the documents bucket)."""

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
            bucket=self.documents_bucket,
        )

    def get_document(self, owner: str, document_id: str) -> Document:
        item = self._owned_item(
            "get_document", owner, f"DOC#{document_id}", f"document {document_id!r}"
        )
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
        what = f"document {document_id}"
        try:
            return self._object_bytes("document_bytes", key, what, self.documents_bucket)
        except StoreError as exc:
            if _s3_code(exc.__cause__) != "InvalidObjectState":
                raise
        self._restore(key)
        raise ArchivedError(
            f"the original of {what} is archived (S3 Glacier Flexible Retrieval); a restore "
            f"was requested: download it again in up to {RESTORE_HOURS} hours (it then stays "
            f"readable for {RESTORE_DAYS} days)",
            ready_in_hours=RESTORE_HOURS,
        )

    def _restore(self, key: str) -> None:
        """Request a Standard-tier restore of the archived `key` (one under way is fine)."""
        try:
            self._call(
                "document_bytes (restore)",
                self.s3.restore_object,
                Bucket=self.documents_bucket,
                Key=key,
                RestoreRequest={
                    "Days": RESTORE_DAYS,
                    "GlacierJobParameters": {"Tier": "Standard"},
                },
            )
        except StoreError as exc:
            if _s3_code(exc.__cause__) != "RestoreAlreadyInProgress":
                raise

    def _delete_all_versions(self, action: str, key: str) -> None:
        """Delete `key` in the documents bucket (a delete marker where it is versioned), then
        every version of it and every delete marker but that last one (see the module
        docstring); `StoreUnavailableError` if S3 refuses any of them."""
        bucket = self.documents_bucket
        marker = self._call(action, self.s3.delete_object, Bucket=bucket, Key=key)
        kept = marker.get("VersionId") if marker.get("DeleteMarker") else None
        found: list[dict[str, str]] = []
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
        while True:
            out = self._call(action, self.s3.list_object_versions, **kwargs)
            for entry in [*out.get("Versions", []), *out.get("DeleteMarkers", [])]:
                if entry["Key"] == key and entry["VersionId"] != kept:
                    found.append({"Key": key, "VersionId": entry["VersionId"]})
            if not out.get("IsTruncated"):
                break
            kwargs["KeyMarker"] = out["NextKeyMarker"]
            kwargs["VersionIdMarker"] = out["NextVersionIdMarker"]
        for start in range(0, len(found), 1000):
            batch = found[start : start + 1000]
            out = self._call(
                action,
                self.s3.delete_objects,
                Bucket=bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
            if out.get("Errors"):
                problems = [f"{e.get('VersionId')}: {e.get('Code')}" for e in out["Errors"]]
                raise StoreUnavailableError(
                    f"AWS store: {action} could not delete versions of s3://{bucket}/{key}: "
                    f"{problems}"
                )

    def delete_document(self, owner: str, document_id: str) -> None:
        purge = Purge(
            documents=(_original_key(owner, document_id),),
            partitions=(_chunks_pk(owner, document_id),),
        )
        if not self._tombstone("delete_document", _owner_pk(owner), f"DOC#{document_id}", purge):
            raise NotFoundError(f"no document {document_id!r} for owner {owner!r}")
