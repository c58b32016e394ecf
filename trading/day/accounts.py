"""The accounts deployments trade, as the trading day sees them: each owner's broker account
(`trading.deployments.account_of`: `paper-<id>`, `alpaca-<n>`, or an account several
deployments share) with the deployments that trade it (its members: strategies), and whether it
has opened (a paper account exists once its first run funded it; an Alpaca account once a
member's first run recorded its opening). An owner's accounts (`owner_accounts`, what the API
lists) also hold the accounts of the forward tests of several deployments together
(`trading.forward_tests.account`), after the others: their netting, analytics and tearsheets
read as a live account's; the scheduler never looks after them (`traded_accounts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from store import Deployment, NotFoundError, Store
from trading.deployments import (
    NOT_RETIRED,
    BrokerName,
    account_of,
    broker_of,
    calendar_of,
    is_forward_test,
    is_shared,
)

TRADED_STATUSES = ("active", "paused")
"""The statuses of the deployments whose accounts the trading day looks after."""


@dataclass(frozen=True)
class TradedAccount:
    """An owner's broker `account` and its `members` (the deployments trading it, oldest
    first), on `broker`."""

    owner: str
    account: str
    broker: BrokerName
    members: tuple[Deployment, ...]

    @property
    def calendar(self) -> str:
        """The exchange calendar of the account's sessions (its first member's schedule's)."""
        return calendar_of(self.members[0].spec)

    @property
    def universe(self) -> list[str]:
        """Every symbol a member trades, sorted."""
        return sorted({s for m in self.members for s in m.spec["universe"]})

    def opened(self, store: Store) -> bool:
        """Whether the account exists at the broker yet (see the module docstring)."""
        if self.broker == "alpaca":
            return any("account_opening" in m.spec for m in self.members)
        try:
            store.get_broker_account(self.owner, self.account)
        except NotFoundError:
            return False
        return True

    def to_json(self) -> dict[str, object]:
        """The account as the API lists it."""
        return {
            "account": self.account,
            "broker": self.broker,
            "calendar": self.calendar,
            "shared": any(is_shared(m) for m in self.members),
            "deployments": [{"id": m.id, "name": m.name, "status": m.status} for m in self.members],
        }


def group_accounts(
    deployments: Iterable[Deployment], *, forward_tests: bool = False
) -> list[TradedAccount]:
    """`deployments` grouped by owner and account, in the order of each account's first
    deployment: forward tests left out, or with `forward_tests` only the forward tests of
    several deployments together (on an account they share)."""
    grouped: dict[tuple[str, str], list[Deployment]] = {}
    for deployment in deployments:
        wanted = (
            is_forward_test(deployment) and is_shared(deployment)
            if forward_tests
            else (not is_forward_test(deployment))
        )
        if wanted:
            grouped.setdefault((deployment.owner, account_of(deployment)), []).append(deployment)
    return [
        TradedAccount(owner, account, broker_of(members[0]), tuple(members))
        for (owner, account), members in grouped.items()
    ]


def traded_accounts(store: Store) -> list[TradedAccount]:
    """Every owner's accounts with a deployment active or paused (the scheduler's view)."""
    deployments = [
        d for status in TRADED_STATUSES for d in store.deployments_by_status(status, limit=10_000)
    ]
    return group_accounts(sorted(deployments, key=lambda d: (d.created_at, d.id)))


def owner_accounts(store: Store, owner: str) -> list[TradedAccount]:
    """The owner's accounts of deployments not retired, then of retired ones (their history
    stays readable), then those of forward tests of several deployments together."""
    deployments = store.list_deployments(owner)
    live = [d for d in deployments if d.status in NOT_RETIRED]
    accounts = group_accounts(live)
    known = {a.account for a in accounts}
    retired = group_accounts(d for d in deployments if d.status not in NOT_RETIRED)
    return (
        accounts
        + [a for a in retired if a.account not in known]
        + group_accounts(deployments, forward_tests=True)
    )


def owner_account(store: Store, owner: str, account: str) -> TradedAccount:
    """The owner's `account`, or `NotFoundError` (also for another owner's)."""
    for found in owner_accounts(store, owner):
        if found.account == account:
            return found
    raise NotFoundError(f"no account {account!r} for owner {owner!r}")
