"""The purge of the AWS store: what owners deleted, removed for good (see
`store.aws.tombstones`); the one place of the store that deletes items and objects besides the
retention (`store.aws.retention`, `store.aws.snapshots`), both run by the cleanup function."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from store.aws.documents import AwsDocuments
from store.aws.items import _av, _key, _plain
from store.aws.table import DELETED
from store.aws.tombstones import PURGE_INDEX, Purge
from store.errors import StoreError

log = logging.getLogger("store.aws.purge")


class AwsPurge(AwsDocuments):
    """`Store.purge_deleted` on DynamoDB and S3."""

    def purge_deleted(self, limit: int = 500) -> int:
        tombstones = self._call(
            "purge_deleted",
            self.ddb.query,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": PURGE_INDEX}},
            Limit=limit,
        )
        purged = 0
        for key in map(_plain, tombstones.get("Items", [])):
            try:
                purged += self._purge_one(key["pk"], key["sk"])
            except StoreError as exc:  # left for the next run: hidden, never resurrected
                log.warning(
                    "the purge of %s / %s failed (the next purge retries it): %s",
                    key["pk"],
                    key["sk"],
                    exc,
                )
        return purged

    def _purge_one(self, pk: str, sk: str) -> int:
        """Remove what the tombstone `pk`/`sk` names, then the tombstone if unchanged; 1 when
        it was removed, 0 when it is gone or was replaced meanwhile (the index lags)."""
        item = self._get("purge_deleted", pk, sk, deleted=True)
        if item is None or DELETED not in item:
            return 0
        purge = Purge.from_json(item.get("purge"))
        for s3_key in purge.results:
            self._call("purge_deleted", self.s3.delete_object, Bucket=self.bucket, Key=s3_key)
        for s3_key in purge.documents:
            self._delete_all_versions("purge_deleted", s3_key)
        for s3_key in purge.models:
            self._call(
                "purge_deleted",
                self.s3.delete_object,
                Bucket=self.model_artifacts_bucket,
                Key=s3_key,
            )
        for partition in purge.partitions:
            items = self._query("purge_deleted", partition, deleted=True)
            self._batch_delete("purge_deleted", [(i["pk"], i["sk"]) for i in items])
        if purge.checkpoints:
            self._delete_checkpoints(purge.checkpoints)
        return int(self._delete_tombstone(pk, sk, item[DELETED]))

    def _delete_checkpoints(self, thread_ids: tuple[str, ...]) -> None:
        """Delete every checkpoint (and pending write) of the LangGraph threads `thread_ids`
        (`AwsTable.delete_checkpoints`)."""
        if self.delete_checkpoints is None:
            raise StoreError("the store was opened without a way to delete checkpoints")
        try:
            self.delete_checkpoints(thread_ids)
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(f"the checkpoints of {thread_ids} were not deleted: {exc}") from exc

    def _delete_tombstone(self, pk: str, sk: str, deleted_at: int) -> bool:
        """Delete the tombstone `pk`/`sk` if it is still the one deleted at `deleted_at`."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(pk, sk),
            "ConditionExpression": "#del = :del",
            "ExpressionAttributeNames": {"#del": DELETED},
            "ExpressionAttributeValues": {":del": _av(deleted_at)},
        }
        try:
            self._call("purge_deleted", self.ddb.delete_item, **kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
