"""A deployment's paper account kept in the store, written through: every order it takes,
every fill it makes and every cancel is saved before the call returns, as a real broker keeps
its own records. A worker that dies at any point leaves the account as the broker left it, so
the next worker never finds a ledger or an order the account does not know, and the account's
idempotent client order ids keep a retried run from trading twice.

Saves are guarded by the account's version: two workers changing one account at once cannot
both win (`ConflictError`: the run is retried).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from execution.brokers.base import AccountState, BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker, PaperCosts
from execution.errors import BrokerRejectedError
from execution.ledger import CashFlow, Fill
from store import Deployment, NotFoundError, Store
from trading.rebalancing import account_of


class StoredPaperAccount:
    """The paper broker of `deployment` over `closes`, saved in `store` after each change."""

    name = "paper"

    def __init__(self, store: Store, deployment: Deployment, closes: pd.DataFrame) -> None:
        self._store = store
        self._owner = deployment.owner
        self._account = account_of(deployment)
        try:
            stored = store.get_broker_account(self._owner, self._account)
        except NotFoundError:
            empty = PaperBroker(closes, fill_at="close", costs=PaperCosts(), fractional=True)
            stored = store.create_broker_account(self._owner, self._account, "paper", empty.state())
        self._broker = PaperBroker.restore(closes, stored.state)
        self._version = stored.version
        self.fractional = self._broker.fractional

    @property
    def now(self) -> datetime | None:
        """The account's time: the last time it was advanced to (None before)."""
        return self._broker.now

    def _save(self) -> None:
        saved = self._store.save_broker_account(
            self._owner, self._account, self._broker.state(), expected_version=self._version
        )
        self._version = saved.version

    def account(self) -> AccountState:
        """Cash and shares held."""
        return self._broker.account()

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        return self._broker.order(client_order_id)

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's fills (after `since`), oldest first."""
        return self._broker.fills(since)

    def open_orders(self) -> list[BrokerOrder]:
        """Orders not yet final, in submission order."""
        return self._broker.open_orders()

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place the order (or return the one placed under its id), saved."""
        try:
            return self._broker.order(request.client_order_id)
        except BrokerRejectedError:
            pass  # not placed yet
        placed = self._broker.submit(request)
        self._save()
        return placed

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel the unfilled rest of an order, saved."""
        canceled = self._broker.cancel(client_order_id)
        self._save()
        return canceled

    def advance(self, now: datetime) -> list[Fill]:
        """Move the account's time to `now` (never back), filling what the bars fill, saved."""
        if self.now is not None and now <= self.now:
            return []
        fills = self._broker.advance(now)
        self._save()
        return fills

    def fund(self, capital: float, when: datetime) -> CashFlow:
        """Deposit `capital` at `when` into an account never funded before (saved); the first
        deposit (made now, or earlier)."""
        flows = self._broker.cash_flows()
        if flows:
            return flows[0]
        self.advance(when)
        flow = self._broker.deposit(capital, when)
        self._save()
        return flow
