"""The owner's Alpaca account as a deployment trades it: its shares are the account itself
(`execution.brokers.alpaca.AlpacaBroker`), its options are `AlpacaOptionsAccount`, and
`hedge_cash` is the part of its one cash balance the options moved.

The options account, on the Alpaca account the deployment's shares trade on:
- **Contracts** are Alpaca's listed ones (`AlpacaBroker.listed_contract`: the nearest listed
  expiry on or after the planned one, then the nearest strike), so the plan prices, sizes and
  budgets the contracts it will really trade (`execution.hedge`, "Listed contracts").
- **Settlement** is in shares (Alpaca exercises and assigns by delivering the underlying), so
  the plan closes every held leg the session before its expiry (`settlement="physical"`).
- **Prices** are the model's on the market data's closes known at the run (the last session
  closed by then), as on paper: what the plan decides with and what marks the positions; at
  the implied volatility Alpaca's option quotes gave, when the implied-volatility history
  recorded it for that close (`pricing`, `trading.hedge_pricing`), else on realised volatility.
- **Orders** that open a position are day limit orders at the model price plus (buys) or minus
  (sells) `hedge_limit_tolerance` of it, rounded to cents against the trader (a sell at least a
  cent): a limit Alpaca expires unfilled at the day's end is `canceled`, which fails its run with
  that reason, and the next run plans afresh from the positions Alpaca holds. Orders that close
  a position (a roll before expiry, the kill switch) are market orders: they must fill before
  the expiry session, whatever the option's price has done since the close they were planned
  on (an out-of-the-money option loses much of its value in its last sessions).
- **Positions, trades and settlements** are Alpaca's: the account has one hedge (that of the
  deployment trading it alone, or of the one hedged member of the deployments sharing it, whose
  hedge covers the whole account), so its option positions are the hedge's, and its option
  trades and settlements since the deployment's account opened
  (`spec["account_opening"]["at"]`) are the hedge ledger's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

import pandas as pd

from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.base import BrokerOrder, OrderRequest
from execution.errors import OrderPlanError
from execution.hedge import ContractLookup, HedgeMarket, Settlement, limit_price, model_price
from execution.ledger import Fill
from execution.options import parse_occ
from quant.options import ImpliedVolModel
from services.market_data import last_closed_session
from store import Deployment
from trading.deployments import calendar_of, safe_rate_of
from trading.hedge_pricing import VolSource, realised_pricing
from trading.hedges import vol_model_of

Observed = Callable[[str, date, ImpliedVolModel], VolSource]
"""How the account's options of an underlying are priced at a close with a model: the
implied-volatility history's level when recorded (`trading.hedge_pricing.hedge_vol_model`)."""


class AlpacaOptionsAccount:
    """The options of `deployment` on its owner's Alpaca account (`broker`), priced on `closes`
    (the market data's closes of the hedge underlying; see the module docstring)."""

    name = "alpaca"

    def __init__(
        self,
        broker: AlpacaBroker,
        deployment: Deployment,
        closes: pd.DataFrame,
        *,
        limit_tolerance: float,
        observed: Observed | None = None,
    ) -> None:
        self.broker = broker
        self._closes = closes
        self._safe_rate = safe_rate_of(deployment.spec)
        self._calendar = calendar_of(deployment.spec)
        self._vol_model = vol_model_of(deployment)
        self._observed = observed
        self._pricing: dict[tuple[str, date], VolSource] = {}
        opening = deployment.spec.get("account_opening") or {}
        self._opened = datetime.fromisoformat(opening["at"]) if "at" in opening else None
        self._tolerance = limit_tolerance
        self._now: datetime | None = None

    @property
    def now(self) -> datetime | None:
        """The time of the run (Alpaca's own clock runs on its own)."""
        return self._now

    @property
    def settlement(self) -> Settlement:
        """Alpaca settles exercise and assignment in shares."""
        return "physical"

    @property
    def listed(self) -> ContractLookup | None:
        """Alpaca's listed contract for a wanted one."""
        return self.broker.listed_contract

    def advance(self, now: datetime) -> list[Fill]:
        """Set the run's time (never back); Alpaca fills and settles in real time."""
        if self._now is None or now > self._now:
            self._now = now
        return []

    def settle_after(self, after: datetime) -> None:
        """Nothing to move: Alpaca fills the orders as the market trades."""

    def market(self, underlying: str, at: datetime) -> HedgeMarket:
        """The underlying's closes up to the last session closed at `at`
        (`OrderPlanError` when the market data has none)."""
        session = last_closed_session(self._calendar, at)
        known = (
            self._closes[underlying].dropna().loc[: pd.Timestamp(session)]
            if session is not None and underlying in self._closes.columns
            else pd.Series(dtype=float)
        )
        if known.empty:
            raise OrderPlanError(f"the market data has no close of {underlying} by {at}")
        return HedgeMarket(known.index[-1].date(), known, self._safe_rate, self._calendar)

    def pricing(self, underlying: str, at: datetime) -> VolSource:
        """What prices the options of `underlying` at the last close known at `at`: the
        observed implied volatility of that close when recorded (`observed`; without one, the
        model on realised volatility); asked once per close."""
        today = self.market(underlying, at).today
        if (underlying, today) not in self._pricing:
            self._pricing[(underlying, today)] = (
                self._observed(underlying, today, self._vol_model)
                if self._observed is not None
                else realised_pricing(self._vol_model, "no implied-volatility history is read")
            )
        return self._pricing[(underlying, today)]

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of the option `symbol` at the last close known at `at`."""
        contract = parse_occ(symbol)
        model = self.pricing(contract.underlying, at).model
        return model_price(contract, self.market(contract.underlying, at), model)

    def options_level(self) -> int:
        """The account's options trading level."""
        return self.broker.options_level()

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol at Alpaca (negative: short)."""
        return self.broker.option_positions()

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's option trades and settlements since `since` and since the
        deployment's account opened, oldest first."""
        starts = [t for t in (since, self._opened) if t is not None]
        return self.broker.option_fills(max(starts) if starts else None)

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        return self.broker.order(client_order_id)

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel what has not filled of an order at Alpaca."""
        return self.broker.cancel(client_order_id)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place the order at Alpaca: to open, a day limit order around the model price; to
        close, a market order (see the module docstring)."""
        if (request.intent or "").endswith("_to_close") or request.limit_price is not None:
            return self.broker.submit(request)
        assert self._now is not None, "advance() sets the run's time before orders are sent"
        price = self.mark(request.symbol, self._now)
        factor = 1 + self._tolerance if request.side == "buy" else 1 - self._tolerance
        limit = max(limit_price(price * factor, request.side), 0.01)
        return self.broker.submit(replace(request, limit_price=limit))


def hedge_cash(broker: AlpacaBroker, deployment: Deployment) -> float:
    """The cash (currency, negative when paid) the option hedge of `deployment` moved on its
    Alpaca account since the account opened: every option trade's premium and fee and every
    settlement's value on the account (`option_fills`), whose options only this hedge trades
    (one hedge per account, shared or not). Alpaca keeps one cash balance for shares and
    options; this part is outside the stock sleeve, so the rebalance's decision and
    reconciliation leave it aside like the cash that was in the account before the
    deployment."""
    opened = datetime.fromisoformat(deployment.spec["account_opening"]["at"])
    return sum(fill.cash_change for fill in broker.option_fills(since=opened))
