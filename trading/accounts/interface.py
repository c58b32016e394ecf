"""What a run needs of a deployment's account, by instrument kind. Every account is a
`execution.brokers.base.Broker` (orders by client order id, their fills) that the order queue
(`trading.queue`) sends to and syncs from; an account of shares is also a
`execution.brokers.base.StockBroker` (cash, shares, fractional or not), and an account of
options is an `OptionsAccount`: the account's time, how it prices its options (the model on the
market data's closes), how they settle and which contracts it lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from execution.brokers.base import OptionsBroker
from execution.hedge import ContractLookup, HedgeMarket, Settlement
from execution.ledger import Fill
from trading.hedge_pricing import VolSource


class OptionsAccount(OptionsBroker, Protocol):
    """A deployment's options account as a hedge run uses it: its time, the market its options
    are priced on, how it settles and where its contracts come from."""

    @property
    def now(self) -> datetime | None:
        """The account's time (None before the first `advance`)."""
        ...

    @property
    def settlement(self) -> Settlement:
        """How exercise and expiry settle (`execution.hedge.plan_hedge`)."""
        ...

    @property
    def listed(self) -> ContractLookup | None:
        """The broker's listed contract for a wanted one (None: any contract trades)."""
        ...

    def advance(self, now: datetime) -> list[Fill]:
        """Move the account's time to `now` (never back): what settles and fills meanwhile."""
        ...

    def settle_after(self, after: datetime) -> None:
        """Give the orders just sent their chance to fill (a simulated account moves to the
        first close after `after`; a live broker fills in real time)."""
        ...

    def market(self, underlying: str, at: datetime) -> HedgeMarket:
        """The underlying's closes known at `at`, as the account prices its options."""
        ...

    def pricing(self, underlying: str, at: datetime) -> VolSource:
        """What prices the account's options of `underlying` at the last close known at `at`
        (`trading.hedge_pricing`)."""
        ...

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of the option `symbol` at the last close at or before
        `at`."""
        ...
