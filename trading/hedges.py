"""A deployment's option hedge settings: its spec's `hedge`, checked at creation, and what the
runs read of it (the hedge's account and ledger book, its underlying, its volatility model,
whether the hedging kill switch halted it).

`hedge` (spec field): `underlying`, a symbol of the market data standing in for the risky
sleeve (e.g. SPY: a multi-asset sleeve has no listed option of its own, so the hedge is sized on
the sleeve's notional with a beta of 1 to the underlying), and optionally `vol_model` (the
`ImpliedVolModel` fields; the engine's defaults otherwise). A rule strategy with an overlay (the
API's name for the hedge's kind: put, put spread or collar) needs one; a strategy without an
overlay, or fixed weights, refuses one. Hedges trade on the deployment's broker: its paper
options account (`execution.brokers.paper_options`, cash settled) or its Alpaca account
(`trading.accounts.alpaca`: listed contracts, settled in shares, so held options are closed the
session before expiry). On Alpaca, creation reads the account's options trading level and
refuses one below what the hedge's orders need, naming both; it refuses a collar (its sold call
is uncovered: the account holds no 100 shares of the underlying per contract for it) and a
tenor that does not exceed the most sessions between two of the deployment's fires plus
`PHYSICAL_CLOSE_SESSIONS` (each run must buy what the next one can close before its expiry
session).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from execution.errors import BrokerError
from execution.hedge import PHYSICAL_CLOSE_SESSIONS, options_level_needed
from execution.rebalance import DeployedStrategy, RuleStrategy
from execution.schedule import Schedule, trading_sessions
from quant.options import ImpliedVolModel
from quant.problems import first_problem
from quant.strategy import StrategyConfig
from services.errors import InputError
from store import Deployment


def hedge_account(deployment: Deployment) -> str:
    """The account (and ledger book) of a deployment's hedge: `hedge-<deployment id>`."""
    return f"hedge-{deployment.id}"


def hedge_spec(deployment: Deployment) -> dict[str, Any]:
    """The deployment's `hedge` settings (underlying, vol_model), empty without a hedge."""
    return dict(deployment.spec.get("hedge") or {})


def vol_model_of(deployment: Deployment) -> ImpliedVolModel:
    """The implied-volatility model the deployment's hedge is priced with."""
    return spec_vol_model(deployment.spec)


def spec_vol_model(spec: Mapping[str, Any]) -> ImpliedVolModel:
    """The implied-volatility model of a deployment spec's `hedge` (the defaults without one)."""
    return ImpliedVolModel.model_validate((spec.get("hedge") or {}).get("vol_model") or {})


def check_hedge(
    strategy: DeployedStrategy,
    hedge: Mapping[str, Any] | None,
    symbols: pd.Index,
    broker: str,
    options_level: Callable[[], int] | None = None,
    *,
    schedule: Schedule | None = None,
) -> dict[str, Any] | None:
    """The spec's `hedge` for a deployment of `strategy` on `broker` whose market data has
    `symbols` (see the module docstring); `InputError` naming the field otherwise. On a broker
    other than `paper`, `options_level` reads the account's options trading level: one below
    what the hedge's orders need (`execution.hedge.options_level_needed`) is refused naming
    both levels (field `broker`)."""
    hedged = isinstance(strategy, RuleStrategy) and strategy.config.has_hedge
    if not hedged:
        if hedge is not None:
            raise InputError(
                "hedge", "the strategy has no option overlay (overlay is none): nothing to hedge"
            )
        return None
    assert isinstance(strategy, RuleStrategy)
    kind = strategy.config.overlay
    if hedge is None or not hedge.get("underlying"):
        raise InputError(
            "hedge.underlying",
            f"the strategy's {kind} overlay needs a hedge underlying: a symbol of the market "
            "data standing in for the risky sleeve (e.g. SPY), hedged with a beta of 1",
        )
    unknown = sorted(set(hedge) - {"underlying", "vol_model"})
    if unknown:
        raise InputError(f"hedge.{unknown[0]}", "unknown field (underlying, vol_model)")
    underlying = hedge["underlying"]
    if not isinstance(underlying, str) or underlying not in symbols:
        raise InputError(
            "hedge.underlying", f"the market data has no prices for {underlying!r} to hedge with"
        )
    if broker != "paper":
        _check_alpaca(strategy.config, options_level, schedule)
    try:
        vol_model = ImpliedVolModel.model_validate(hedge.get("vol_model") or {})
    except ValidationError as exc:
        raise InputError(*first_problem(exc, "hedge.vol_model")) from None
    return {"underlying": underlying, "vol_model": vol_model.model_dump()}


def _check_alpaca(
    config: StrategyConfig,
    options_level: Callable[[], int] | None,
    schedule: Schedule | None,
) -> None:
    """Refuse, naming `broker`, a hedge the Alpaca account cannot trade (see the module
    docstring)."""
    kind = config.overlay
    if kind == "collar":
        raise InputError(
            "broker",
            "the strategy's collar sells calls the Alpaca account could not cover (a covered "
            "call needs 100 shares of the hedge underlying per contract, which the sleeve does "
            "not hold for it): hedge with a put or a put spread on Alpaca, or deploy on paper",
        )
    gap = 1 if schedule is None else sessions_between_fires(schedule)
    if config.overlay_tenor_days <= gap + PHYSICAL_CLOSE_SESSIONS:
        raise InputError(
            "broker",
            f"the strategy's overlay_tenor_days ({config.overlay_tenor_days}) must exceed the "
            f"sessions between the deployment's fires ({gap}) plus {PHYSICAL_CLOSE_SESSIONS} on "
            "Alpaca, which settles options in shares: each run closes the options the next one "
            "could not close before their expiry session",
        )
    needed = options_level_needed(config)
    level = _options_level(options_level)
    if level < needed:
        raise InputError(
            "broker",
            f"the strategy's {kind} overlay needs options trading level {needed}; the "
            f"Alpaca account's options_trading_level is {level}",
        )


def sessions_between_fires(schedule: Schedule, now: datetime | None = None) -> int:
    """The most trading sessions between two consecutive fires of `schedule` over the year
    after `now` (the whole year when it fires once or never)."""
    start = now or datetime.now(UTC)
    fires = schedule.fires_between(start, start + timedelta(days=366))
    zone = schedule.time_zone
    days = [fire.astimezone(zone).date() for fire in fires]
    sessions = pd.DatetimeIndex(
        trading_sessions(
            schedule.calendar, start.date(), (start + timedelta(days=366)).date()
        ).index
    )
    if len(days) < 2:
        return len(sessions)
    positions = sessions.searchsorted(pd.DatetimeIndex(days))
    return int(np.max(np.diff(positions)))


def _options_level(read: Callable[[], int] | None) -> int:
    if read is None:
        return 0
    try:
        return read()
    except BrokerError as exc:
        raise InputError("broker", f"the Alpaca account cannot be used: {exc}") from None


def halted(deployment: Deployment) -> bool:
    """Whether the deployment's hedging is halted by the hedging kill switch."""
    return bool((deployment.spec.get("hedging") or {}).get("halted"))
