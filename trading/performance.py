"""How a deployment is doing against its backtest, from its ledger: the account's value at each
session close since its first entry, the backtest of the same strategy over the same sessions
(`trading.forward_tests.backtest`), their comparison (`execution.monitoring`), the gap between
them in parts (`trading.forward_tests.tracking`, as a forward test's), the drawdown against the
deployment's limit, how far the account's weights have drifted from the strategy's targets on
the latest closes, the time-weighted return (cash flows in or out do not count as
performance), the benchmarks beside it with every line's performance (`trading.benchmarks`:
Sharpe ratios against the strategy's safe rate, which it states), and the market data it used
(`data`: provider, version, the sessions used and where the data ends).

A deployment whose schedule is not its strategy's own cadence (`schedule_source` `given`) also
shows the searched backtest (`values.searched`, a `searched` row beside it): the strategy as it
was searched, on its own cadence.

The gap's parts replay the account's decisions with its broker's terms: a paper account's
costs, share rounding and cash rate (as saved with it; on an account several deployments share,
the rate the deployment's own book earns); an Alpaca account's no commission,
fractional shares when its fills hold any, and cash earning nothing here (Alpaca's slippage and
interest are then in "other"). Deposits or withdrawals after the first make the replay a
different account: the gap is then not decomposed (`decomposition` null).

Values are cash plus shares at each session's close, with the ledger's entries up to that
close applied; for a deployment with an option hedge, plus the hedge's value there
(`trading.hedge_values`: its ledger's net cash and the options held marked at the close's model
price), and the backtest then holds the strategy's overlay (`hedge`: the hedge's totals at the
last session and why it tracks less closely). Sessions are those of the deployment's calendar
that the market data prices, up to `as_of` (and, for a forward test, the end of its window).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.brokers.paper import PaperCosts
from execution.deployment import DeploymentLimits, capped_weights
from execution.ledger import Book, CashFlow, Fill, time_weighted_return
from execution.monitoring import weight_drift
from execution.schedule import trading_sessions
from services.market_data import data_info, market_closes, market_data_provider, universe_closes
from store import Deployment, NotFoundError, Store
from trading.deployments import (
    account_of,
    book_rate,
    broker_of,
    calendar_of,
    deployed_strategy,
    is_shared,
    safe_rate_of,
)
from trading.forward_tests.backtest import deployment_fires
from trading.forward_tests.comparison import Beside, beside_the_account, comparison_fields
from trading.hedge_values import (
    hedge_summary,
    ledger_values,
    marked_value,
    market_on,
    model_pricer,
    view_pricing,
)
from trading.hedges import hedge_account
from trading.ledger import from_entry


def performance(store: Store, deployment: Deployment, as_of: datetime) -> dict[str, Any]:
    """The deployment's performance against its backtest up to `as_of` (see the module
    docstring); `sessions` 0 and no values before its first ledger entry (`data` still says
    which market data it would use)."""
    window = ledger_window(store, deployment, as_of)
    entries, closes, sessions = window.entries, window.closes, window.sessions
    spec = deployment.spec
    data = data_info(market_data_provider(), closes)
    if sessions is None:
        return {"deployment_id": deployment.id, "sessions": 0, "data": data}
    books = session_books(entries, sessions, closes)
    paper = pd.Series([b.value for b in books], index=sessions.index)
    book, flows = books[-1], [b.flow for b in books]
    hedge = None
    if "hedge" in spec:
        hedge_values, hedge = _hedge(store, deployment, sessions)
        paper = paper + pd.Series(hedge_values, index=paper.index)
    strategy = deployed_strategy(spec)
    capital = flows[0] or float(paper.iloc[0])
    beside = _beside(store, deployment, entries, closes, sessions, paper, capital, flows)
    fields = comparison_fields(paper, beside)
    limits = DeploymentLimits.model_validate(spec["limits"])
    targets, _ = capped_weights(strategy.targets(closes), limits)
    last = closes.iloc[-1]
    drift = weight_drift(book.holdings, book.cash, {s: float(last[s]) for s in last.index}, targets)
    return {
        "deployment_id": deployment.id,
        "sessions": len(paper),
        "start": paper.index[0].date().isoformat(),
        "end": paper.index[-1].date().isoformat(),
        "data": data,
        "comparison": fields["comparison"],
        "decomposition": fields["decomposition"],
        "hedge": hedge,
        "time_weighted_return": time_weighted_return(list(paper.to_numpy()), flows),
        "max_drawdown_limit": limits.max_drawdown,
        "weight_drift": drift,
        "targets": targets,
        "benchmarks": fields["benchmarks"],
        "values": fields["values"],
    }


@dataclass(frozen=True)
class LedgerWindow:
    """What a deployment's ledger is valued over up to a time: its `entries`, the universe's
    `closes` up to then and the `sessions` (with their `close` times) from its first entry
    (None before its first entry or session)."""

    entries: list[Fill | CashFlow]
    closes: pd.DataFrame
    sessions: pd.DataFrame | None


def valued_until(spec: Mapping[str, Any], as_of: datetime) -> date:
    """The last day a deployment (its `spec`) is valued on when its views are asked at
    `as_of`: that day, or for a forward test the end of its window when earlier (its accounts
    stop trading there, and everything it reports is as of then)."""
    until = as_of.date()
    window_end = (spec.get("forward_test_window") or {}).get("end")
    if window_end is not None:
        until = min(until, date.fromisoformat(window_end[:10]))
    return until


def ledger_window(store: Store, deployment: Deployment, as_of: datetime) -> LedgerWindow:
    """The sessions of the deployment's calendar that the market data prices, from its first
    ledger entry up to `as_of` (and, for a forward test, the end of its window)."""
    entries = [from_entry(e) for e in store.ledger(deployment.owner, deployment.id)]
    spec = deployment.spec
    until = valued_until(spec, as_of)
    closes = universe_closes(spec["universe"]).loc[: pd.Timestamp(until)]
    if not entries:
        return LedgerWindow(entries, closes, None)
    first = min(e.time for e in entries)
    sessions = trading_sessions(calendar_of(spec), first.date(), closes.index[-1].date())
    sessions = sessions.loc[sessions.index.isin(closes.index) & (sessions["close"] >= first)]
    return LedgerWindow(entries, closes, None if sessions.empty else sessions)


@dataclass(frozen=True)
class SessionBook:
    """A deployment's book at a session's close: its cash, the shares held per symbol and their
    value with the cash (at that close), and what moved it that session: external cash flows in
    (`flow`, negative out), the notional traded (`traded`: shares x price of every fill), the
    fees paid and the `slippage` against the close (what the fills paid beyond that session's
    close: (price - close) x shares bought plus (close - price) x shares sold; negative when
    they did better), in currency."""

    day: pd.Timestamp
    cash: float
    holdings: dict[str, float]
    value: float
    flow: float
    traded: float
    fees: float
    slippage: float = 0.0


def session_books(
    entries: Sequence[Fill | CashFlow], sessions: pd.DataFrame, closes: pd.DataFrame
) -> list[SessionBook]:
    """The book at each of `sessions`' closes (their `close` times), with the ledger's
    `entries` up to that close applied and the shares valued at `closes` of that day."""
    ordered = sorted(entries, key=lambda e: e.time)
    book, applied, out = Book(), 0, []
    for day, close_time in zip(sessions.index, sessions["close"], strict=True):
        flow = traded = fees = slippage = 0.0
        row = closes.loc[day]
        while applied < len(ordered) and ordered[applied].time <= close_time:
            entry = ordered[applied]
            book.apply(entry)
            if isinstance(entry, CashFlow) and entry.external:
                flow += entry.amount
            elif isinstance(entry, Fill):
                traded, fees = traded + entry.quantity * entry.price, fees + entry.fee
                sign = 1.0 if entry.side == "buy" else -1.0
                slippage += sign * entry.quantity * (entry.price - float(row[entry.symbol]))
            applied += 1
        holdings = book.holdings()
        value = book.cash + sum(q * float(row[s]) for s, q in holdings.items())
        out.append(SessionBook(day, book.cash, holdings, value, flow, traded, fees, slippage))
    return out


def _beside(
    store: Store,
    deployment: Deployment,
    entries: list[Fill | CashFlow],
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    paper: pd.Series,
    capital: float,
    flows: list[float],
) -> Beside:
    """The backtests (the searched one when the schedule is not the strategy's own), the gap's
    decomposition with the account's terms (`_account_terms`; none after a later deposit or
    withdrawal) and the benchmarks, over the deployment's fires
    (`trading.forward_tests.comparison`)."""
    spec = deployment.spec
    costs, fractional, cash_rate = _account_terms(store, deployment, entries)
    beside = beside_the_account(
        deployed_strategy(spec), closes, sessions, spec, paper,
        deployment_fires(spec, sessions, closes),
        capital=capital, costs=costs, fractional=fractional, cash_rate=cash_rate, clean=False,
        searched=spec.get("schedule_source") != "strategy" and "hedge" not in spec,
    )  # fmt: skip
    if any(flows[1:]):  # the replay starts with the capital alone
        return dataclasses.replace(beside, decomposition=None)
    return beside


def _account_terms(
    store: Store, deployment: Deployment, entries: list[Fill | CashFlow]
) -> tuple[PaperCosts, bool, float]:
    """The costs, share rounding (fractional or not) and cash rate (a year) the deployment's
    account trades with (see the module docstring)."""
    if broker_of(deployment) == "alpaca":
        fills = [e for e in entries if isinstance(e, Fill)]
        fractional = any(not float(f.quantity).is_integer() for f in fills)
        return PaperCosts(slippage_bps=0.0), fractional, 0.0
    try:
        saved = store.get_broker_account(deployment.owner, account_of(deployment))
    except NotFoundError:  # no run opened it yet: the paper account's defaults
        return PaperCosts(), True, safe_rate_of(deployment.spec)
    settings = saved.state["settings"]
    rate = (  # a shared account's books each earn their own rate (trading.accounts.interest)
        book_rate(deployment.spec) if is_shared(deployment) else settings.get("cash_rate", 0.0)
    )
    return PaperCosts(**settings["costs"]), bool(settings["fractional"]), float(rate)


def _hedge(
    store: Store, deployment: Deployment, sessions: pd.DataFrame
) -> tuple[list[float], dict[str, Any]]:
    """The hedge's value at each session's close (from its ledger) and its summary at the last
    (`trading.hedge_values`)."""
    spec, account = deployment.spec, hedge_account(deployment)
    fills = [
        f for f in map(from_entry, store.ledger(deployment.owner, account)) if isinstance(f, Fill)
    ]
    underlying = market_closes()[spec["hedge"]["underlying"]]
    closes = [
        (d.date(), t.to_pydatetime())
        for d, t in zip(sessions.index, sessions["close"], strict=True)
    ]
    pricing = view_pricing(store, deployment, [day for day, _ in closes])
    values, book = ledger_values(spec, fills, closes, underlying, [p.model for p in pricing])
    last = closes[-1][0]
    pricer = model_pricer(market_on(spec, underlying, last), pricing[-1].model)
    marks = marked_value(book.contracts, pricer)
    return values, hedge_summary(spec, account, book, marks, last, pricing[-1])
