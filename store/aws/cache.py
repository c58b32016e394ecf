"""Cache in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from store.aws.items import _av, _item, _key
from store.aws.table import AwsTable
from store.common import to_micros


class AwsCache(AwsTable):
    """The cache repository on DynamoDB and S3."""

    def cache_get(self, owner: str, key: str) -> Any | None:
        item = self._get("cache_get", f"CACHE#{owner}#{key}", "-")
        if item is None or item["expires_at"] <= self._now():
            return None
        return json.loads(item["value"])

    def _put_cache(self, owner: str, key: str, value: str, ttl_seconds: float) -> None:
        record = self._cache_record(owner, key, value, ttl_seconds)
        self._call("cache_put", self.ddb.put_item, TableName=self.table, Item=_item(record))

    def _cache_record(self, owner: str, key: str, value: str, ttl_seconds: float) -> dict[str, Any]:
        expires = self.clock() + timedelta(seconds=ttl_seconds)
        return {
            "pk": f"CACHE#{owner}#{key}",
            "sk": "-",
            "owner": owner,
            "value": value,
            "expires_at": to_micros(expires),
            "ttl": math.ceil(expires.timestamp()),
        }

    def _hold_lease(self, owner: str, key: str, holder: str, seconds: float) -> bool:
        try:
            self._call(
                "hold_lease",
                self.ddb.put_item,
                TableName=self.table,
                Item=_item(self._cache_record(owner, key, holder, seconds)),
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now OR #v = :h",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={":now": _av(self._now()), ":h": _av(holder)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _release_lease(self, owner: str, key: str, holder: str) -> None:
        """Expire the lease now, if `holder` holds it: readers treat an expired entry as absent
        (`cache_get`, `_hold_lease`) and DynamoDB's TTL deletes it later."""
        now = self.clock()
        try:
            self._call(
                "release_lease",
                self.ddb.update_item,
                TableName=self.table,
                Key=_key(f"CACHE#{owner}#{key}", "-"),
                UpdateExpression="SET expires_at = :now, #ttl = :ttl",
                ConditionExpression="#v = :h",
                ExpressionAttributeNames={"#v": "value", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":h": _av(holder),
                    ":now": _av(to_micros(now)),
                    ":ttl": _av(math.ceil(now.timestamp())),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
