"""Simulated broker accounts in the AWS store: items `OWNER#<owner>` / `BROKER#<id>` with
`version` for optimistic concurrency."""

from __future__ import annotations

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.broker_accounts import BrokerAccount, broker_account_from_row
from store.errors import ConflictError, version_conflict


class AwsBrokerAccounts(AwsTable):
    """Simulated broker accounts on DynamoDB."""

    def _insert_broker_account(
        self, owner: str, account_id: str, kind: str, state: str
    ) -> BrokerAccount:
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"BROKER#{account_id}",
            "id": account_id,
            "owner": owner,
            "kind": kind,
            "state": state,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        if not self._put_if_absent("create_broker_account", record):
            raise ConflictError(f"broker account {account_id} exists")
        return broker_account_from_row(record)

    def get_broker_account(self, owner: str, account_id: str) -> BrokerAccount:
        item = self._owned_item(
            "get_broker_account", owner, f"BROKER#{account_id}", f"broker account {account_id!r}"
        )
        return broker_account_from_row(item)

    def _save_broker_account(
        self, owner: str, account_id: str, state: str, expected_version: int
    ) -> BrokerAccount:
        item = self._update(
            "save_broker_account",
            _owner_pk(owner),
            f"BROKER#{account_id}",
            "SET #state = :state, version = version + :one, updated_at = :now",
            "attribute_exists(pk) AND version = :ev",
            {":state": state, ":one": 1, ":now": self._now(), ":ev": expected_version},
            {"#state": "state"},
        )
        if item is None:
            current = self.get_broker_account(owner, account_id)
            raise version_conflict(f"broker account {account_id}", current, expected_version)
        return broker_account_from_row(item)
