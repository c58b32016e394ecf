"""Ledger exports in the AWS store: the bytes in S3 at
`exports/<owner>/<deployment id>/<export id>.<format>` (the store's bucket, so its encryption),
the metadata item `OWNER#<owner>` / `EXP#<export id>` in the table.

`create_export` uploads the object first and writes the item second, so an item never lists a
missing object; a failed item write leaves at worst an orphan object (it is deleted when a
consistent read shows the item absent: a timed-out write may have landed).
`delete_export` marks the item deleted (a tombstone, hidden at once), and the purge deletes the
object, then the item (`store.aws.tombstones`).
"""

from __future__ import annotations

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.aws.tombstones import Purge
from store.errors import NotFoundError
from store.exports import EXPORT_MEDIA_TYPES, Export, export_from_row, export_to_row


def _export_key(export: Export) -> str:
    return f"exports/{export.owner}/{export.deployment_id}/{export.id}.{export.format}"


class AwsExports(AwsTable):
    """The exports repository on DynamoDB and S3."""

    def _insert_export(self, export: Export, data: bytes) -> None:
        record = {"pk": _owner_pk(export.owner), "sk": f"EXP#{export.id}", **export_to_row(export)}
        self._put_object_then_item(
            "create_export", _export_key(export), data, EXPORT_MEDIA_TYPES[export.format], record
        )

    def get_export(self, owner: str, export_id: str) -> Export:
        item = self._owned_item("get_export", owner, f"EXP#{export_id}", f"export {export_id!r}")
        return export_from_row(item)

    def export_bytes(self, owner: str, export_id: str) -> bytes:
        export = self.get_export(owner, export_id)  # NotFoundError for another owner's
        return self._object_bytes("export_bytes", _export_key(export), f"export {export_id}")

    def list_exports(self, owner: str, deployment_id: str) -> list[Export]:
        # an owner's exports of every deployment share the prefix: filtered here
        items = self._query("list_exports", _owner_pk(owner), sk_prefix="EXP#")
        found = [export_from_row(i) for i in items if i["deployment_id"] == deployment_id]
        return sorted(found, key=lambda e: (e.created_at, e.id))

    def delete_export(self, owner: str, export_id: str) -> None:
        export = self.get_export(owner, export_id)
        purge = Purge(results=(_export_key(export),))
        if not self._tombstone("delete_export", _owner_pk(owner), f"EXP#{export_id}", purge):
            raise NotFoundError(f"no export {export_id!r} for owner {owner!r}")
