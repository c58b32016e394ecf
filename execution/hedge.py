"""The hedge plan of a deployed strategy with an option overlay: what to buy, roll or close at a
session's close, from the strategy's `StrategyConfig`, the hedge underlying's closes and the
option positions held. Pure logic: no I/O, no clock. A strategy component beside the
rebalance's targets (`execution.rebalance`): its orders (`HedgeOrder`: an OCC symbol, a side,
whole contracts and a position intent) go into the same order queue as a rebalance's shares.

The underlying is the deployment's hedge underlying (`spec["hedge"]["underlying"]`, e.g. SPY),
a listed stand-in for the risky sleeve: the hedge is sized on the sleeve's notional with a beta
of 1 to it. The rules are the engine's (docs/engine.md "Option overlays") in calendar terms:

- **Pricing.** Black-Scholes-Merton (`quant.options`, no dividend yield) at the implied
  volatility of the same `ImpliedVolModel` the engine uses, from the underlying's realised
  volatility (ddof = 1, the last `realised_window` daily returns to the close, x sqrt(252)), the
  rate 252 ln(1 + safe_rate / 252), and (sessions from today to expiry) / 252 years. On and
  after its expiry session a contract is worth what it settles for (its
  intrinsic value at the expiry session's close, `execution.options.settlement_price`), never
  its intrinsic value at a later close.
- **Expiry.** The session `overlay_tenor_days` sessions after today on the deployment's exchange
  calendar (the one its schedule uses).
- **Strikes.** Moneyness x the underlying's close, rounded to the nearest whole currency unit
  (listed index-ETF strikes are a dollar apart near the money).
- **Listed contracts.** On a broker that lists its contracts (`listed`: Alpaca's
  `listed_contract`), the bought put is the listed one nearest that expiry and strike, and each
  sold leg is the listed one nearest its strike **at the bought put's expiry** (a spread's legs
  expire together); a sold leg listed only at another expiry, or at a strike that does not
  leave the spread or collar its shape (sold put below the bought put, sold call above it), is
  an `OrderPlanError`: nothing is bought; so is a listed bought put outside its own roll band
  (every run would roll it). Prices, budget and limits are those of the listed contracts.
- **Quantity.** floor(overlay_hedge_ratio x risky notional / (close x 100)) contracts per leg
  (always rounded down: never more hedge than the ratio asks). With `overlay_budget`, fewer
  if the net premium (bought leg minus sold leg, x 100 per contract) would exceed
  overlay_budget x equity x tenor / 252 (the engine's cap per purchase), or what is left of the
  year's budget, overlay_budget x equity minus the net premium spent opening options over the
  last 365 days (`spent_last_year`): early band rolls cannot spend more than the budget a year.
- **Decision.** Held contracts that expire today or earlier settle (the broker settles them), so
  a position counts only if its expiry is after today. No position: `buy`. Held: with roll
  `band`, when the bought put's strike / close leaves overlay_strike +- overlay_roll_band, `roll`
  (close every leg at its model price, then buy anew); with roll `delta`, when the bought put's
  Black-Scholes delta (its strike, the sessions to its expiry / 252, the model volatility at its
  strike / close) differs by more than overlay_roll_delta_band from the delta of the put the
  rule would buy now (strike overlay_strike x close, unrounded, overlay_tenor_days / 252 years,
  the model volatility at overlay_strike), `roll`; otherwise `hold`. A deployment without an
  overlay that still holds options `close`s them. Buys are never placed on the last session
  before a leg would expire (tenor 0).
- **Settlement.** The paper account settles exercise and expiry in cash (`settlement="cash"`,
  the default). A broker that settles in shares (`settlement="physical"`: Alpaca delivers or
  takes 100 shares of the underlying per exercised or assigned contract) must never reach an
  expiry with options held, or the shared stock account would receive or deliver shares the
  strategy never asked for. Hedge runs happen only at the deployment's fires, so the plan is
  told the last close the next run will know (`next_run`; None: the session after today), and
  when a held leg expires `PHYSICAL_CLOSE_SESSIONS` or fewer sessions after it (the next run's
  orders would trade on or after its expiry session), every held leg is closed now (all of
  them, in the money or not: an out-of-the-money leg can end in the money at the expiry's close,
  and a short leg can be assigned early), and, with an overlay, bought anew (a `roll`). The
  closing orders trade in the session after today's close, at least one full session before
  the expiry session. What is bought must then outlive the next run by more than
  `PHYSICAL_CLOSE_SESSIONS` sessions (else the next run would only close it again):
  `OrderPlanError` otherwise, as for a tenor of `PHYSICAL_CLOSE_SESSIONS` or fewer.

Orders carry the model price as their limit price (per share, rounded to cents: up for buys,
at least a cent, down for sells, so the model price itself always meets the limit). Closing
orders close the sold legs first (buy to close), so a bought leg never leaves a sold one
uncovered.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from execution.errors import OrderPlanError
from execution.ledger import Side
from execution.options import (
    CONTRACT_MULTIPLIER,
    OPTIONS_LEVEL_NEEDED,
    OptionContract,
    OptionKind,
    PositionIntent,
    settlement_price,
)
from execution.schedule import trading_sessions
from quant.options import ImpliedVolModel
from quant.strategy import ROLL_BANDS, StrategyConfig

HedgeAction = Literal["buy", "roll", "hold", "close", "none"]
Settlement = Literal["cash", "physical"]
ContractLookup = Callable[[OptionContract], OptionContract]
"""The broker's listed contract to trade for a wanted one (same underlying and kind)."""
PERIODS_PER_YEAR = 252
PHYSICAL_CLOSE_SESSIONS = 1
"""With physical settlement, held options are closed by the run before the one whose orders
would trade this many sessions (or fewer) before their expiry: with 1, the last run before
expiry closes them, its orders trading at least one session before the expiry session."""


@dataclass(frozen=True)
class OptionPosition:
    """Contracts of `contract` held: positive long, negative short."""

    contract: OptionContract
    contracts: int


@dataclass(frozen=True)
class HedgeMarket:
    """What the plan prices with at a session's close: the hedge underlying's closes up to and
    including `today` (oldest first, at least realised_window + 1), the safe rate a year (simple,
    as the strategy's `safe_rate`) and the exchange `calendar`."""

    today: date
    closes: pd.Series
    safe_rate: float = 0.0
    calendar: str = "XNYS"

    @property
    def price(self) -> float:
        """The underlying's close today."""
        return float(self.closes.iloc[-1])

    def realised_volatility(self, window: int) -> float:
        """Annualised sample volatility (ddof = 1) of the last `window` daily simple returns."""
        returns = self.closes.astype(float).pct_change().dropna().to_numpy()[-window:]
        if len(returns) < 2:
            raise OrderPlanError(
                f"the hedge underlying needs at least {window + 1} closes up to {self.today}"
            )
        return float(np.std(returns, ddof=1) * math.sqrt(PERIODS_PER_YEAR))

    @property
    def rate(self) -> float:
        """The continuously compounded rate a year: 252 ln(1 + safe_rate / 252)."""
        return PERIODS_PER_YEAR * math.log1p(self.safe_rate / PERIODS_PER_YEAR)


@dataclass(frozen=True)
class HedgeOrder:
    """One option order of a plan: `contracts` of `contract` to buy or sell with its intent, at
    `limit_price` (per share), the model's price being `model_price`."""

    contract: OptionContract
    side: Side
    intent: PositionIntent
    contracts: int
    model_price: float
    limit_price: float

    @property
    def symbol(self) -> str:
        """The contract's OCC symbol: what the order queue trades."""
        return self.contract.symbol

    @property
    def quantity(self) -> float:
        """The contracts as the order queue's quantity."""
        return float(self.contracts)

    @property
    def premium(self) -> float:
        """Currency paid (positive, a buy) or received (negative, a sell) at the model price."""
        sign = 1.0 if self.side == "buy" else -1.0
        return sign * self.contracts * CONTRACT_MULTIPLIER * self.model_price


@dataclass(frozen=True)
class HedgePlan:
    """The decision (`action`), its orders (closes first, then opens) and why."""

    action: HedgeAction
    orders: list[HedgeOrder] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def net_premium(self) -> float:
        """Currency the plan's orders pay, net, at the model price (negative: they receive)."""
        return sum(order.premium for order in self.orders)


def model_price(
    contract: OptionContract,
    market: HedgeMarket,
    vol_model: ImpliedVolModel,
    *,
    realised_volatility: float | None = None,
) -> float:
    """The contract's model price per share at today's close; on or after its expiry, what it
    settles for (`settlement_price`: intrinsic at the expiry session's close, whatever the
    underlying did since)."""
    spot = market.price
    days = sessions_between(market.calendar, market.today, contract.expiry)
    if days <= 0:
        return settlement_price(contract, market.closes)
    rv = (
        market.realised_volatility(vol_model.realised_window)
        if realised_volatility is None
        else realised_volatility
    )
    vol = float(vol_model.volatility(rv, contract.strike / spot))
    from quant.options import option_price  # the pricing kernels on first use

    return float(
        option_price(
            contract.kind, spot, contract.strike, days / PERIODS_PER_YEAR, market.rate, vol
        )
    )


@functools.lru_cache(maxsize=65_536)
def sessions_between(calendar: str, start: date, end: date) -> int:
    """Sessions after `start` up to and including `end` (0 when `end` <= `start`); remembered
    per arguments (every option priced at a close asks it)."""
    if end <= start:
        return 0
    days = pd.DatetimeIndex(trading_sessions(calendar, start, end).index)
    return int((days > pd.Timestamp(start)).sum())


def expiry_after(calendar: str, today: date, sessions: int) -> date:
    """The session `sessions` sessions after `today` on `calendar`."""
    horizon = today + timedelta(days=sessions * 2 + 14)
    days = pd.DatetimeIndex(trading_sessions(calendar, today, horizon).index)
    later = days[days > pd.Timestamp(today)]
    return later[sessions - 1].date()


def plan_hedge(
    config: StrategyConfig,
    underlying: str,
    market: HedgeMarket,
    positions: Sequence[OptionPosition],
    *,
    risky_notional: float,
    equity: float,
    vol_model: ImpliedVolModel | None = None,
    spent_last_year: float = 0.0,
    settlement: Settlement = "cash",
    listed: ContractLookup | None = None,
    next_run: date | None = None,
) -> HedgePlan:
    """The plan at `market.today`'s close (see the module docstring). `risky_notional`,
    `equity` and `spent_last_year` are currency: the sleeve's value, the account's (options
    included) and the net premium paid opening options over the last 365 days. `settlement` is
    how the broker settles exercise and expiry (`cash`: the paper account; `physical`:
    Alpaca, whose held options are closed `PHYSICAL_CLOSE_SESSIONS` sessions before expiry);
    `listed` maps the contracts to buy to the broker's listed ones (None: traded as planned);
    `next_run` is the last close the next hedge run will know (physical settlement: None is the
    session after today)."""
    vol_model = vol_model or ImpliedVolModel()
    if not (math.isfinite(risky_notional) and risky_notional >= 0):
        raise OrderPlanError(f"risky_notional must be >= 0, got {risky_notional!r}")
    if not (math.isfinite(equity) and equity > 0):
        raise OrderPlanError(f"equity must be positive, got {equity!r}")
    if settlement not in ("cash", "physical"):
        raise OrderPlanError(f"settlement must be cash or physical, got {settlement!r}")
    if (
        settlement == "physical"
        and config.has_hedge
        and config.overlay_tenor_days <= PHYSICAL_CLOSE_SESSIONS
    ):
        raise OrderPlanError(
            f"overlay_tenor_days must exceed {PHYSICAL_CLOSE_SESSIONS} session(s) on a broker "
            f"that settles options in shares, got {config.overlay_tenor_days}"
        )
    live = [p for p in positions if p.contracts != 0 and p.contract.expiry > market.today]
    horizon = next_run if next_run is not None else expiry_after(market.calendar, market.today, 1)
    if horizon < market.today:
        raise OrderPlanError(f"next_run must not be before today ({market.today}), got {horizon}")
    rv = market.realised_volatility(vol_model.realised_window)
    if not config.has_hedge:
        if not live:
            return HedgePlan("none", notes=["the strategy has no overlay and holds no options"])
        closes = _closing_orders(live, market, vol_model, rv)
        return HedgePlan("close", closes, ["the strategy has no overlay: its options are closed"])
    if live:
        reason = (
            _before_physical_expiry(live, market, horizon) if settlement == "physical" else None
        )
        reason = reason or _band_breach(config, live, market, vol_model)
        if reason is None:
            return HedgePlan("hold", notes=["the held options still hedge the sleeve"])
        closes = _closing_orders(live, market, vol_model, rv)
        opens, notes = _opening_orders(
            config,
            underlying,
            market,
            vol_model,
            rv,
            risky_notional,
            equity,
            spent_last_year,
            listed,
        )
        if settlement == "physical" and opens:
            _outlives_next_run(opens[0].contract, market, horizon, config)
        return HedgePlan("roll", closes + opens, [reason, *notes])
    opens, notes = _opening_orders(
        config, underlying, market, vol_model, rv, risky_notional, equity, spent_last_year, listed
    )
    if settlement == "physical" and opens:
        _outlives_next_run(opens[0].contract, market, horizon, config)
    expired = [p for p in positions if p.contracts != 0 and p.contract.expiry <= market.today]
    if expired:
        notes.insert(0, f"{len(expired)} held option position(s) expire(d) and settle")
    return HedgePlan("roll" if expired else "buy", opens, notes)


def expiry_guard(
    positions: Sequence[OptionPosition],
    market: HedgeMarket,
    vol_model: ImpliedVolModel,
    next_run: date | None = None,
) -> HedgePlan:
    """The plan of a paused deployment on a broker that settles in shares: nothing is bought,
    and every held leg is closed once one would expire within the window the next run could
    not close it in (as `plan_hedge(..., settlement="physical")` decides; `next_run` the
    same); otherwise the options are held."""
    live = [p for p in positions if p.contracts != 0 and p.contract.expiry > market.today]
    if not live:
        return HedgePlan("none", notes=["the deployment is paused and holds no options"])
    horizon = next_run if next_run is not None else expiry_after(market.calendar, market.today, 1)
    reason = _before_physical_expiry(live, market, horizon)
    if reason is None:
        return HedgePlan(
            "hold",
            notes=["the deployment is paused: its options are held, nothing is bought"],
        )
    closes = _closing_orders(
        live, market, vol_model, market.realised_volatility(vol_model.realised_window)
    )
    return HedgePlan("close", closes, [reason, "the deployment is paused: nothing is bought"])


def close_all(
    positions: Sequence[OptionPosition], market: HedgeMarket, vol_model: ImpliedVolModel
) -> list[HedgeOrder]:
    """Orders closing every position not yet expired (sell to close longs, buy to close
    shorts) at today's model price."""
    live = [p for p in positions if p.contracts != 0 and p.contract.expiry > market.today]
    if not live:
        return []
    return _closing_orders(
        live, market, vol_model, market.realised_volatility(vol_model.realised_window)
    )


def _before_physical_expiry(
    live: Sequence[OptionPosition], market: HedgeMarket, next_run: date
) -> str | None:
    nearest = min(p.contract.expiry for p in live)
    sessions = sessions_between(market.calendar, next_run, nearest)
    if sessions > PHYSICAL_CLOSE_SESSIONS:
        return None
    return (
        f"a held leg expires on {nearest}, {sessions} session(s) after the close the next run "
        f"will know ({next_run}), and the broker settles in shares: every leg is closed now, "
        "before its expiry session"
    )


def _outlives_next_run(
    bought: OptionContract, market: HedgeMarket, next_run: date, config: StrategyConfig
) -> None:
    """Refuse options that the next run would have to close at once (physical settlement)."""
    if sessions_between(market.calendar, next_run, bought.expiry) > PHYSICAL_CLOSE_SESSIONS:
        return
    raise OrderPlanError(
        f"the options bought now would expire on {bought.expiry}, {PHYSICAL_CLOSE_SESSIONS} "
        f"session(s) or fewer after the close the next run will know ({next_run}), on a broker "
        f"that settles in shares: overlay_tenor_days ({config.overlay_tenor_days}) must exceed "
        "the sessions between the deployment's fires plus "
        f"{PHYSICAL_CLOSE_SESSIONS}; nothing was bought"
    )


def _band_breach(
    config: StrategyConfig,
    live: Sequence[OptionPosition],
    market: HedgeMarket,
    vol_model: ImpliedVolModel,
) -> str | None:
    """Why the held options roll early under the config's band rule (the module docstring's
    Decision), or None when they are held (or the rule is `expiry`)."""
    if config.overlay_roll not in ("band", "delta"):
        return None
    longs = [p for p in live if p.contract.kind == "put" and p.contracts > 0]
    if not longs:
        return None
    put = max(longs, key=lambda p: p.contract.strike).contract
    spot = market.price
    if config.overlay_roll == "delta":
        rv = market.realised_volatility(vol_model.realised_window)
        held_years = sessions_between(market.calendar, market.today, put.expiry) / PERIODS_PER_YEAR
        strikes = np.array([put.strike, config.overlay_strike * spot])
        from quant.options import black_scholes  # the pricing kernels on first use

        deltas = black_scholes(
            "put",
            spot,
            strikes,
            np.array([held_years, config.overlay_tenor_days / PERIODS_PER_YEAR]),
            market.rate,
            vol_model.volatility(rv, strikes / spot),
        ).delta
        held, new = float(deltas[0]), float(deltas[1])
        if abs(held - new) <= config.overlay_roll_delta_band:
            return None
        return (
            f"the bought put's delta is {held:.4f}, {abs(held - new):.4f} from the {new:.4f} of "
            f"the put a roll would buy, outside the delta band of "
            f"{config.overlay_roll_delta_band:.4f}: roll"
        )
    moneyness = put.strike / spot
    low = config.overlay_strike - config.overlay_roll_band
    high = config.overlay_strike + config.overlay_roll_band
    if low <= moneyness <= high:
        return None
    return (
        f"the bought put's strike / close is {moneyness:.4f}, outside the band "
        f"[{low:.4f}, {high:.4f}]: roll"
    )


def limit_price(price: float, side: Side) -> float:
    """`price` (per share) rounded to cents against the trader: up for a buy (at least a cent),
    down for a sell."""
    cents = price * 100
    rounded = math.ceil(cents - 1e-9) if side == "buy" else math.floor(cents + 1e-9)
    return max(rounded, 1 if side == "buy" else 0) / 100


def _closing_orders(
    live: Sequence[OptionPosition], market: HedgeMarket, vol_model: ImpliedVolModel, rv: float
) -> list[HedgeOrder]:
    orders = []
    for position in sorted(live, key=lambda p: (p.contracts > 0, p.contract.symbol)):
        price = model_price(position.contract, market, vol_model, realised_volatility=rv)
        side: Side = "sell" if position.contracts > 0 else "buy"
        intent: PositionIntent = "sell_to_close" if side == "sell" else "buy_to_close"
        orders.append(
            HedgeOrder(
                position.contract,
                side,
                intent,
                abs(position.contracts),
                price,
                limit_price(price, side),
            )
        )
    return orders


def options_level_needed(config: StrategyConfig) -> int:
    """The options trading level an account needs for every order the overlay's plans can
    place (`OPTIONS_LEVEL_NEEDED` of each leg's opening and closing intent): 2 for a put (bought
    to open), 3 for a put spread or a collar (their sold leg opens as a spread), 0 without an
    overlay."""
    if not config.has_hedge:
        return 0
    intents: list[PositionIntent] = [
        intent
        for _, _, side in _legs(config)
        for intent in (
            ("buy_to_open", "sell_to_close") if side == "buy" else ("sell_to_open", "buy_to_close")
        )
    ]
    return max(OPTIONS_LEVEL_NEEDED[intent] for intent in intents)


def _legs(config: StrategyConfig) -> list[tuple[OptionKind, float, Side]]:
    legs: list[tuple[OptionKind, float, Side]] = [("put", config.overlay_strike, "buy")]
    if config.overlay == "put_spread":
        legs.append(("put", config.overlay_lower_strike, "sell"))
    elif config.overlay == "collar":
        legs.append(("call", config.overlay_call_strike, "sell"))
    return legs


def _contracts(
    config: StrategyConfig,
    underlying: str,
    expiry: date,
    spot: float,
    listed: ContractLookup | None,
) -> list[OptionContract]:
    """The contract of each leg (`_legs` order): as planned, or the listed ones (see the module
    docstring)."""
    wanted = [
        OptionContract(underlying, expiry, kind, float(round(moneyness * spot)))
        for kind, moneyness, _ in _legs(config)
    ]
    if listed is None:
        return wanted
    bought = listed(wanted[0])
    chosen = [bought]
    for leg in wanted[1:]:
        sold = listed(OptionContract(underlying, bought.expiry, leg.kind, leg.strike))
        if sold.expiry != bought.expiry:
            raise OrderPlanError(
                f"no listed {underlying} {leg.kind} near the strike {leg.strike:g} expires with "
                f"the bought put on {bought.expiry} (the nearest is on {sold.expiry}): the "
                f"{config.overlay}'s legs must expire together; nothing was bought"
            )
        shaped = sold.strike < bought.strike if leg.kind == "put" else sold.strike > bought.strike
        if not shaped:
            where = "below" if leg.kind == "put" else "above"
            raise OrderPlanError(
                f"the listed {leg.kind} nearest the strike {leg.strike:g} is at {sold.strike:g}, "
                f"not {where} the bought put's {bought.strike:g}: the {config.overlay} has no "
                "listed shape; nothing was bought"
            )
        chosen.append(sold)
    return chosen


def _listed_in_band(
    config: StrategyConfig,
    bought: OptionContract,
    market: HedgeMarket,
    vol_model: ImpliedVolModel,
) -> None:
    """Refuse a listed bought put its own roll rule would roll at once (every run would close
    and buy it again)."""
    breach = _band_breach(config, [OptionPosition(bought, 1)], market, vol_model)
    if breach is not None:
        band = ROLL_BANDS[config.overlay_roll]
        raise OrderPlanError(
            f"the nearest listed put, {bought.symbol}, is already due to roll ({breach}); "
            f"widen {band} or hedge with an underlying listed at finer strikes; "
            "nothing was bought"
        )


def _opening_orders(
    config: StrategyConfig,
    underlying: str,
    market: HedgeMarket,
    vol_model: ImpliedVolModel,
    rv: float,
    risky_notional: float,
    equity: float,
    spent_last_year: float,
    listed: ContractLookup | None,
) -> tuple[list[HedgeOrder], list[str]]:
    spot = market.price
    expiry = expiry_after(market.calendar, market.today, config.overlay_tenor_days)
    contracts_to_trade = _contracts(config, underlying, expiry, spot, listed)
    if listed is not None:
        _listed_in_band(config, contracts_to_trade[0], market, vol_model)
    legs = [
        (contract, side, model_price(contract, market, vol_model, realised_volatility=rv))
        for contract, (_, _, side) in zip(contracts_to_trade, _legs(config), strict=True)
    ]
    contracts = math.floor(
        config.overlay_hedge_ratio * risky_notional / (spot * CONTRACT_MULTIPLIER) + 1e-9
    )
    notes = []
    net = CONTRACT_MULTIPLIER * sum(p if s == "buy" else -p for _, s, p in legs)
    if config.overlay_budget is not None and net > 0 and contracts > 0:
        per_purchase = config.overlay_budget * equity * config.overlay_tenor_days / PERIODS_PER_YEAR
        cap = max(min(per_purchase, config.overlay_budget * equity - spent_last_year), 0.0)
        affordable = math.floor(cap / net + 1e-9)
        if affordable < contracts:
            notes.append(
                f"{contracts} contracts would cost {contracts * net:,.2f}, above the budget of "
                f"{cap:,.2f} for this purchase ({spent_last_year:,.2f} spent over the last "
                f"year): {affordable} bought"
            )
            contracts = affordable
    if contracts == 0:
        notes.append(
            "no contract bought: the sleeve's notional x hedge ratio is below one contract "
            f"({CONTRACT_MULTIPLIER} x {spot:,.2f}) or the budget affords none"
        )
        return [], notes
    orders = [
        HedgeOrder(
            contract,
            side,
            "buy_to_open" if side == "buy" else "sell_to_open",
            contracts,
            price,
            limit_price(price, side),
        )
        for contract, side, price in legs
    ]
    return orders, notes
