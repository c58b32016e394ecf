"""Simulated broker accounts in the AWS store: items `OWNER#<owner>` / `BROKER#<id>` with
`version` for optimistic concurrency."""

from __future__ import annotations

from botocore.exceptions import ClientError

from store.aws.table import AwsTable, _item, _owner_pk
from store.broker_accounts import BrokerAccount, broker_account_from_row
from store.errors import ConflictError, NotFoundError


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
        try:
            self._call(
                "create_broker_account",
                self.ddb.put_item,
                TableName=self.table,
                Item=_item(record),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise ConflictError(f"broker account {account_id} exists") from None
        return broker_account_from_row(record)

    def get_broker_account(self, owner: str, account_id: str) -> BrokerAccount:
        item = self._get("get_broker_account", _owner_pk(owner), f"BROKER#{account_id}")
        if item is None:
            raise NotFoundError(f"no broker account {account_id!r} for owner {owner!r}")
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
            raise ConflictError(
                f"broker account {account_id} is at version {current.version}, "
                f"not {expected_version}",
                current=current,
            )
        return broker_account_from_row(item)
