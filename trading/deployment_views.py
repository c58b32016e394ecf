"""What an owner reads about a deployment and what they may ask of it: its positions and
P&L from its ledger, the market data it trades on (`market_data_of`), its option hedge
(`hedge_report`), and the checks made when a run or a
forward test is asked for (everything knowable then is refused then). Its ledger as rows, CSV or
Parquet is `trading.ledger_exports`; its performance against the backtest,
`trading.performance`.

Positions are valued at the last close of the market data on or before `as_of`; P&L follows
`execution.ledger` (FIFO lots, fees in the basis). A deployment's ledger book is its id; its
hedge's, `hedge-<deployment id>`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.ledger import Book
from quant.errors import DataError
from services.errors import InputError
from services.market_data import (
    data_info,
    market_closes,
    market_data_provider,
    universe_closes,
    unpriced,
)
from store import Deployment, Store
from trading.deployment_orders import deployment_orders
from trading.deployments import broker_of, calendar_of, deployed_strategy, is_forward_test
from trading.hedge_values import market_on, model_pricer, position_marks, view_pricing
from trading.hedges import halted, hedge_account, hedge_spec
from trading.ledger import Ledger, from_entry
from trading.performance import valued_until
from trading.runs.outcome import order_json


def positions(store: Store, deployment: Deployment, as_of: datetime) -> dict[str, Any]:
    """The deployment's cash, positions (shares, cost basis, market value, realised and
    unrealised P&L) and totals, valued at the last close on or before `as_of` (a forward
    test's: on or before the end of its window, `trading.performance.valued_until`)."""
    entries = store.ledger(deployment.owner, deployment.id)
    book = Book.replay(from_entry(e) for e in entries)
    closes = market_closes().loc[: pd.Timestamp(valued_until(deployment.spec, as_of))]
    priced_on = None if closes.empty else closes.index[-1].date().isoformat()
    rows: list[dict[str, Any]] = []
    for symbol, position in book.positions().items():
        price = _last_price(closes, symbol)
        value = None if price is None else position.quantity * price
        rows.append(
            {
                "symbol": symbol,
                "quantity": position.quantity,
                "cost_basis": position.cost_basis,
                "price": price,
                "market_value": value,
                "realised_pnl": position.realised_pnl,
                "unrealised_pnl": None if value is None else value - position.cost_basis,
            }
        )
    values = [r["market_value"] for r in rows if r["quantity"] > 0]
    complete = all(v is not None for v in values)
    equity = book.cash + sum(v for v in values if v is not None) if complete else None
    return {
        "deployment_id": deployment.id,
        "priced_on": priced_on,
        "cash": book.cash,
        "contributions": book.contributions,
        "fees": book.fees,
        "positions": rows,
        "equity": equity,
        "realised_pnl": book.realised_pnl(),
        "unrealised_pnl": sum(r["unrealised_pnl"] or 0.0 for r in rows) if complete else None,
    }


def _last_price(closes: pd.DataFrame, symbol: str) -> float | None:
    if symbol not in closes.columns:
        return None
    column = closes[symbol].dropna()
    return None if column.empty else float(column.iloc[-1])


def market_data_of(deployment: Deployment) -> dict[str, Any]:
    """The market data the deployment trades on (`services.market_data.data_info` of its
    universe's closes: provider, version, first and last session, the data's last session), or
    `{"provider", "problem"}` when the data cannot be read."""
    provider = market_data_provider()
    try:
        closes = provider.closes()
    except DataError as exc:
        return {"provider": provider.name, "problem": str(exc)}
    universe = [s for s in deployment.spec.get("universe", []) if s in closes.columns]
    return data_info(provider, closes.loc[:, universe].dropna())


def check_forward_test(deployment: Deployment, start: date, end: date | None) -> None:
    """Refuse (InputError) a forward test that cannot run: a test of a test, or a window the
    market data cannot cover with the strategy's history."""
    if is_forward_test(deployment):
        raise InputError("deployment_id", f"{deployment.id} is itself a forward test")
    closes = universe_closes(deployment.spec["universe"])
    last = closes.index[-1].date()
    if end is not None and end <= start:
        raise InputError("end", f"must be after start ({start})")
    if start >= last:
        raise InputError("start", f"must be before {last}, the last day of the market data")
    history = deployed_strategy(deployment.spec).history_days
    known = int((closes.index <= pd.Timestamp(start)).sum())
    if known < history:
        raise InputError(
            "start",
            f"the strategy needs {history} sessions of prices before {start}; the data has {known}",
        )


def check_run_now(deployment: Deployment, now: datetime) -> None:
    """Refuse (InputError) a run now of a deployment that is not active, when the market data
    cannot price a decision now (stale: `services.market_data.unpriced`), and on paper when the
    data ends before today (nothing could fill until it holds today's close)."""
    if deployment.status != "active":
        raise InputError("status", f"the deployment is {deployment.status}; activate it first")
    provider = market_data_provider()
    closes = universe_closes(deployment.spec["universe"])
    problem = unpriced(closes, calendar_of(deployment.spec), now, provider.name)
    if problem is not None:
        raise InputError("deployment_id", problem)
    if broker_of(deployment) == "alpaca":
        return
    last = market_closes().index[-1].date()
    if now.date() > last:
        raise InputError(
            "deployment_id",
            f"the market data ends on {last}: the paper broker cannot trade today (its orders "
            "fill at a session's close once the data holds it)",
        )


def hedge_report(
    store: Store, deployment: Deployment, as_of: datetime, closes: pd.DataFrame
) -> dict[str, Any]:
    """The deployment's hedge as its ledger and queue have it: settings, whether it is halted,
    contracts held per OCC symbol, net cash, premiums paid and received, settlements and fees
    (currency), its hedge orders and, among them, the dead letters; and each position marked at
    the model price of the last close of `closes` (the market data) on or before `as_of` (a
    forward test's: on or before the end of its window), an expired one at what it settles
    for with how (`trading.hedge_values.position_marks`) (`marks`; `market_value` their sum,
    `pnl` the net cash plus it: what the hedge has returned so far), and what priced them
    (`volatility`: `trading.hedge_values.view_pricing`). `InputError` naming `deployment_id`
    when the deployment has no hedge."""
    if "hedge" not in deployment.spec:
        raise InputError("deployment_id", f"deployment {deployment.id} has no option hedge")
    book = hedge_account(deployment)
    ledger = Ledger(store, deployment.owner, book)
    orders = [o.order for o in deployment_orders(store, deployment) if o.order.account == book]
    rows = [
        {"client_order_id": o.client_order_id, "run_id": o.run_id, **order_json(o)} for o in orders
    ]
    return {
        "deployment_id": deployment.id,
        "account": book,
        "hedge": hedge_spec(deployment),
        "halted": halted(deployment),
        "positions": dict(sorted(ledger.book.contracts.items())),
        "cash": ledger.book.cash,
        "premiums_paid": ledger.book.premiums_paid,
        "premiums_received": ledger.book.premiums_received,
        "settlements": ledger.book.settlements,
        "fees": ledger.book.fees,
        "orders": rows,
        "dead_letters": [row for row in rows if row["status"] == "dead"],
        **_hedge_marks(store, deployment, ledger.book, as_of, closes),
    }


def _hedge_marks(
    store: Store, deployment: Deployment, book: Book, as_of: datetime, closes: pd.DataFrame
) -> dict[str, Any]:
    underlying = hedge_spec(deployment)["underlying"]
    until = valued_until(deployment.spec, as_of)
    if closes[underlying].dropna().loc[: pd.Timestamp(until)].empty:
        [pricing] = view_pricing(store, deployment, [until])
        return {
            "priced_on": None,
            "marks": [],
            "market_value": None,
            "pnl": None,
            "volatility": pricing.to_json(),
        }
    market = market_on(deployment.spec, closes[underlying], until)
    [pricing] = view_pricing(store, deployment, [market.today])
    marks = position_marks(book.contracts, model_pricer(market, pricing.model), market.today)
    value = float(sum(row["market_value"] for row in marks))
    return {
        "priced_on": market.today.isoformat(),
        "marks": marks,
        "market_value": value,
        "pnl": book.cash + value,
        "volatility": pricing.to_json(),
    }
