"""Simulated broker accounts (the paper broker's state) as versioned JSON documents.

The paper broker is the account's own record, kept apart from the ledger so that reconciling
one against the other means something. Its state is saved whole with optimistic concurrency:
a save at a stale version is a `ConflictError` and writes nothing.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_owner, dumps, from_micros


@dataclass(frozen=True)
class BrokerAccount:
    """A simulated account: its `kind` (e.g. paper), its `state` (JSON) and a `version` that
    starts at 1 and increases by one on every save."""

    id: str
    owner: str
    kind: str
    state: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class BrokerAccountRepository(ABC):
    """The owner's simulated broker accounts."""

    def create_broker_account(
        self, owner: str, account_id: str, kind: str, state: Mapping[str, Any]
    ) -> BrokerAccount:
        """Store a new account (version 1); `ConflictError` if the id is taken."""
        check_owner(owner)
        if not account_id or not kind:
            raise ValueError("account_id and kind must be non-empty")
        return self._insert_broker_account(owner, account_id, kind, dumps(dict(state)))

    @abstractmethod
    def _insert_broker_account(
        self, owner: str, account_id: str, kind: str, state: str
    ) -> BrokerAccount:
        """`create_broker_account` after its checks (`state` as JSON)."""

    @abstractmethod
    def get_broker_account(self, owner: str, account_id: str) -> BrokerAccount:
        """The account, or `NotFoundError`."""

    def save_broker_account(
        self, owner: str, account_id: str, state: Mapping[str, Any], *, expected_version: int
    ) -> BrokerAccount:
        """Replace the state if the account is still at `expected_version`."""
        check_owner(owner)
        return self._save_broker_account(owner, account_id, dumps(dict(state)), expected_version)

    @abstractmethod
    def _save_broker_account(
        self, owner: str, account_id: str, state: str, expected_version: int
    ) -> BrokerAccount:
        """`save_broker_account` after its checks (`state` as JSON)."""


def broker_account_from_row(d: Mapping[str, Any]) -> BrokerAccount:
    """The BrokerAccount a stored row or item holds."""
    return BrokerAccount(
        id=d["id"],
        owner=d["owner"],
        kind=d["kind"],
        state=json.loads(d["state"]),
        version=int(d["version"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )
