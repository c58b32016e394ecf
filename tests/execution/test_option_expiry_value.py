"""An option is worth its model price up to its expiry session, what it settles for at that
close (its intrinsic value there), and nothing more after it: checked against QuantLib (the
NPV of the same European option on its exercise date, and the zero of an expired instrument)
on hypothesis-generated paths of the underlying, whatever the underlying does after the
expiry; the paper options account books the settlement at that same price."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execution.brokers.base import OrderRequest
from execution.brokers.paper_options import PaperOptionsBroker
from execution.errors import OrderPlanError
from execution.hedge import HedgeMarket, model_price
from execution.options import OptionContract, settlement_price
from execution.schedule import trading_sessions
from quant.options import ImpliedVolModel

EXPIRY_ROW = 60


@functools.cache
def sessions() -> pd.DatetimeIndex:
    """XNYS's sessions from 2024-01-02 to 2024-04-30: built on first use, not when the module
    is collected (the exchange calendar takes ~0.5 s to build)."""
    return pd.DatetimeIndex(trading_sessions("XNYS", date(2024, 1, 2), date(2024, 4, 30)).index)


def expiry() -> date:
    """The contracts' expiry: the session at `EXPIRY_ROW`."""
    return sessions()[EXPIRY_ROW].date()


def _quantlib_npv(
    contract: OptionContract, spot: float, evaluated_on: date, vol: float = 0.2
) -> float:
    """QuantLib's NPV of the European option `contract` evaluated on `evaluated_on` (an
    analytic Black-Scholes engine; an instrument past its exercise date is expired: 0)."""
    import QuantLib as ql  # imported here: ~0.9 s, not when the module is collected

    today = ql.Date(evaluated_on.day, evaluated_on.month, evaluated_on.year)
    ql.Settings.instance().evaluationDate = today
    ql.Settings.instance().includeReferenceDateEvents = True  # alive on its exercise date
    day_count = ql.Actual365Fixed()
    rates = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.01, day_count, ql.Continuous))
    divs = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, day_count, ql.Continuous))
    vols = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)
    )
    process = ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(spot)), divs, rates, vols)
    kind = ql.Option.Put if contract.kind == "put" else ql.Option.Call
    expiry = ql.Date(contract.expiry.day, contract.expiry.month, contract.expiry.year)
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(kind, contract.strike), ql.EuropeanExercise(expiry)
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    try:
        return float(option.NPV())
    finally:  # QuantLib's settings are global: leave them as other tests expect them
        ql.Settings.instance().includeReferenceDateEvents = False


closes_strategy = st.deferred(  # deferred: the sessions are read at the first draw
    lambda: st.lists(
        st.floats(min_value=0.9, max_value=1.1), min_size=len(sessions()), max_size=len(sessions())
    ).map(lambda moves: pd.Series(100.0 * pd.Series(moves).cumprod().to_numpy(), index=sessions()))
)


@settings(max_examples=60, deadline=None)
@given(
    closes=closes_strategy,
    kind=st.sampled_from(["put", "call"]),
    moneyness=st.floats(min_value=0.5, max_value=1.5),
    later=st.deferred(lambda: st.integers(min_value=0, max_value=len(sessions()) - EXPIRY_ROW - 1)),
)
def test_an_expired_option_is_worth_its_intrinsic_value_at_the_expiry_close_whatever_follows(
    closes: pd.Series, kind: str, moneyness: float, later: int
) -> None:
    contract = OptionContract("SPY", expiry(), kind, round(100.0 * moneyness, 2))  # type: ignore[arg-type]
    at_expiry = float(closes.iloc[EXPIRY_ROW])
    today = sessions()[EXPIRY_ROW + later]
    market = HedgeMarket(today.date(), closes.loc[:today], 0.01)
    price = model_price(contract, market, ImpliedVolModel())
    # QuantLib on the exercise date: the payoff at that close; after it, expired (0): the
    # option is worth nothing more, its settlement is the cash it paid at the expiry close
    assert price == pytest.approx(_quantlib_npv(contract, at_expiry, expiry()), abs=1e-9)
    assert price == settlement_price(contract, closes)
    if later:
        assert _quantlib_npv(contract, float(closes.loc[today]), today.date()) == 0.0
    # whatever the underlying does after the expiry, the value does not move
    moved = closes.copy()
    moved.iloc[EXPIRY_ROW + 1 :] *= 3.0
    moved_market = HedgeMarket(today.date(), moved.loc[:today], 0.01)
    assert model_price(contract, moved_market, ImpliedVolModel()) == price


def test_before_its_expiry_an_option_is_priced_by_the_model_not_its_intrinsic_value() -> None:
    closes = pd.Series(100.0, index=sessions())
    contract = OptionContract("SPY", expiry(), "put", 100.0)
    day = sessions()[EXPIRY_ROW - 10].date()
    closes.iloc[:EXPIRY_ROW] = [100.0 + (i % 3) for i in range(EXPIRY_ROW)]  # some volatility
    known = closes.loc[: pd.Timestamp(day)]
    price = model_price(contract, HedgeMarket(day, known, 0.01), ImpliedVolModel())
    assert price > contract.intrinsic(float(closes.loc[pd.Timestamp(day)]))


def test_an_expiry_before_the_first_close_cannot_be_settled_and_says_why() -> None:
    contract = OptionContract("SPY", date(2023, 12, 1), "put", 100.0)
    with pytest.raises(OrderPlanError, match="no close of SPY on or before"):
        settlement_price(contract, pd.Series(100.0, index=sessions()))


def test_the_paper_account_books_the_settlement_at_the_same_price() -> None:
    closes = pd.DataFrame({"SPY": [100.0 - 0.2 * i for i in range(len(sessions()))]}, sessions())
    broker = PaperOptionsBroker(closes)
    contract = OptionContract("SPY", expiry(), "put", 95.0)
    broker.advance(datetime(2024, 1, 3, 22, tzinfo=UTC))
    broker.submit(OrderRequest("buy-1", contract.symbol, "buy", 2, intent="buy_to_open"))
    broker.advance(datetime(2024, 4, 30, 22, tzinfo=UTC))
    [settled] = [f for f in broker.fills() if f.event != "trade"]
    assert settled.event == "exercise" and settled.time.date() == expiry()
    assert settled.price == settlement_price(contract, closes["SPY"]) > 0
    assert broker.option_positions() == {}
