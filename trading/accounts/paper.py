"""A deployment's paper accounts kept in the store, written through: every order they take,
every fill they make (and, for options, every settlement) and every cancel is saved before the
call returns, as a real broker keeps its own records. A worker that dies at any point leaves
the account as the broker left it, so the next worker never finds a ledger or an order the
account does not know, and the account's idempotent client order ids keep a retried run from
trading twice. Saves are guarded by the account's version: two workers changing one account at
once cannot both win (`ConflictError`: the run is retried).

- Shares: `StoredPaperAccount`, the account `paper-<deployment id>` (kind `paper`), the paper
  broker (`execution.brokers.paper`) over the market data's closes of the universe, filling at
  the close, fractional shares, with the costs of `paper_costs` (the settings' when it was
  created, saved with it), its cash earning the strategy's safe rate (as the backtest's safe
  asset does; `interest()`). An account several deployments share pays no rate of its own:
  each member's book earns its own strategy's safe rate, credited by the account's runs
  (`trading.accounts.interest`); an account created before that has its rate set to 0 when it
  is next opened, and its books earn their own rates from then on.
- Options: `StoredPaperOptionsAccount`, the account `hedge-<deployment id>` (kind
  `paper_options`), the paper options account (`execution.brokers.paper_options`) over the
  market data's closes of the hedge underlying, priced with the hedge's volatility model and
  settling exercise and expiry in cash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import pandas as pd

from execution.brokers.base import AccountState, BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker, PaperCosts
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError
from execution.hedge import ContractLookup, HedgeMarket, Settlement
from execution.ledger import CashFlow, Fill
from settings import Settings, get_settings
from store import Deployment, NotFoundError, Store
from trading.deployments import account_of, calendar_of, is_shared, safe_rate_of
from trading.hedge_pricing import VolSource, paper_pricing
from trading.hedges import hedge_account, vol_model_of

PAPER_KIND = "paper"
CAPITAL_NOTE = "capital "
"""The note of a member's capital deposited into a shared paper account, before its id."""
PAPER_OPTIONS_KIND = "paper_options"


class Simulator(Protocol):
    """A simulated account whose whole state can be saved (`state`) and restored."""

    @property
    def now(self) -> datetime | None: ...

    def state(self) -> dict[str, Any]: ...

    def order(self, client_order_id: str) -> BrokerOrder: ...

    def submit(self, request: OrderRequest) -> BrokerOrder: ...

    def cancel(self, client_order_id: str) -> BrokerOrder: ...

    def advance(self, now: datetime) -> list[Fill]: ...

    def fills(self, since: datetime | None = None) -> list[Fill]: ...


S = TypeVar("S", bound=Simulator)


class StoredAccount(Generic[S]):
    """The simulated account `simulator` of the stored broker account `account` (see the module
    docstring): created as `empty()` under `kind` the first time, else restored from the store
    by `restore(state)`."""

    name = "paper"

    def __init__(
        self,
        store: Store,
        owner: str,
        account: str,
        kind: str,
        empty: Callable[[], S],
        restore: Callable[[dict[str, Any]], S],
    ) -> None:
        self._store, self._owner, self._account = store, owner, account
        try:
            stored = store.get_broker_account(owner, account)
        except NotFoundError:
            stored = store.create_broker_account(owner, account, kind, empty().state())
        self.simulator = restore(stored.state)
        self._version = stored.version

    def _save(self) -> None:
        saved = self._store.save_broker_account(
            self._owner, self._account, self.simulator.state(), expected_version=self._version
        )
        self._version = saved.version

    @property
    def now(self) -> datetime | None:
        """The account's time: the last time it was advanced to (None before)."""
        return self.simulator.now

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        return self.simulator.order(client_order_id)

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's fills (and settlements) since `since`, oldest first."""
        return self.simulator.fills(since)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place the order (or return the one placed under its id), saved."""
        try:
            return self.simulator.order(request.client_order_id)
        except BrokerRejectedError:
            pass  # not placed yet
        placed = self.simulator.submit(request)
        self._save()
        return placed

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel the unfilled rest of an order, saved."""
        canceled = self.simulator.cancel(client_order_id)
        self._save()
        return canceled

    def advance(self, now: datetime) -> list[Fill]:
        """Move the account's time to `now` (never back), filling (and settling) what the
        closes fill, saved; the new fills."""
        if self.now is not None and now <= self.now:
            return []
        fills = self.simulator.advance(now)
        self._save()
        return fills


def paper_costs(settings: Settings) -> PaperCosts:
    """The costs a new paper account trades with (`settings.execution.paper_*`)."""
    execution = settings.execution
    return PaperCosts(
        slippage_bps=execution.paper_slippage_bps,
        commission_per_share=execution.paper_commission_per_share,
        commission_per_order=execution.paper_commission_per_order,
        commission_bps=execution.paper_commission_bps,
    )


class StoredPaperAccount(StoredAccount[PaperBroker]):
    """The paper stock account of `deployment` over `closes` (its universe's), created with
    `costs` the first time (None: `paper_costs` of the process's settings)."""

    def __init__(
        self,
        store: Store,
        deployment: Deployment,
        closes: pd.DataFrame,
        costs: PaperCosts | None = None,
    ) -> None:
        """`closes` cover every symbol the account holds (a shared account's: every member's
        universe)."""
        shared = is_shared(deployment)
        super().__init__(
            store,
            deployment.owner,
            account_of(deployment),
            PAPER_KIND,
            lambda: PaperBroker(
                closes,
                fill_at="close",
                costs=costs or paper_costs(get_settings()),
                fractional=True,
                cash_rate=0.0 if shared else safe_rate_of(deployment.spec),
            ),
            lambda state: PaperBroker.restore(closes, state),
        )
        if shared:  # each member's book earns its own rate (`trading.accounts.interest`)
            self.simulator.cash_rate = 0.0
        self.fractional = self.simulator.fractional

    def account(self) -> AccountState:
        """Cash and shares held."""
        return self.simulator.account()

    def open_orders(self) -> list[BrokerOrder]:
        """Orders not yet final, in submission order."""
        return self.simulator.open_orders()

    def interest(self, since: datetime | None = None) -> list[CashFlow]:
        """The interest the cash earned after `since` (all of it without), oldest first."""
        return self.simulator.interest(since)

    def pay_interest(self, flows: list[CashFlow]) -> list[CashFlow]:
        """Credit interest computed from the books (a shared account's), each flow once, saved;
        the flows credited now."""
        paid = self.simulator.pay_interest(flows)
        if paid:
            self._save()
        return paid

    def close_times(self, after: datetime | None, until: datetime) -> list[datetime]:
        """The session closes after `after` and at or before `until`, oldest first."""
        return self.simulator.close_times(after, until)

    def fund(self, capital: float, when: datetime, member: str | None = None) -> CashFlow:
        """Deposit `capital` at `when` into an account never funded before (saved); the first
        deposit (made now, or earlier). On an account several deployments share, each
        `member` deployment's capital is deposited once, noted `capital <member>`."""
        note = "" if member is None else f"{CAPITAL_NOTE}{member}"
        flows = [f for f in self.simulator.cash_flows() if member is None or f.note == note]
        if flows:
            return flows[0]
        self.advance(when)
        flow = self.simulator.deposit(capital, when, note)
        self._save()
        return flow


class StoredPaperOptionsAccount(StoredAccount[PaperOptionsBroker]):
    """The paper options account of `deployment` over `closes` (the hedge underlying's),
    created with `settings` the first time (by default the strategy's safe rate and the
    schedule's calendar)."""

    def __init__(
        self,
        store: Store,
        deployment: Deployment,
        closes: pd.DataFrame,
        settings: PaperOptionsSettings | None = None,
    ) -> None:
        terms = settings or PaperOptionsSettings(
            safe_rate=safe_rate_of(deployment.spec),
            calendar=calendar_of(deployment.spec),
        )
        super().__init__(
            store,
            deployment.owner,
            hedge_account(deployment),
            PAPER_OPTIONS_KIND,
            lambda: PaperOptionsBroker(closes, terms, vol_model_of(deployment)),
            lambda state: PaperOptionsBroker.restore(closes, state),
        )

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
        return self.simulator.market(underlying, at)

    def pricing(self, underlying: str, at: datetime) -> VolSource:
        """The paper account's: its model on realised volatility (it has no option quotes)."""
        return paper_pricing(self.simulator.vol_model)

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of `symbol` at the last close at or before `at`."""
        return self.simulator.mark(symbol, at)

    def settle_after(self, after: datetime) -> None:
        """Let the account's orders fill: move it to the first close after `after`, once the
        market data has it (past its end nothing fills and the orders stay working)."""
        close = self.simulator.next_close(after)
        if close is not None:
            self.advance(close)

    def options_level(self) -> int:
        """The account's approved options level."""
        return self.simulator.options_level()

    def close_out(self, at: datetime) -> list[Fill]:
        """End the account at `at`: every option still held closed in cash at its model price
        at the last close (`PaperOptionsBroker.close_out`), saved; the new fills."""
        fills = self.simulator.close_out(at)
        self._save()
        return fills

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol (negative: short)."""
        return self.simulator.option_positions()
