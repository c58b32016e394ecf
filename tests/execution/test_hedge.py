"""The hedge plan against independent arithmetic: strikes, expiries on the NYSE calendar,
contract counts, the budget cap, band rolls, expiries and closes; OCC symbols."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pytest

from execution.errors import OrderPlanError
from execution.hedge import (
    HedgeMarket,
    HedgePlan,
    OptionPosition,
    Settlement,
    close_all,
    expiry_guard,
    model_price,
    plan_hedge,
)
from execution.options import OptionContract, is_option_symbol, parse_occ
from quant.data import sp500_prices
from quant.options import ImpliedVolModel, option_price
from quant.strategy import StrategyConfig
from tests.support.calendars import exchange_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

CLOSES = sp500_prices()["AAPL"].loc[:"2022-06-01"]
TODAY = date(2022, 6, 1)


def xnys() -> ExchangeCalendar:
    """The NYSE's calendar from 2022-01-01 to 2023-12-31, built on first use (not at collection)."""
    return exchange_calendar("XNYS", "2022-01-01", "2023-12-31")


MARKET = HedgeMarket(TODAY, CLOSES, safe_rate=0.02)
SPOT = float(CLOSES.iloc[-1])
PUT = StrategyConfig(overlay="put", overlay_strike=0.9, overlay_tenor_days=63)


def _expected_vol(strike: float, model: ImpliedVolModel) -> float:
    """The model's implied volatility at `strike`, from its definition."""
    returns = CLOSES.pct_change().dropna().to_numpy()[-model.realised_window :]
    rv = float(np.std(returns, ddof=1)) * math.sqrt(252)
    return min(
        max(
            math.sqrt(rv**2 + model.variance_risk_premium) * (strike / SPOT) ** -model.skew,
            model.min_volatility,
        ),
        model.max_volatility,
    )


def _expected_price(kind: str, strike: float, expiry: date, model: ImpliedVolModel) -> float:
    vol = _expected_vol(strike, model)
    sessions = xnys().sessions_in_range(TODAY, expiry)
    years = (len(sessions) - 1) / 252
    rate = 252 * math.log1p(0.02 / 252)
    return float(option_price(kind, SPOT, strike, years, rate, vol))


def test_occ_symbols_round_trip() -> None:
    contract = OptionContract("SPY", date(2025, 6, 20), "put", 500.0)
    assert contract.symbol == "SPY250620P00500000"
    assert parse_occ("SPY250620P00500000") == contract
    assert parse_occ("AAPL230120C00152500").strike == 152.5
    assert is_option_symbol(contract.symbol) and not is_option_symbol("SPY")
    with pytest.raises(OrderPlanError, match="not an OCC option symbol"):
        parse_occ("SPY")
    with pytest.raises(OrderPlanError, match="three decimals"):
        OptionContract("SPY", date(2025, 6, 20), "put", 500.0001)


def test_a_first_plan_buys_puts_at_the_moneyness_strike_and_tenor_sized_by_the_ratio() -> None:
    plan = plan_hedge(PUT, "AAPL", MARKET, [], risky_notional=600_000, equity=1_000_000)
    assert plan.action == "buy"
    [order] = plan.orders
    expiry = xnys().sessions_in_range(TODAY, date(2022, 12, 31))[63].date()  # 63 sessions later
    assert order.contract == OptionContract("AAPL", expiry, "put", float(round(0.9 * SPOT)))
    assert (order.side, order.intent) == ("buy", "buy_to_open")
    assert order.contracts == math.floor(600_000 / (SPOT * 100))
    expected = _expected_price("put", order.contract.strike, expiry, ImpliedVolModel())
    assert order.model_price == pytest.approx(expected, rel=1e-12)
    assert order.limit_price >= order.model_price and order.limit_price - order.model_price < 0.01
    assert plan.net_premium == pytest.approx(order.contracts * 100 * expected)


def test_the_budget_caps_the_premium_of_a_purchase() -> None:
    config = PUT.model_copy(update={"overlay_budget": 0.01, "overlay_strike": 1.0})
    plan = plan_hedge(config, "AAPL", MARKET, [], risky_notional=1_000_000, equity=1_000_000)
    [order] = plan.orders
    cap = 0.01 * 1_000_000 * 63 / 252
    assert order.contracts == math.floor(cap / (100 * order.model_price))
    assert order.contracts < math.floor(1_000_000 / (SPOT * 100))
    assert plan.net_premium <= cap
    assert "budget" in plan.notes[0]


def test_a_collar_sells_the_call_and_a_put_spread_the_lower_put() -> None:
    collar = PUT.model_copy(update={"overlay": "collar", "overlay_call_strike": 1.1})
    plan = plan_hedge(collar, "AAPL", MARKET, [], risky_notional=500_000, equity=1_000_000)
    put, call = plan.orders
    assert (put.contract.kind, put.intent) == ("put", "buy_to_open")
    assert (call.contract.kind, call.intent, call.side) == ("call", "sell_to_open", "sell")
    assert call.contract.strike == round(1.1 * SPOT) and put.contracts == call.contracts
    assert call.limit_price <= call.model_price
    spread = PUT.model_copy(update={"overlay": "put_spread", "overlay_lower_strike": 0.8})
    _, lower = plan_hedge(spread, "AAPL", MARKET, [], risky_notional=500_000, equity=1e6).orders
    assert (lower.contract.kind, lower.contract.strike) == ("put", round(0.8 * SPOT))


def test_band_roll_closes_the_held_legs_first_then_buys_again() -> None:
    held = OptionContract("AAPL", date(2022, 8, 19), "put", 170.0)  # K/S well above 0.9 + 0.1
    config = PUT.model_copy(update={"overlay_roll": "band", "overlay_roll_band": 0.1})
    positions = [OptionPosition(held, 12)]
    plan = plan_hedge(config, "AAPL", MARKET, positions, risky_notional=6e5, equity=1e6)
    assert plan.action == "roll" and "outside the band" in plan.notes[0]
    close, buy = plan.orders
    assert (close.contract, close.intent, close.contracts) == (held, "sell_to_close", 12)
    assert close.model_price == pytest.approx(
        _expected_price("put", 170.0, held.expiry, ImpliedVolModel()), rel=1e-12
    )
    assert buy.intent == "buy_to_open"
    # inside the band, or with the expiry rule, the puts are held
    near = OptionPosition(OptionContract("AAPL", date(2022, 8, 19), "put", round(0.9 * SPOT)), 3)
    assert plan_hedge(config, "AAPL", MARKET, [near], risky_notional=6e5, equity=1e6).action == (
        "hold"
    )
    assert plan_hedge(PUT, "AAPL", MARKET, positions, risky_notional=6e5, equity=1e6).action == (
        "hold"
    )


def test_expired_options_are_replaced_and_a_strategy_without_overlay_closes_its_options() -> None:
    expired = OptionPosition(OptionContract("AAPL", TODAY, "put", 150.0), 4)
    plan = plan_hedge(PUT, "AAPL", MARKET, [expired], risky_notional=6e5, equity=1e6)
    assert plan.action == "roll" and all(o.intent == "buy_to_open" for o in plan.orders)
    short_call = OptionPosition(OptionContract("AAPL", date(2022, 9, 16), "call", 170.0), -2)
    long_put = OptionPosition(OptionContract("AAPL", date(2022, 9, 16), "put", 130.0), 2)
    plan = plan_hedge(
        StrategyConfig(), "AAPL", MARKET, [long_put, short_call], risky_notional=6e5, equity=1e6
    )
    assert plan.action == "close"
    assert [(o.intent, o.contracts) for o in plan.orders] == [
        ("buy_to_close", 2),
        ("sell_to_close", 2),
    ]
    assert close_all([expired], MARKET, ImpliedVolModel()) == []


def test_a_sleeve_below_one_contract_buys_nothing_and_says_why() -> None:
    plan = plan_hedge(PUT, "AAPL", MARKET, [], risky_notional=SPOT * 99, equity=1e6)
    assert plan.action == "buy" and plan.orders == []
    assert "below one contract" in plan.notes[-1]


def test_the_model_price_is_intrinsic_at_expiry() -> None:
    contract = OptionContract("AAPL", TODAY, "put", 200.0)
    assert model_price(contract, MARKET, ImpliedVolModel()) == pytest.approx(200.0 - SPOT)


def test_the_year_s_budget_left_caps_a_purchase_below_the_per_purchase_cap() -> None:
    config = PUT.model_copy(update={"overlay_budget": 0.02, "overlay_strike": 1.0})
    fresh = plan_hedge(config, "AAPL", MARKET, [], risky_notional=1e6, equity=1e6)
    spent = 0.02 * 1e6 - 3_000.0  # 3,000 left of the year's 20,000 (5,000 per purchase)
    capped = plan_hedge(
        config, "AAPL", MARKET, [], risky_notional=1e6, equity=1e6, spent_last_year=spent
    )
    [order] = capped.orders
    assert order.contracts == math.floor(3_000.0 / (100 * order.model_price)) > 0
    assert order.contracts < fresh.orders[0].contracts
    assert "17,000.00 spent over the last year" in capped.notes[0]
    spent_all = plan_hedge(
        config, "AAPL", MARKET, [], risky_notional=1e6, equity=1e6, spent_last_year=25_000.0
    )
    assert spent_all.orders == [] and "budget affords none" in spent_all.notes[-1]


def _plan(
    config: StrategyConfig,
    market: HedgeMarket,
    positions: list[OptionPosition],
    settlement: Settlement = "cash",
    next_run: date | None = None,
) -> HedgePlan:
    return plan_hedge(
        config, "AAPL", market, positions, risky_notional=6e5, equity=1e6,
        settlement=settlement, next_run=next_run,
    )  # fmt: skip


def test_physical_settlement_closes_every_held_leg_before_the_next_run_s_orders_expiry() -> None:
    collar = PUT.model_copy(update={"overlay": "collar", "overlay_call_strike": 1.1})
    tomorrow = date(2022, 6, 2)  # the next NYSE session after 2022-06-01
    itm_put = OptionPosition(OptionContract("AAPL", tomorrow, "put", round(SPOT) + 20.0), 5)
    otm_call = OptionPosition(OptionContract("AAPL", tomorrow, "call", round(SPOT) + 30.0), -5)
    held = [itm_put, otm_call]
    physical = _plan(collar, MARKET, held, "physical")
    assert physical.action == "roll"
    # the next run knows tomorrow's close: its orders would trade on the expiry session or later
    assert (
        "expires on 2022-06-02, 0 session(s) after the close the next run will know"
        in (physical.notes[0])
    )
    closes = [o for o in physical.orders if o.intent.endswith("_to_close")]
    opens = [o for o in physical.orders if o.intent.endswith("_to_open")]
    assert physical.orders[: len(closes)] == closes  # closes first
    # both legs closed, in the money or not
    assert sorted((o.contract, o.intent, o.contracts) for o in closes) == sorted(
        [(itm_put.contract, "sell_to_close", 5), (otm_call.contract, "buy_to_close", 5)]
    )
    # and bought anew at the full tenor
    expiry = xnys().sessions_in_range(TODAY, date(2022, 12, 31))[63].date()
    assert {o.contract.expiry for o in opens} == {expiry}
    assert [o.intent for o in opens] == ["buy_to_open", "sell_to_open"]
    # the paper account settles in cash: the same positions are held to expiry
    assert _plan(collar, MARKET, held).action == "hold"
    # two sessions away: the next run's orders would trade on the session before expiry, too
    # late to leave a session to spare, so it closes now; three sessions away it holds
    soon = [OptionPosition(OptionContract("AAPL", date(2022, 6, 3), "put", 150.0), 5)]
    assert _plan(PUT, MARKET, soon, "physical").action == "roll"
    later = [OptionPosition(OptionContract("AAPL", date(2022, 6, 6), "put", 150.0), 5)]
    assert _plan(PUT, MARKET, later, "physical").action == "hold"
    assert _plan(PUT, MARKET, later).action == "hold"
    # without an overlay, held options are closed whatever the settlement
    plan = _plan(StrategyConfig(), MARKET, held, "physical")
    assert plan.action == "close" and len(plan.orders) == 2


def test_the_window_counts_sessions_to_the_next_run_not_calendar_days() -> None:
    # Friday 2022-07-01; Monday 2022-07-04 is a holiday: the next session is Tuesday
    friday = date(2022, 7, 1)
    market = HedgeMarket(friday, sp500_prices()["AAPL"].loc[:"2022-07-01"], safe_rate=0.02)

    def held(expiry: date) -> list[OptionPosition]:
        return [OptionPosition(OptionContract("AAPL", expiry, "put", 120.0), 2)]

    # daily runs: the next one knows Tuesday's close
    assert _plan(PUT, market, held(date(2022, 7, 6)), "physical").action == "roll"
    assert _plan(PUT, market, held(date(2022, 7, 7)), "physical").action == "hold"
    # weekly runs: the next one knows Friday 2022-07-08's close, so a leg expiring Monday
    # 2022-07-11 is closed now, one expiring Tuesday is left to it
    weekly = date(2022, 7, 8)
    assert _plan(PUT, market, held(date(2022, 7, 11)), "physical", weekly).action == "roll"
    assert _plan(PUT, market, held(date(2022, 7, 12)), "physical", weekly).action == "hold"


def test_physical_settlement_buys_only_what_outlives_the_next_run() -> None:
    week = PUT.model_copy(update={"overlay_tenor_days": 5})
    monthly = date(2022, 7, 1)  # 21 sessions after 2022-06-01
    with pytest.raises(OrderPlanError, match=r"overlay_tenor_days \(5\) must exceed the sessions"):
        _plan(week, MARKET, [], "physical", monthly)
    assert _plan(week, MARKET, [], "physical").orders  # daily runs close it in time
    assert _plan(week, MARKET, [], "cash", monthly).orders  # cash settlement holds to expiry
    with pytest.raises(OrderPlanError, match="next_run must not be before today"):
        _plan(PUT, MARKET, [], "physical", date(2022, 5, 31))


def test_physical_settlement_needs_a_tenor_beyond_the_close_window() -> None:
    one_session = PUT.model_copy(update={"overlay_tenor_days": 1})
    with pytest.raises(OrderPlanError, match="overlay_tenor_days must exceed 1 session"):
        plan_hedge(
            one_session, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, settlement="physical"
        )
    assert plan_hedge(one_session, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6).orders
    with pytest.raises(OrderPlanError, match="settlement must be cash or physical"):
        plan_hedge(PUT, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, settlement="shares")  # type: ignore[arg-type]


def _expected_put_delta(strike: float, expiry_sessions: int, model: ImpliedVolModel) -> float:
    """Black-Scholes delta of a put, -N(-d1), from the definitions (no dividend yield)."""
    from statistics import NormalDist

    vol = _expected_vol(strike, model)
    years = expiry_sessions / 252
    rate = 252 * math.log1p(0.02 / 252)
    d1 = (math.log(SPOT / strike) + (rate + vol**2 / 2) * years) / (vol * math.sqrt(years))
    return -NormalDist().cdf(-d1)


def _delta_gap(held: OptionContract, config: StrategyConfig, model: ImpliedVolModel) -> float:
    sessions = len(xnys().sessions_in_range(TODAY, held.expiry)) - 1
    new = _expected_put_delta(config.overlay_strike * SPOT, config.overlay_tenor_days, model)
    return abs(_expected_put_delta(held.strike, sessions, model) - new)


@pytest.mark.parametrize(
    "model", [ImpliedVolModel(), ImpliedVolModel(skew=0.0, realised_window=42)]
)
def test_a_delta_band_rolls_exactly_when_the_held_put_s_delta_leaves_it(
    model: ImpliedVolModel,
) -> None:
    """The held put's delta (its strike, sessions left, model vol at its moneyness) against the
    delta of the put a roll would buy (0.9 x close, 63 sessions): a band just below their gap
    rolls, one just above holds."""
    held = OptionContract("AAPL", date(2022, 7, 15), "put", 150.0)  # near the money, 1.5 months
    positions = [OptionPosition(held, 5)]
    config = PUT.model_copy(update={"overlay_roll": "delta"})
    gap = _delta_gap(held, config, model)
    assert 0.05 < gap < 0.5  # the held put is much nearer the money than a new 90 % put
    rolls = config.model_copy(update={"overlay_roll_delta_band": gap * (1 - 1e-6)})
    plan = plan_hedge(
        rolls, "AAPL", MARKET, positions, risky_notional=6e5, equity=1e6, vol_model=model
    )
    assert plan.action == "roll" and "delta band" in plan.notes[0]
    assert f"{abs(gap):.4f}" in plan.notes[0]
    close, buy = plan.orders
    assert (close.contract, close.intent, close.contracts) == (held, "sell_to_close", 5)
    assert (buy.intent, buy.contract.strike) == ("buy_to_open", float(round(0.9 * SPOT)))
    holds = config.model_copy(update={"overlay_roll_delta_band": gap * (1 + 1e-6)})
    plan = plan_hedge(
        holds, "AAPL", MARKET, positions, risky_notional=6e5, equity=1e6, vol_model=model
    )
    assert plan.action == "hold" and plan.orders == []


def test_the_delta_rule_ignores_the_moneyness_band_and_the_band_rule_the_delta_band() -> None:
    """A put struck at the new put's strike with nearly the full tenor left has the new put's
    delta: the delta rule holds it even with a tiny moneyness band set, and the band rule holds
    a put inside its moneyness band whatever the delta band says."""
    expiry = xnys().sessions_in_range(TODAY, date(2022, 12, 31))[62].date()  # 62 sessions left
    held = OptionPosition(OptionContract("AAPL", expiry, "put", float(round(0.9 * SPOT))), 4)
    delta = PUT.model_copy(
        update={"overlay_roll": "delta", "overlay_roll_delta_band": 0.02, "overlay_roll_band": 1e-4}
    )
    assert _delta_gap(held.contract, delta, ImpliedVolModel()) < 0.02
    assert plan_hedge(delta, "AAPL", MARKET, [held], risky_notional=6e5, equity=1e6).action == (
        "hold"
    )
    far = OptionPosition(OptionContract("AAPL", date(2022, 7, 15), "put", 150.0), 4)
    band = delta.model_copy(update={"overlay_roll": "band", "overlay_roll_band": 0.2})
    assert _delta_gap(far.contract, band, ImpliedVolModel()) > 0.02
    assert plan_hedge(band, "AAPL", MARKET, [far], risky_notional=6e5, equity=1e6).action == (
        "hold"
    )


def test_a_listed_put_its_delta_band_would_roll_at_once_is_not_bought() -> None:
    """On a broker that lists its contracts, the nearest listed put is checked against the
    config's own roll rule with the plan's vol model: 12 dollars above the wanted strike it is
    outside a 0.02 delta band (nothing is bought), inside a 0.5 one (it is bought)."""
    wanted = float(round(0.9 * SPOT))

    def listed(contract: OptionContract) -> OptionContract:
        return OptionContract(contract.underlying, contract.expiry, contract.kind, wanted + 12)

    tight = PUT.model_copy(update={"overlay_roll": "delta", "overlay_roll_delta_band": 0.02})
    expiry = xnys().sessions_in_range(TODAY, date(2022, 12, 31))[63].date()
    gap = _delta_gap(OptionContract("AAPL", expiry, "put", wanted + 12), tight, ImpliedVolModel())
    assert 0.02 < gap < 0.5
    with pytest.raises(OrderPlanError, match="widen overlay_roll_delta_band"):
        plan_hedge(tight, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, listed=listed)
    wide = tight.model_copy(update={"overlay_roll_delta_band": 0.5})
    plan = plan_hedge(wide, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, listed=listed)
    assert [o.contract.strike for o in plan.orders] == [wanted + 12]


def _fridays_on_a_5_grid(wanted: OptionContract) -> OptionContract:
    """A listing: Friday expiries on or after the wanted one, strikes every 5 (ties down)."""
    expiry = wanted.expiry + timedelta(days=(4 - wanted.expiry.weekday()) % 7)
    strike = 5.0 * math.floor(wanted.strike / 5.0 + 0.5 - 1e-9)
    return OptionContract(wanted.underlying, expiry, wanted.kind, strike)


def test_listed_contracts_replace_the_planned_ones_and_spread_legs_expire_together() -> None:
    spread = PUT.model_copy(update={"overlay": "put_spread", "overlay_lower_strike": 0.8})
    planned = plan_hedge(spread, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6)
    listed = plan_hedge(
        spread, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, listed=_fridays_on_a_5_grid
    )
    bought, sold = (o.contract for o in listed.orders)
    assert bought == _fridays_on_a_5_grid(planned.orders[0].contract)
    assert sold.expiry == bought.expiry and sold.expiry.weekday() == 4
    assert sold.strike == _fridays_on_a_5_grid(planned.orders[1].contract).strike < bought.strike
    # priced as listed: the model price of the listed contract, not the planned one
    assert listed.orders[0].model_price == pytest.approx(
        model_price(bought, MARKET, ImpliedVolModel())
    )

    def sold_leg_later(wanted: OptionContract) -> OptionContract:
        contract = _fridays_on_a_5_grid(wanted)
        if wanted.strike < SPOT * 0.85:  # the sold put is listed a week later only
            return OptionContract("AAPL", contract.expiry + timedelta(days=7), "put", 120.0)
        return contract

    with pytest.raises(OrderPlanError, match="must expire together; nothing was bought"):
        plan_hedge(
            spread, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6, listed=sold_leg_later
        )
    # AAPL closed at 147.83: 0.91 and 0.9 want 135 and 133, both listed at 135
    narrow = spread.model_copy(update={"overlay_strike": 0.91, "overlay_lower_strike": 0.9})
    with pytest.raises(OrderPlanError, match="not below the bought put's"):
        plan_hedge(narrow, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6,
                   listed=_fridays_on_a_5_grid)  # fmt: skip


def test_a_listed_put_outside_its_own_roll_band_is_refused() -> None:
    # AAPL closed at 147.83: a 0.9 put wants 133, listed at 135 (moneyness 0.913)
    band = PUT.model_copy(update={"overlay_roll": "band", "overlay_roll_band": 0.005})
    with pytest.raises(OrderPlanError, match="already due to roll"):
        plan_hedge(band, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6,
                   listed=_fridays_on_a_5_grid)  # fmt: skip
    wide = band.model_copy(update={"overlay_roll_band": 0.05})
    assert plan_hedge(wide, "AAPL", MARKET, [], risky_notional=6e5, equity=1e6,
                      listed=_fridays_on_a_5_grid).orders  # fmt: skip


def test_closing_orders_close_sold_legs_first() -> None:
    expiry = date(2022, 7, 15)
    legs = [
        OptionPosition(OptionContract("AAPL", expiry, "put", 140.0), 3),
        OptionPosition(OptionContract("AAPL", expiry, "put", 120.0), -3),
        OptionPosition(OptionContract("AAPL", expiry, "call", 160.0), -3),
    ]
    intents = [o.intent for o in close_all(legs, MARKET, ImpliedVolModel())]
    assert intents == ["buy_to_close", "buy_to_close", "sell_to_close"]


def test_the_expiry_guard_of_a_paused_deployment_only_closes_before_expiry() -> None:
    def held(expiry: date) -> list[OptionPosition]:
        return [
            OptionPosition(OptionContract("AAPL", expiry, "put", 135.0), 4),
            OptionPosition(OptionContract("AAPL", expiry, "put", 120.0), -4),
        ]

    model = ImpliedVolModel()
    soon = expiry_guard(held(date(2022, 6, 3)), MARKET, model)  # the next run knows 06-02
    assert (
        soon.action == "close" and soon.notes[-1] == "the deployment is paused: nothing is bought"
    )
    assert [o.intent for o in soon.orders] == ["buy_to_close", "sell_to_close"]
    later = expiry_guard(held(date(2022, 6, 6)), MARKET, model)
    assert (later.action, later.orders) == ("hold", [])
    # a monthly next run must close what expires before it
    assert expiry_guard(held(date(2022, 6, 17)), MARKET, model, date(2022, 7, 1)).orders
    assert expiry_guard([], MARKET, model).action == "none"
