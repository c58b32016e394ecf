"""Cache in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

from store.aws.table import AwsTable, _item
from store.common import to_micros


class AwsCache(AwsTable):
    """The cache repository on DynamoDB and S3."""

    def cache_get(self, owner: str, key: str) -> Any | None:
        item = self._get("cache_get", f"CACHE#{owner}#{key}", "-")
        if item is None or item["expires_at"] <= self._now():
            return None
        return json.loads(item["value"])

    def _put_cache(self, owner: str, key: str, value: str, ttl_seconds: float) -> None:
        expires = self.clock() + timedelta(seconds=ttl_seconds)
        record = {
            "pk": f"CACHE#{owner}#{key}",
            "sk": "-",
            "owner": owner,
            "value": value,
            "expires_at": to_micros(expires),
            "ttl": math.ceil(expires.timestamp()),
        }
        self._call("cache_put", self.ddb.put_item, TableName=self.table, Item=_item(record))
