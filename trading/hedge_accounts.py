"""A deployment's hedge: its options account (`hedge-<deployment id>`), kept in the store for
the paper broker, and its option ledger (the book of the same name). `HedgeAccount` is what a
hedge run needs of any broker's options account (the paper one here; Alpaca's in
`trading.hedge_brokers`).

The paper options account (`execution.brokers.paper_options`) is written through like the
deployment's paper stock account: every order, fill, settlement and cancel is saved before the
call returns, guarded by the account's version (`ConflictError` when two workers change it at
once). Its closes are the market data's closes of the hedge underlying.

The option ledger stores each trade and settlement as a ledger entry of kind `fill`: `symbol`
the OCC symbol, `quantity` contracts, `price` per share (x 100 per contract), `fee`, `order_id`
and `note` "option <event>" (trade, exercise, assignment, expiry). Appends are idempotent by
entry id, as for shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from execution.brokers.base import BrokerOrder, OptionOrderRequest, OptionsBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError
from execution.hedge import ContractLookup, HedgeMarket, Settlement
from execution.option_ledger import OPTION_EVENTS, OptionBook, OptionFill
from quant.options import ImpliedVolModel
from store import Deployment, LedgerEntry, NotFoundError, Store
from store.ledger import MAX_ENTRIES_PER_APPEND

NOTE_PREFIX = "option "
PAPER_OPTIONS_KIND = "paper_options"


def hedge_account(deployment: Deployment) -> str:
    """The account (and ledger book) of a deployment's hedge."""
    return f"hedge-{deployment.id}"


def hedge_spec(deployment: Deployment) -> dict[str, Any]:
    """The deployment's `hedge` settings (underlying, vol_model), empty without a hedge."""
    return dict(deployment.spec.get("hedge") or {})


def vol_model_of(deployment: Deployment) -> ImpliedVolModel:
    """The implied-volatility model the deployment's hedge is priced with."""
    return spec_vol_model(deployment.spec)


def spec_vol_model(spec: Mapping[str, Any]) -> ImpliedVolModel:
    """The implied-volatility model of a deployment spec's `hedge` (the defaults without one)."""
    return ImpliedVolModel.model_validate((spec.get("hedge") or {}).get("vol_model") or {})


class HedgeBroker(OptionsBroker, Protocol):
    """An options broker whose trades and settlements can be read back (`option_fills`)."""

    def option_fills(self, since: datetime | None = None) -> list[OptionFill]:
        """Trades and settlements at or after `since`, oldest first."""
        ...


class HedgeAccount(HedgeBroker, Protocol):
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

    def advance(self, now: datetime) -> list[OptionFill]:
        """Move the account's time to `now` (never back): what settles and fills meanwhile."""
        ...

    def settle_after(self, after: datetime) -> None:
        """Give the orders just sent their chance to fill (a simulated account moves to the
        first close after `after`; a live broker fills in real time)."""
        ...

    def market(self, underlying: str, at: datetime) -> HedgeMarket:
        """The underlying's closes known at `at`, as the account prices its options."""
        ...

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of the option `symbol` at the last close at or before
        `at`."""
        ...


class StoredPaperOptionsAccount:
    """The paper options account of `deployment` over `closes` (the hedge underlying's),
    saved in `store` after each change; created with `settings` the first time."""

    name = "paper"

    def __init__(
        self,
        store: Store,
        deployment: Deployment,
        closes: pd.DataFrame,
        settings: PaperOptionsSettings | None = None,
    ) -> None:
        self._store, self._owner = store, deployment.owner
        self._account = hedge_account(deployment)
        try:
            stored = store.get_broker_account(self._owner, self._account)
        except NotFoundError:
            safe_rate = float(deployment.spec["strategy"].get("safe_rate", 0.0))
            calendar = str(deployment.spec["schedule"].get("calendar") or "XNYS")
            empty = PaperOptionsBroker(
                closes,
                settings or PaperOptionsSettings(safe_rate=safe_rate, calendar=calendar),
                vol_model_of(deployment),
            )
            stored = store.create_broker_account(
                self._owner, self._account, PAPER_OPTIONS_KIND, empty.state()
            )
        self.broker = PaperOptionsBroker.restore(closes, stored.state)
        self._version = stored.version

    def _save(self) -> None:
        saved = self._store.save_broker_account(
            self._owner, self._account, self.broker.state(), expected_version=self._version
        )
        self._version = saved.version

    @property
    def now(self) -> datetime | None:
        """The account's time."""
        return self.broker.now

    @property
    def settlement(self) -> Settlement:
        """The paper account settles exercise and expiry in cash."""
        return "cash"

    @property
    def listed(self) -> ContractLookup | None:
        """Any contract trades on the paper account."""
        return None

    def market(self, underlying: str, at: datetime) -> HedgeMarket:
        """The underlying's closes known at `at`, as the account prices them."""
        return self.broker.market(underlying, at)

    def settle_after(self, after: datetime) -> None:
        """Let the account's orders fill: move it to the first close after `after`, once the
        market data has it (past its end nothing fills and the orders stay working)."""
        close = self.broker.next_close(after)
        if close is not None:
            self.advance(close)

    def options_level(self) -> int:
        """The account's approved options level."""
        return self.broker.options_level()

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol (negative: short)."""
        return self.broker.option_positions()

    def option_fills(self, since: datetime | None = None) -> list[OptionFill]:
        """Trades and settlements at or after `since`, oldest first."""
        return self.broker.option_fills(since)

    def option_order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        return self.broker.option_order(client_order_id)

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of `symbol` at the last close at or before `at`."""
        return self.broker.mark(symbol, at)

    def submit_option(self, request: OptionOrderRequest) -> BrokerOrder:
        """Place the order (or return the one placed under its id), saved."""
        try:
            return self.broker.option_order(request.client_order_id)
        except BrokerRejectedError:
            pass  # not placed yet
        placed = self.broker.submit_option(request)
        self._save()
        return placed

    def cancel_option(self, client_order_id: str) -> BrokerOrder:
        """Cancel the unfilled rest of an order, saved."""
        canceled = self.broker.cancel_option(client_order_id)
        self._save()
        return canceled

    def advance(self, now: datetime) -> list[OptionFill]:
        """Move the account's time to `now` (never back), saved: what settles and fills."""
        if self.now is not None and now <= self.now:
            return []
        fills = self.broker.advance(now)
        self._save()
        return fills


def to_entry(fill: OptionFill) -> LedgerEntry:
    """The stored form of an option trade or settlement."""
    return LedgerEntry(
        entry_id=fill.fill_id,
        kind="fill",
        time=fill.time,
        symbol=fill.symbol,
        side=fill.side,
        quantity=float(fill.contracts),
        price=fill.price,
        fee=fill.fee,
        order_id=fill.order_id,
        note=f"{NOTE_PREFIX}{fill.event}",
    )


def from_entry(entry: LedgerEntry) -> OptionFill:
    """The option trade or settlement a stored entry holds."""
    event = entry.note.removeprefix(NOTE_PREFIX)
    if event not in OPTION_EVENTS or entry.kind != "fill":
        raise ValueError(f"ledger entry {entry.entry_id} is not an option entry")
    assert entry.symbol and entry.side and entry.order_id
    assert entry.quantity is not None and entry.price is not None and entry.fee is not None
    return OptionFill(
        entry.entry_id,
        entry.order_id,
        entry.symbol,
        event,
        entry.side,
        round(entry.quantity),
        entry.price,
        entry.fee,
        entry.time,
    )


@dataclass
class HedgeLedger:
    """The option ledger of a deployment's hedge (`book_id`: its hedge account), the
    `OptionBook` its entries add up to and `filled`, the contracts its trades hold per order
    id."""

    store: Store
    owner: str
    book_id: str
    book: OptionBook = field(init=False)
    entry_ids: set[str] = field(init=False)
    last_time: datetime | None = field(init=False, default=None)
    filled: dict[str, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        fills = [from_entry(e) for e in self.store.ledger(self.owner, self.book_id)]
        self.book = OptionBook.replay(fills)
        self.entry_ids = {f.fill_id for f in fills}
        self.last_time = max((f.time for f in fills), default=None)
        for fill in fills:
            if fill.event == "trade":
                self.filled[fill.order_id] = self.filled.get(fill.order_id, 0) + fill.contracts

    def record(self, fills: Iterable[OptionFill]) -> list[OptionFill]:
        """Append the fills not yet in the ledger (in chunks, each atomic and idempotent) and
        apply them to the book; the new ones."""
        new = self.new_fills(fills)
        for start in range(0, len(new), MAX_ENTRIES_PER_APPEND):
            chunk = new[start : start + MAX_ENTRIES_PER_APPEND]
            self.store.append_ledger(self.owner, self.book_id, [to_entry(f) for f in chunk])
        self.applied(new)
        return new

    def new_fills(self, fills: Iterable[OptionFill]) -> list[OptionFill]:
        """The fills the ledger does not hold yet (each once)."""
        new: dict[str, OptionFill] = {}
        for fill in fills:
            if fill.fill_id not in self.entry_ids:
                new.setdefault(fill.fill_id, fill)
        return list(new.values())

    def applied(self, new: Iterable[OptionFill]) -> None:
        """Apply fills just written to the store (`new_fills` of them) to the book."""
        for fill in sorted(new, key=lambda f: f.time):
            self.book.apply(fill)
            self.entry_ids.add(fill.fill_id)
            if fill.event == "trade":
                self.filled[fill.order_id] = self.filled.get(fill.order_id, 0) + fill.contracts
            if self.last_time is None or fill.time > self.last_time:
                self.last_time = fill.time
