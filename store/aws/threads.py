"""Threads in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

import uuid
from typing import Any

from store.aws.items import _item, _owner_pk
from store.aws.table import AwsTable
from store.aws.tombstones import Purge
from store.common import new_id
from store.errors import ConflictError, NotFoundError
from store.threads import ChatThread, checkpoint_thread, thread_from_row


class AwsThreads(AwsTable):
    """The threads repository on DynamoDB and S3."""

    def _insert_thread(self, owner: str, title: str, thread_id: str | None) -> ChatThread:
        tid = thread_id or new_id("th")
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"TH#{tid}",
            "id": tid,
            "owner": owner,
            "title": title,
            "created_at": now,
            "updated_at": now,
            # this incarnation's own checkpoints: the id is free again at once after a delete,
            # before the purge deletes the deleted thread's (`Purge.checkpoints`)
            "checkpoint": checkpoint_thread(tid, uuid.uuid4().hex[:16]),
        }
        if thread_id is None:
            self._call("create_thread", self.ddb.put_item, TableName=self.table, Item=_item(record))
        elif not self._put_if_absent("create_thread", record):
            raise ConflictError(f"thread {thread_id!r} exists")
        return thread_from_row(record)

    def touch_thread(self, owner: str, thread_id: str, *, title: str | None = None) -> ChatThread:
        values: dict[str, Any] = {":now": self._now()}
        update = "SET updated_at = :now"
        if title is not None:
            update += ", title = :t"
            values[":t"] = title
        item = self._update(
            "touch_thread",
            _owner_pk(owner),
            f"TH#{thread_id}",
            update,
            "attribute_exists(pk)",
            values,
        )
        if item is None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return thread_from_row(item)

    def get_thread(self, owner: str, thread_id: str) -> ChatThread:
        item = self._get("get_thread", _owner_pk(owner), f"TH#{thread_id}")
        if item is None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return thread_from_row(item)

    def _list_threads(self, owner: str, limit: int) -> list[ChatThread]:
        items = self._query("list_threads", _owner_pk(owner), sk_prefix="TH#")
        threads = sorted(
            map(thread_from_row, items), key=lambda t: (t.updated_at, t.id), reverse=True
        )
        return threads[:limit]

    def delete_thread(self, owner: str, thread_id: str) -> None:
        """Tombstone the thread and, in the same transaction, put a purge record naming its
        conversation's checkpoints (this incarnation's key, `ChatThread.checkpoint`; the
        thread's tombstone itself is replaced when its id is taken again): the purge deletes
        them. Only if the thread still has that key."""
        pk, sk = _owner_pk(owner), f"TH#{thread_id}"
        item = self._get("delete_thread", pk, sk)
        if item is None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        same: tuple[str, dict[str, str], dict[str, Any]] = (
            ("#ck = :ck", {"#ck": "checkpoint"}, {":ck": item["checkpoint"]})
            if "checkpoint" in item
            else ("attribute_not_exists(#ck)", {"#ck": "checkpoint"}, {})
        )
        conversation = Purge(checkpoints=(thread_from_row(item).checkpoint,))
        actions = [
            self._tombstone_action(pk, sk, also=same),
            {"Put": {"TableName": self.table, "Item": _item(self._purge_record(pk, conversation))}},
        ]
        if self._transact("delete_thread", actions) is not None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
