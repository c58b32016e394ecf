"""The interest a paper account several strategies share pays each strategy's book, at that
strategy's own rate.

A paper account's cash earns interest at every session close, as a money-market sweep pays it
(`execution.brokers.paper`). On an account several deployments share, each member's book earns
its own rate (`trading.deployments.book_rate`: its strategy's safe rate, or a forward test's
`cash_rate`): at each close after the account's last interest, a member's interest is its
book's cash just before that close's fills (its earlier interest included; nothing while it is
not positive) x its rate / 252. The account's interest at that close is their sum: one cash
flow `interest-<YYYYMMDD>` credited to the paper account (`pay_interest`, once per id), split
over the books pro rata to their own interest (`execution.netting.split_cash_flow`: each slice
is that book's interest; the last takes the remainder, so the slices add up to the account's
exactly) and written to the books in the same way as fills (`trading.queue.write_executions`).
The account is credited first: a worker that dies before the books are written leaves a next
run that computes the same flows from the same books and writes them, the account crediting
none twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from execution.ledger import INTEREST_NOTE, CashFlow
from execution.netting import split_cash_flow
from quant.estimators import PERIODS_PER_YEAR
from store import Store
from trading.ledger import AccountLedger, to_entry
from trading.queue import write_executions


class InterestPayingAccount(Protocol):
    """A paper account that credits interest computed from its books."""

    @property
    def now(self) -> datetime | None: ...

    def close_times(self, after: datetime | None, until: datetime) -> list[datetime]: ...

    def pay_interest(self, flows: list[CashFlow]) -> list[CashFlow]: ...


def books_interest(
    ledger: AccountLedger, rates: Mapping[str, float], closes: Sequence[datetime]
) -> tuple[list[CashFlow], list[tuple[str, CashFlow]]]:
    """The account's interest at each of `closes` (oldest first, all after its last interest)
    and each member's slice of it, by `rates` (member id -> yearly rate; a member not named
    earns nothing): see the module docstring."""
    earned = dict.fromkeys(ledger.members, 0.0)  # interest of earlier `closes`, not yet booked
    flows: list[CashFlow] = []
    slices: list[tuple[str, CashFlow]] = []
    for close in closes:
        owed = {}
        for member_id, member in ledger.members.items():
            cash = member.cash_before(close) + earned[member_id]
            amount = max(cash, 0.0) * rates.get(member_id, 0.0) / PERIODS_PER_YEAR
            if amount > 0:
                owed[member_id] = amount
        if not owed:
            continue
        flow = CashFlow(f"interest-{close:%Y%m%d}", sum(owed.values()), close, INTEREST_NOTE)
        parts = split_cash_flow(flow, owed)
        for member_id, part in parts:
            earned[member_id] += part.amount
        flows.append(flow)
        slices += parts
    return flows, slices


def pay_books_interest(
    store: Store,
    account: InterestPayingAccount,
    ledger: AccountLedger,
    rates: Mapping[str, float],
) -> list[tuple[str, CashFlow]]:
    """Credit the account the interest its books earned since its last interest, up to its
    time, and write each book's slice (see the module docstring); the slices written."""
    since = ledger.last_interest_time or ledger.opened_at
    if account.now is None or since is None or not any(rates.get(m, 0) for m in ledger.members):
        return []
    flows, slices = books_interest(ledger, rates, account.close_times(since, account.now))
    account.pay_interest(flows)
    new = [(d, flow) for d, flow in slices if flow.flow_id not in ledger.members[d].entry_ids]
    write_executions(store, ledger.owner, [(d, to_entry(flow)) for d, flow in new], [])
    ledger.applied_slices(new)
    for member in ledger.members.values():
        member.forget_cash_moves(since)
    return new
