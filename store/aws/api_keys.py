"""Api keys in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from store.api_keys import ApiKey, api_key_from_row, hash_api_key
from store.aws.items import _item, _key, _owner_pk
from store.aws.table import AwsTable
from store.common import new_id, to_micros
from store.errors import ConflictError, NotFoundError


class AwsApiKeys(AwsTable):
    """The api keys repository on DynamoDB and S3."""

    def _insert_api_key(
        self, owner: str, name: str, raw_key: str, expires_at: int | None
    ) -> ApiKey:
        digest = hash_api_key(raw_key, self._pepper)
        kid = new_id("key")
        meta: dict[str, Any] = {"id": kid, "owner": owner, "name": name, "created_at": self._now()}
        if expires_at is not None:
            meta["expires_at"] = expires_at
        actions = [
            self._put_new({"pk": f"APIKEY#{digest}", "sk": "-", **meta}),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _item(
                        {"pk": _owner_pk(owner), "sk": f"KEY#{kid}", "key_hash": digest, **meta}
                    ),
                }
            },
        ]
        if self._transact("create_api_key", actions) is not None:
            raise ConflictError("API key collision; try again")
        return api_key_from_row(meta)

    def verify_api_key(self, raw_key: str) -> ApiKey:
        item = self._get("verify_api_key", f"APIKEY#{hash_api_key(raw_key, self._pepper)}", "-")
        if item is None or item.get("revoked_at") is not None:
            raise NotFoundError("unknown, revoked or expired API key")
        if item.get("expires_at") is not None and int(item["expires_at"]) <= self._now():
            raise NotFoundError("unknown, revoked or expired API key")
        return api_key_from_row(item)

    def list_api_keys(self, owner: str) -> list[ApiKey]:
        items = self._query("list_api_keys", _owner_pk(owner), sk_prefix="KEY#")
        return sorted(map(api_key_from_row, items), key=lambda k: (k.created_at, k.id))

    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        now = {":now": {"N": str(self._now())}}
        return self._update_api_key(
            "revoke_api_key", owner, key_id, "SET revoked_at = if_not_exists(revoked_at, :now)", now
        )

    def renew_api_key(self, owner: str, key_id: str, expires_at: datetime) -> ApiKey:
        values = {":at": {"N": str(to_micros(expires_at))}}
        return self._update_api_key(
            "renew_api_key",
            owner,
            key_id,
            "SET expires_at = :at",
            values,
            condition="attribute_not_exists(revoked_at)",
        )

    def _update_api_key(
        self,
        op: str,
        owner: str,
        key_id: str,
        update: str,
        values: dict[str, Any],
        condition: str | None = None,
    ) -> ApiKey:
        """Apply `update` to both items of the owner's key (its owner item and its hash item),
        in one transaction; `NotFoundError` when the key is missing or `condition` fails."""
        item = self._get(op, _owner_pk(owner), f"KEY#{key_id}")
        if item is None or (condition is not None and item.get("revoked_at") is not None):
            raise NotFoundError(f"no such API key {key_id!r} for owner {owner!r}")
        actions = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(pk, sk),
                    "UpdateExpression": update,
                    "ExpressionAttributeValues": values,
                    **({"ConditionExpression": condition} if condition else {}),
                }
            }
            for pk, sk in ((_owner_pk(owner), f"KEY#{key_id}"), (f"APIKEY#{item['key_hash']}", "-"))
        ]
        if self._transact(op, actions) is not None:
            raise NotFoundError(f"no such API key {key_id!r} for owner {owner!r}")
        updated = self._get(op, _owner_pk(owner), f"KEY#{key_id}")
        return api_key_from_row(updated or item)
