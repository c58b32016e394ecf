"""What a deployment's option hedge is worth, in currency: options marked at a price per share
(contracts x 100 x price, summed: `marked_value`, the one marking every hedge value uses), the
hedge's value at a session's close as the forward test and the performance report add it to
the stock account's (the hedge ledger's net cash, `execution.ledger.Book`, plus every option
held marked at its model price at that close: `execution.hedge.model_price` on the hedge
underlying's closes up to that session, the strategy's `safe_rate`, the deployment's calendar
and the volatility its options account prices with, `view_pricing`), and the summary of a hedge
both report.

A hedge's options settle at the close of their expiry (the paper options account books the
settlement in cash: intrinsic value at that close), so at a close the options held are those
still to expire. An option a ledger still holds after its expiry (a forward test's window ended
before it, an account not yet moved past it) is worth what it settles for: its intrinsic value
at its expiry session's close (`execution.options.settlement_price`), never its value at a later
close; its mark says so (`settlement`).

What prices the options (`view_pricing`, `trading.hedge_pricing.VolSource`) is what the
deployment's options account prices with: on paper, the hedge's model on realised volatility
(the paper broker has no option quotes); on Alpaca, the implied volatility its quotes gave when
the history recorded it at most `settings.trading_day.iv_max_age_days` before the close, else
realised volatility, saying why. Every hedge view and summary names it (`volatility`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from execution.hedge import HedgeMarket, model_price
from execution.ledger import Book, Fill
from execution.options import CONTRACT_MULTIPLIER, parse_occ
from quant.options import ImpliedVolModel
from settings import Settings, get_settings
from store import Deployment, Store
from trading.deployments import broker_of, calendar_of, safe_rate_of
from trading.hedge_pricing import VolSource, paper_pricing, recorded_pricing
from trading.hedges import hedge_spec, spec_vol_model

Pricer = Callable[[str], float]
"""The price per share of an option, by its OCC symbol."""


def tracking_note(underlying: str) -> str:
    """Why an account with a hedge tracks its backtest less closely than one without."""
    return (
        "the backtest is the engine's simulation with the overlay, which hedges the risky sleeve "
        f"itself with continuous units; the account hedges the underlying {underlying} with "
        "whole contracts and a beta of 1 to the sleeve: the tracking difference includes that"
    )


def position_marks(
    contracts: Mapping[str, int], price: Pricer, priced_on: date | None = None
) -> list[dict[str, Any]]:
    """Each option held (contracts per OCC symbol, negative short), by symbol: its `contracts`,
    `expiry`, `price` per share and `market_value` (contracts x 100 x price, currency), and
    its `settlement` when it expired on or before `priced_on` (None otherwise: still open;
    `settlement_of`)."""
    rows = []
    for symbol, n in sorted(contracts.items()):
        per_share = price(symbol)
        expiry = parse_occ(symbol).expiry
        expired = priced_on is not None and expiry <= priced_on
        rows.append(
            {
                "symbol": symbol,
                "contracts": n,
                "expiry": expiry.isoformat(),
                "price": per_share,
                "market_value": n * CONTRACT_MULTIPLIER * per_share + 0.0,  # no -0.0 (short at 0)
                "settlement": settlement_of(n, per_share, expiry) if expired else None,
            }
        )
    return rows


def settlement_of(contracts: int, per_share: float, expiry: date) -> dict[str, Any]:
    """How `contracts` of an option that expired on `expiry`, settling at `per_share` (its
    intrinsic value at that close), settle, as the paper options account books them: `event`
    (`expiry`: worthless; `exercise`: a long in the money, paid; `assignment`: a short in the
    money, paying), `amount` (currency received, negative paid) and `words`."""
    amount = contracts * CONTRACT_MULTIPLIER * per_share + 0.0
    if per_share <= 0:
        event, words = "expiry", f"expired worthless on {expiry}"
    elif contracts > 0:
        event = "exercise"
        words = (
            f"expired in the money on {expiry}: exercised, settled in cash at its intrinsic "
            f"value at that close ({per_share:,.4f} a share, {amount:,.2f} received)"
        )
    else:
        event = "assignment"
        words = (
            f"expired in the money on {expiry}: assigned, settled in cash at its intrinsic "
            f"value at that close ({per_share:,.4f} a share, {-amount:,.2f} paid)"
        )
    return {"event": event, "amount": amount, "words": words}


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


def view_pricing(
    store: Store,
    deployment: Deployment,
    days: Sequence[date],
    settings: Settings | None = None,
) -> list[VolSource]:
    """What prices the deployment's hedge at the close of each of `days` (in order), as its
    options account prices it (see the module docstring); the implied-volatility history is
    read once."""
    model = spec_vol_model(deployment.spec)
    if broker_of(deployment) != "alpaca" or not days:
        return [paper_pricing(model)] * len(days)
    max_age = (settings or get_settings()).trading_day.iv_max_age_days
    underlying = hedge_spec(deployment)["underlying"]
    records = store.iv_history(
        deployment.owner,
        underlying,
        since=min(days) - timedelta(days=max_age),
        until=max(days),
    )
    recorded_days = [r.day for r in records]
    sources = []
    for day in days:
        at = bisect.bisect_right(recorded_days, day) - 1
        record = records[at] if at >= 0 and (day - records[at].day).days <= max_age else None
        sources.append(recorded_pricing(model, underlying, day, record, max_age_days=max_age))
    return sources


def ledger_values(
    spec: Mapping[str, Any],
    fills: Sequence[Fill],
    closes: Sequence[tuple[date, datetime]],
    underlying: pd.Series,
    models: Sequence[ImpliedVolModel] | None = None,
) -> tuple[list[float], Book]:
    """The hedge's value at each of `closes` (session date, close time; in order) from its
    ledger's `fills` (the entries up to each close time applied), with `underlying` the hedge
    underlying's closes and `models` the volatility model pricing each close (`view_pricing`;
    None: the spec's on realised volatility); and the book after the last of them."""
    models = models or [spec_vol_model(spec)] * len(closes)
    ordered = sorted(fills, key=lambda f: f.time)
    book, applied, values = Book(), 0, []
    for (day, close_time), vol_model in zip(closes, models, strict=True):
        while applied < len(ordered) and ordered[applied].time <= close_time:
            book.apply(ordered[applied])
            applied += 1
        pricer = model_pricer(market_on(spec, underlying, day), vol_model)
        values.append(book.cash + marked_value(book.contracts, pricer))
    return values, book


def hedge_summary(
    spec: Mapping[str, Any],
    account: str,
    book: Book,
    marks: float,
    priced_on: date,
    volatility: VolSource,
) -> dict[str, Any]:
    """A hedge's totals (currency): premiums paid and received, settlements, fees, net cash,
    the contracts held per OCC symbol, their marks (`market_value`, at `priced_on`'s close,
    priced as `volatility` says: `trading.hedge_pricing.VolSource.to_json`) and `value`
    (cash + marks), with the note on tracking (`tracking_note`)."""
    hedge = spec["hedge"]
    return {
        "account": account,
        "underlying": hedge["underlying"],
        "vol_model": hedge.get("vol_model"),
        "volatility": volatility.to_json(),
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
