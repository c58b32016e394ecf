"""How a deployment is doing against its backtest, from its ledger: the account's value at each
session close since its first entry, the backtest of the same strategy over the same sessions
(`trading.forward_tests.backtest`), their comparison (`execution.monitoring`), the
drawdown against the deployment's limit, how far the account's weights have drifted from the
strategy's targets on the latest closes, the time-weighted return (cash flows in or out do
not count as performance), and the benchmarks beside it with every line's performance
(`trading.benchmarks`: Sharpe ratios against the strategy's safe rate, which it states).

Values are cash plus shares at each session's close, with the ledger's entries up to that
close applied; for a deployment with an option hedge, plus the hedge's value there
(`trading.hedge_values`: its ledger's net cash and the options held marked at the close's model
price), and the backtest then holds the strategy's overlay (`hedge`: the hedge's totals at the
last session and why it tracks less closely). Sessions are those of the deployment's calendar
that the market data prices, up to `as_of` (and, for a forward test, the end of its window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from execution.deployment import DeploymentLimits, capped_weights
from execution.ledger import Book, CashFlow, Fill, time_weighted_return
from execution.monitoring import compare_with_backtest, weight_drift
from execution.schedule import trading_sessions
from services.market_data import market_closes, universe_closes
from store import Deployment, Store
from trading.benchmarks import Benchmarks, benchmark_fields, benchmark_values
from trading.deployments import calendar_of, deployed_strategy, safe_rate_of
from trading.forward_tests.backtest import deployed_backtest, deployment_fires
from trading.forward_tests.comparison import LINE_LABELS
from trading.hedge_values import (
    hedge_summary,
    ledger_values,
    marked_value,
    market_on,
    model_pricer,
)
from trading.hedges import hedge_account, spec_vol_model
from trading.ledger import from_entry


def performance(store: Store, deployment: Deployment, as_of: datetime) -> dict[str, Any]:
    """The deployment's performance against its backtest up to `as_of` (see the module
    docstring); `sessions` 0 and no values before its first ledger entry."""
    window = ledger_window(store, deployment, as_of)
    if window is None:
        return {"deployment_id": deployment.id, "sessions": 0}
    spec, closes, sessions = deployment.spec, window.closes, window.sessions
    books = session_books(window.entries, sessions, closes)
    values, flows = [b.value for b in books], [b.flow for b in books]
    book = books[-1]
    hedge = None
    if "hedge" in spec:
        hedge_values, hedge = _hedge(store, deployment, sessions)
        values = [v + h for v, h in zip(values, hedge_values, strict=True)]
    paper = pd.Series(values, index=sessions.index)
    strategy = deployed_strategy(spec)
    capital = flows[0] or float(paper.iloc[0])
    backtest = deployed_backtest(strategy, closes, sessions, capital, spec)
    common = paper.index.intersection(backtest.index)
    benchmarks = _benchmarks(closes, sessions, spec, capital)
    comparison = compare_with_backtest(
        list(paper.loc[common].to_numpy()), list(backtest.loc[common].to_numpy())
    )
    limits = DeploymentLimits.model_validate(spec["limits"])
    targets, _ = capped_weights(strategy.targets(closes), limits)
    last = closes.iloc[-1]
    drift = weight_drift(book.holdings, book.cash, {s: float(last[s]) for s in last.index}, targets)
    return {
        "deployment_id": deployment.id,
        "sessions": len(paper),
        "start": paper.index[0].date().isoformat(),
        "end": paper.index[-1].date().isoformat(),
        "comparison": comparison.__dict__,
        "hedge": hedge,
        "time_weighted_return": time_weighted_return(values, flows),
        "max_drawdown_limit": limits.max_drawdown,
        "weight_drift": drift,
        "targets": targets,
        "benchmarks": benchmark_fields(
            {"paper": paper.loc[common], "backtest": backtest.loc[common]},
            LINE_LABELS,
            benchmarks,
            safe_rate_of(spec),
        ),
        "values": {
            "dates": [d.date().isoformat() for d in common],
            "paper": [float(v) for v in paper.loc[common]],
            "backtest": [float(v) for v in backtest.loc[common]],
            "benchmarks": {
                name: [float(v) for v in line.loc[common]]
                for name, line in benchmarks.values.items()
            },
        },
    }


@dataclass(frozen=True)
class LedgerWindow:
    """What a deployment's ledger is valued over up to a time: its `entries`, the universe's
    `closes` up to then and the `sessions` (with their `close` times) from its first entry."""

    entries: list[Fill | CashFlow]
    closes: pd.DataFrame
    sessions: pd.DataFrame


def ledger_window(store: Store, deployment: Deployment, as_of: datetime) -> LedgerWindow | None:
    """The sessions of the deployment's calendar that the market data prices, from its first
    ledger entry up to `as_of` (and, for a forward test, the end of its window); None before
    its first entry or session."""
    entries = [from_entry(e) for e in store.ledger(deployment.owner, deployment.id)]
    if not entries:
        return None
    spec = deployment.spec
    until = as_of.date()
    window_end = (spec.get("forward_test_window") or {}).get("end")
    if window_end is not None:  # a forward test's account stops trading at its window's end
        until = min(until, datetime.fromisoformat(window_end).date())
    closes = universe_closes(spec["universe"]).loc[: pd.Timestamp(until)]
    first = min(e.time for e in entries)
    sessions = trading_sessions(calendar_of(spec), first.date(), closes.index[-1].date())
    sessions = sessions.loc[sessions.index.isin(closes.index) & (sessions["close"] >= first)]
    return None if sessions.empty else LedgerWindow(entries, closes, sessions)


@dataclass(frozen=True)
class SessionBook:
    """A deployment's book at a session's close: its cash, the shares held per symbol and their
    value with the cash (at that close), and what moved it that session: external cash flows in
    (`flow`, negative out), the notional traded (`traded`: shares x price of every fill) and
    the fees paid, in currency."""

    day: pd.Timestamp
    cash: float
    holdings: dict[str, float]
    value: float
    flow: float
    traded: float
    fees: float


def session_books(
    entries: Sequence[Fill | CashFlow], sessions: pd.DataFrame, closes: pd.DataFrame
) -> list[SessionBook]:
    """The book at each of `sessions`' closes (their `close` times), with the ledger's
    `entries` up to that close applied and the shares valued at `closes` of that day."""
    ordered = sorted(entries, key=lambda e: e.time)
    book, applied, out = Book(), 0, []
    for day, close_time in zip(sessions.index, sessions["close"], strict=True):
        flow = traded = fees = 0.0
        while applied < len(ordered) and ordered[applied].time <= close_time:
            entry = ordered[applied]
            book.apply(entry)
            if isinstance(entry, CashFlow) and entry.external:
                flow += entry.amount
            elif isinstance(entry, Fill):
                traded, fees = traded + entry.quantity * entry.price, fees + entry.fee
            applied += 1
        row, holdings = closes.loc[day], book.holdings()
        value = book.cash + sum(q * float(row[s]) for s, q in holdings.items())
        out.append(SessionBook(day, book.cash, holdings, value, flow, traded, fees))
    return out


def _benchmarks(
    closes: pd.DataFrame, sessions: pd.DataFrame, spec: dict[str, Any], capital: float
) -> Benchmarks:
    """The benchmarks over the deployment's sessions, investing where its first orders filled
    and rebalancing at its fires (`trading.benchmarks`)."""
    filled = [
        f.fill_row for f in deployment_fires(spec, sessions, closes) if f.fill_row is not None
    ]
    first_row = filled[0] if filled else int(closes.index.get_indexer(sessions.index[:1])[0])
    return benchmark_values(closes, sessions, capital, first_row=first_row, fire_rows=filled)


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
    values, book = ledger_values(spec, fills, closes, underlying)
    last = closes[-1][0]
    pricer = model_pricer(market_on(spec, underlying, last), spec_vol_model(spec))
    marks = marked_value(book.contracts, pricer)
    return values, hedge_summary(spec, account, book, marks, last)
