"""A book's ledger as the store keeps it, for fills of either instrument kind, and the
reconciliation of a ledger against the broker's account.

A deployment has two books: its stock account's (the book named by the deployment's id: the
capital's cash flow and the fills of shares) and, with a hedge, its options account's
(`hedge-<deployment id>`: option trades and settlements). One entry mapping stores both
(`to_entry`, `from_entry`): a fill is an entry of kind `fill` (`symbol`, `side`, `quantity` in
shares or contracts, `price` per share, `fee`, `order_id`); an option's carries the note
"option <event>" (trade, exercise, assignment, expiry); a cash flow is an entry of kind
`cash_flow` (`amount`, `note`). Appends are idempotent by entry id.

`Ledger` loads a book's entries once and then applies what it appends, so a long run (a forward
test) never reads its whole ledger again. `AccountLedger` is the ledger of an account several
deployments share: one `Ledger` per deployment (its strategy lots), the account's fills split
over them (`execution.netting`: by each order's allocations; its interest is each book's own,
`trading.accounts.interest`), every item's slices written together in one atomic write; an
item is new while no book holds a slice of it. Reconciliation compares shares per symbol and cash: a
difference above `POSITION_TOLERANCE` shares or `CASH_TOLERANCE` (currency) is a mismatch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from execution.brokers.base import AccountState
from execution.errors import LedgerError
from execution.ledger import FILL_EVENTS, Book, CashFlow, Fill
from execution.netting import attribute_fill, crossing_fills, slice_id
from store import LedgerEntry, NotFoundError, QueuedOrder, Store
from store.ledger import MAX_ENTRIES_PER_APPEND

logger = logging.getLogger("stratigos.execution")

POSITION_TOLERANCE = 1e-6
CASH_TOLERANCE = 0.01
OPTION_NOTE = "option "
"""The note of an option's entry starts with this, followed by its event."""


def to_entry(item: Fill | CashFlow) -> LedgerEntry:
    """The stored form of a fill or cash flow."""
    if isinstance(item, CashFlow):
        return LedgerEntry(item.flow_id, "cash_flow", item.time, amount=item.amount, note=item.note)
    return LedgerEntry(
        entry_id=item.fill_id,
        kind="fill",
        time=item.time,
        symbol=item.symbol,
        side=item.side,
        quantity=float(item.quantity),
        price=item.price,
        fee=item.fee,
        order_id=item.order_id,
        note=f"{OPTION_NOTE}{item.event}" if item.kind == "option" else "",
    )


def from_entry(entry: LedgerEntry) -> Fill | CashFlow:
    """The fill or cash flow a stored entry holds."""
    if entry.kind == "cash_flow":
        assert entry.amount is not None
        return CashFlow(entry.entry_id, entry.amount, entry.time, entry.note)
    assert entry.symbol and entry.side and entry.order_id
    assert entry.quantity is not None and entry.price is not None and entry.fee is not None
    event = entry.note.removeprefix(OPTION_NOTE) if entry.note.startswith(OPTION_NOTE) else "trade"
    if event not in FILL_EVENTS:
        raise ValueError(f"ledger entry {entry.entry_id} has an unknown note {entry.note!r}")
    return Fill(
        entry.entry_id,
        entry.order_id,
        entry.symbol,
        entry.side,
        entry.quantity,
        entry.price,
        entry.fee,
        entry.time,
        event,
    )


@dataclass
class Ledger:
    """The ledger of `book_id` (owned by `owner`): its entries in the store and the `Book` they
    add up to; `opened_at` is the time of its first entry (None while empty), `last_fill_time`
    that of its last fill, `last_interest_time` that of the last interest its cash earned,
    `fill_count` its fills, `interest` the interest its cash earned in all (currency), and
    `filled` the quantity its trades hold per order id. It remembers what each entry did to its
    cash and when, so that `cash_before` can say what the cash was before a time (a shared
    account's interest, `trading.accounts.interest`); `forget_cash_moves` lets go of what is no
    longer asked."""

    store: Store
    owner: str
    book_id: str
    book: Book = field(init=False)
    entry_ids: set[str] = field(init=False)
    last_fill_time: datetime | None = field(init=False, default=None)
    last_interest_time: datetime | None = field(init=False, default=None)
    fill_count: int = field(init=False, default=0)
    interest: float = field(init=False, default=0.0)
    opened_at: datetime | None = field(init=False, default=None)
    filled: dict[str, float] = field(init=False, default_factory=dict)
    _cash_moves: list[tuple[datetime, float]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        entries = [from_entry(e) for e in self.store.ledger(self.owner, self.book_id)]
        self.book = Book.replay(entries)
        self.entry_ids = set()
        self._note(entries)

    def record(self, items: Iterable[Fill | CashFlow]) -> list[Fill | CashFlow]:
        """Append the items not yet in the ledger (in chunks, each atomic and idempotent) and
        apply them to the book; returns the new ones."""
        new = self.new_items(items)
        for start in range(0, len(new), MAX_ENTRIES_PER_APPEND):
            chunk = new[start : start + MAX_ENTRIES_PER_APPEND]
            self.store.append_ledger(self.owner, self.book_id, [to_entry(i) for i in chunk])
        self.applied(new)
        return new

    def entries_for(self, new: Sequence[Fill | CashFlow]) -> list[tuple[str, LedgerEntry]]:
        """The stored entries of `new` items (`new_items`), each with its book."""
        return [(self.book_id, to_entry(item)) for item in new]

    def new_items(self, items: Iterable[Fill | CashFlow]) -> list[Fill | CashFlow]:
        """The items the ledger does not hold yet (each once), in time order."""
        new: dict[str, Fill | CashFlow] = {}
        for item in items:
            if _entry_id(item) not in self.entry_ids:
                new.setdefault(_entry_id(item), item)
        return sorted(new.values(), key=lambda item: item.time)

    def applied(self, new: Iterable[Fill | CashFlow]) -> None:
        """Apply items just written to the store (`new_items` of them) to the book."""
        items = list(new)
        for item in items:
            self.book.apply(item)
        self._note(items)

    def cash_before(self, time: datetime) -> float:
        """The book's cash before its entries at or after `time` (those `forget_cash_moves`
        let go of are taken to be before it)."""
        return self.book.cash - sum(delta for at, delta in self._cash_moves if at >= time)

    def forget_cash_moves(self, until: datetime) -> None:
        """Let go of the cash moves at or before `until` (`cash_before` is asked only of later
        times)."""
        self._cash_moves = [(at, delta) for at, delta in self._cash_moves if at > until]

    def _note(self, items: Sequence[Fill | CashFlow]) -> None:
        """Remember the ids, times, cash moves and filled quantities of `items` (in the
        book)."""
        for item in items:
            self._cash_moves.append(
                (item.time, item.amount if isinstance(item, CashFlow) else item.cash_change)
            )
            self.entry_ids.add(_entry_id(item))
            if self.opened_at is None or item.time < self.opened_at:
                self.opened_at = item.time
            if isinstance(item, CashFlow):
                if not item.external:
                    self.interest += item.amount
                    if self.last_interest_time is None or item.time > self.last_interest_time:
                        self.last_interest_time = item.time
            elif isinstance(item, Fill):
                self.fill_count += 1
                if item.event == "trade":
                    self.filled[item.order_id] = self.filled.get(item.order_id, 0.0) + item.quantity
                if self.last_fill_time is None or item.time > self.last_fill_time:
                    self.last_fill_time = item.time


def _entry_id(item: Fill | CashFlow) -> str:
    return item.flow_id if isinstance(item, CashFlow) else item.fill_id


class AccountLedger:
    """The ledger of `account`, shared by the deployments `members` (ids, their books): see
    the module docstring. It answers what the order queue asks of a ledger (`opened_at`,
    `last_fill_time`, `filled`, `new_items`, `entries_for`, `applied`) for the account as a
    whole; `members[id]` is a deployment's own `Ledger`."""

    def __init__(self, store: Store, owner: str, account: str, members: Sequence[str]) -> None:
        self.store, self.owner, self.account = store, owner, account
        self.members = {m: Ledger(store, owner, m) for m in members}
        self._orders: dict[str, QueuedOrder | None] = {}

    @property
    def book_id(self) -> str:
        """The account (it has no book of its own: its members' books are its ledger)."""
        return self.account

    @property
    def opened_at(self) -> datetime | None:
        """The time of the first entry of any member (None while all are empty)."""
        times = [m.opened_at for m in self.members.values() if m.opened_at is not None]
        return min(times, default=None)

    @property
    def last_fill_time(self) -> datetime | None:
        """The time of the last fill any member holds."""
        times = [m.last_fill_time for m in self.members.values() if m.last_fill_time is not None]
        return max(times, default=None)

    @property
    def last_interest_time(self) -> datetime | None:
        """The time of the last interest any member holds (the account's is split at once)."""
        times = [
            m.last_interest_time for m in self.members.values() if m.last_interest_time is not None
        ]
        return max(times, default=None)

    @property
    def filled(self) -> dict[str, float]:
        """The quantity the account's trades hold per order id (every member's slices)."""
        out: dict[str, float] = {}
        for ledger in self.members.values():
            for order_id, quantity in ledger.filled.items():
                out[order_id] = out.get(order_id, 0.0) + quantity
        return out

    def books(self) -> list[Book]:
        """Every member's book."""
        return [m.book for m in self.members.values()]

    def _held(self, item_id: str) -> bool:
        return any(
            item_id in m.entry_ids or slice_id(item_id, d) in m.entry_ids
            for d, m in self.members.items()
        )

    def new_items(self, items: Iterable[Fill | CashFlow]) -> list[Fill | CashFlow]:
        """The account's items no member holds a slice of yet (each once), in time order."""
        new: dict[str, Fill | CashFlow] = {}
        for item in items:
            if not self._held(_entry_id(item)):
                new.setdefault(_entry_id(item), item)
        return sorted(new.values(), key=lambda item: item.time)

    def _order(self, order_id: str) -> QueuedOrder | None:
        if order_id not in self._orders:
            try:
                self._orders[order_id] = self.store.get_order(self.owner, order_id)
            except NotFoundError:
                self._orders[order_id] = None
        return self._orders[order_id]

    def slices(self, new: Sequence[Fill | CashFlow]) -> list[tuple[str, Fill | CashFlow]]:
        """Each new fill's slices, by member: by its order's allocations (the whole of it to
        the member that enqueued an order without allocations). A fill of an order the
        account's queue does not know is attributed to nobody (logged; the reconciliation will
        show it). A cash flow has no allocations: `LedgerError` (a shared account's interest is
        sliced where it is computed, `trading.accounts.interest`)."""
        out: list[tuple[str, Fill | CashFlow]] = []
        for item in new:
            if isinstance(item, CashFlow):
                raise LedgerError(
                    f"cash flow {item.flow_id} of {self.account}: an account's cash flows are "
                    "sliced by its books' interest, not by allocations"
                )
            order = self._order(item.order_id)
            if order is not None and order.allocations:
                parts = [(a.deployment_id, a.quantity) for a in order.allocations]
                out += attribute_fill(item, order.quantity, parts)
            elif order is not None and order.deployment_id in self.members:
                out.append((order.deployment_id, item))
            else:
                logger.warning(
                    "fill %s of order %s on %s belongs to no deployment of the account",
                    item.fill_id,
                    item.order_id,
                    self.account,
                    extra={"event": "fill_unattributed", "account": self.account},
                )
        return out

    def crossing_slices(self, order: QueuedOrder, time: datetime) -> list[tuple[str, Fill]]:
        """The fills of a crossing inside the account (`order.internal_price`) at `time`."""
        assert order.internal_price is not None
        parts = [(a.deployment_id, a.quantity) for a in order.allocations]
        return crossing_fills(
            order.client_order_id, order.symbol, order.side, order.internal_price, parts, time
        )

    def entries_for(self, new: Sequence[Fill | CashFlow]) -> list[tuple[str, LedgerEntry]]:
        """The stored entries of `new` items' slices, each with its member's book."""
        return [(d, to_entry(item)) for d, item in self.slices(new)]

    def applied(self, new: Iterable[Fill | CashFlow]) -> None:
        """Apply the slices of items just written to the members' books."""
        self.applied_slices(self.slices(list(new)))

    def applied_slices(self, slices: Iterable[tuple[str, Fill | CashFlow]]) -> None:
        """Apply slices just written to their members' books."""
        for deployment_id, item in slices:
            self.members[deployment_id].applied([item])

    def holdings(self) -> dict[str, float]:
        """The shares every member holds, summed per symbol."""
        return book_holdings(self.books())


def book_holdings(books: Sequence[Book]) -> dict[str, float]:
    """The shares `books` hold together, per symbol (none held left out)."""
    out: dict[str, float] = {}
    for book in books:
        for symbol, quantity in book.holdings().items():
            out[symbol] = out.get(symbol, 0.0) + quantity
    return {s: q for s, q in out.items() if abs(q) > 0}


def members_of(ledger: Ledger | AccountLedger) -> Mapping[str, Ledger]:
    """The books of a ledger by deployment: the members of a shared account's, else its own."""
    return ledger.members if isinstance(ledger, AccountLedger) else {ledger.book_id: ledger}


@dataclass(frozen=True)
class PositionDifference:
    """Shares of `symbol` by the ledger and by the broker."""

    symbol: str
    ledger_quantity: float
    broker_quantity: float


@dataclass(frozen=True)
class Reconciliation:
    """The ledger against the broker: differing positions and cash (`matches` when none).
    `ledger_cash` is the cash the ledger says the broker holds: its own plus `outside_cash`, the
    account's cash that is not the deployment's (0 for a paper account)."""

    positions: Sequence[PositionDifference]
    ledger_cash: float
    broker_cash: float
    outside_cash: float = 0.0

    @property
    def matches(self) -> bool:
        """Whether the ledger and the broker agree within the tolerances."""
        return not self.positions and abs(self.ledger_cash - self.broker_cash) <= CASH_TOLERANCE

    def to_json(self) -> dict[str, object]:
        """The reconciliation as JSON."""
        return {
            "matches": self.matches,
            "ledger_cash": self.ledger_cash,
            "broker_cash": self.broker_cash,
            "outside_cash": self.outside_cash,
            "positions": [p.__dict__ for p in self.positions],
        }


def reconcile(
    book: Book | Sequence[Book], account: AccountState, outside_cash: float = 0.0
) -> Reconciliation:
    """Compare the shares and cash the ledger's book holds (a shared account's: its members'
    books together), with `outside_cash` (currency the account holds beside the deployments'),
    with what the broker reports."""
    books = [book] if isinstance(book, Book) else list(book)
    ledger = book_holdings(books)
    cash = sum(b.cash for b in books)
    differences = [
        PositionDifference(symbol, ledger.get(symbol, 0.0), account.positions.get(symbol, 0.0))
        for symbol in sorted(set(ledger) | set(account.positions))
        if abs(ledger.get(symbol, 0.0) - account.positions.get(symbol, 0.0)) > POSITION_TOLERANCE
    ]
    return Reconciliation(differences, cash + outside_cash, account.cash, outside_cash=outside_cash)
