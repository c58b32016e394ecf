"""Threads in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.aws.table import AwsTable, _item, _owner_pk
from store.common import new_id
from store.errors import ConflictError, NotFoundError
from store.threads import ChatThread, thread_from_row


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
        if not self._delete("delete_thread", _owner_pk(owner), f"TH#{thread_id}"):
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
