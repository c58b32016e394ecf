"""What a deployment's option hedge is worth, in currency: options marked at a price per share
(contracts x 100 x price, summed: `marked_value`, the one marking every hedge value uses), the
hedge's value at a session's close as the forward test and the performance report add it to
the stock account's (the hedge ledger's net cash, `execution.ledger.Book`, plus every option
held marked at its model price at that close: `execution.hedge.model_price` on the hedge
underlying's closes up to that session, the strategy's `safe_rate`, the deployment's calendar
and its hedge's `vol_model`), and the summary of a hedge both report.

A hedge's options settle at the close of their expiry (the paper options account), so at a
close the options held are those still to expire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.hedge import HedgeMarket, model_price
from execution.ledger import Book, Fill
from execution.options import CONTRACT_MULTIPLIER, parse_occ
from quant.options import ImpliedVolModel
from trading.deployments import calendar_of, safe_rate_of
from trading.hedges import spec_vol_model

Pricer = Callable[[str], float]
"""The price per share of an option, by its OCC symbol."""


def tracking_note(underlying: str) -> str:
    """Why an account with a hedge tracks its backtest less closely than one without."""
    return (
        "the backtest is the engine's simulation with the overlay, which hedges the risky sleeve "
        f"itself with continuous units; the account hedges the underlying {underlying} with "
        "whole contracts and a beta of 1 to the sleeve: the tracking difference includes that"
    )


def position_marks(contracts: Mapping[str, int], price: Pricer) -> list[dict[str, Any]]:
    """Each option held (contracts per OCC symbol, negative short), by symbol: its `contracts`,
    `price` per share and `market_value` (contracts x 100 x price, currency)."""
    rows = []
    for symbol, n in sorted(contracts.items()):
        per_share = price(symbol)
        rows.append(
            {
                "symbol": symbol,
                "contracts": n,
                "price": per_share,
                "market_value": n * CONTRACT_MULTIPLIER * per_share,
            }
        )
    return rows


def marked_value(contracts: Mapping[str, int], price: Pricer) -> float:
    """The options held (contracts per OCC symbol, negative short) at `price`, in currency."""
    return float(sum(row["market_value"] for row in position_marks(contracts, price)))


def model_pricer(market: HedgeMarket, vol_model: ImpliedVolModel) -> Pricer:
    """The model price per share of an option at `market`'s close."""
    return lambda symbol: model_price(parse_occ(symbol), market, vol_model)


def market_on(spec: Mapping[str, Any], closes: pd.Series, day: date) -> HedgeMarket:
    """The hedge underlying's `closes` (indexed by session date) known at the close of `day`,
    priced with the spec's safe rate and calendar."""
    known = closes.dropna().loc[: pd.Timestamp(day)]
    return HedgeMarket(
        known.index[-1].date(),
        known,
        safe_rate_of(spec),
        calendar_of(spec),
    )


def ledger_values(
    spec: Mapping[str, Any],
    fills: Sequence[Fill],
    closes: Sequence[tuple[date, datetime]],
    underlying: pd.Series,
) -> tuple[list[float], Book]:
    """The hedge's value at each of `closes` (session date, close time; in order) from its
    ledger's `fills` (the entries up to each close time applied), with `underlying` the hedge
    underlying's closes; and the book after the last of them."""
    vol_model = spec_vol_model(spec)
    ordered = sorted(fills, key=lambda f: f.time)
    book, applied, values = Book(), 0, []
    for day, close_time in closes:
        while applied < len(ordered) and ordered[applied].time <= close_time:
            book.apply(ordered[applied])
            applied += 1
        pricer = model_pricer(market_on(spec, underlying, day), vol_model)
        values.append(book.cash + marked_value(book.contracts, pricer))
    return values, book


def hedge_summary(
    spec: Mapping[str, Any], account: str, book: Book, marks: float, priced_on: date
) -> dict[str, Any]:
    """A hedge's totals (currency): premiums paid and received, settlements, fees, net cash,
    the contracts held per OCC symbol, their marks (`market_value`, at `priced_on`'s close) and
    `value` (cash + marks), with the note on tracking (`tracking_note`)."""
    hedge = spec["hedge"]
    return {
        "account": account,
        "underlying": hedge["underlying"],
        "vol_model": hedge.get("vol_model"),
        "premiums_paid": book.premiums_paid,
        "premiums_received": book.premiums_received,
        "settlements": book.settlements,
        "fees": book.fees,
        "cash": book.cash,
        "positions": dict(sorted(book.contracts.items())),
        "priced_on": priced_on.isoformat(),
        "market_value": marks,
        "value": book.cash + marks,
        "note": tracking_note(hedge["underlying"]),
    }
