"""Strategy configurations: how much of the wealth goes into a risky sleeve, the rest into a safe asset.

A `StrategyConfig` is one point of the hyperparameter space searched by the optimizer agent. It is
a frozen, validated pydantic model: JSON-serialisable, hashable, with a stable short `config_id`.

On each rebalance day the engine (`quant.engine.evaluate`) estimates, from the last `lookback`
daily returns of the risky sleeve, its annualised volatility ``sigma`` (sample standard deviation,
ddof=1, times sqrt(252), floored at 1e-8), its annualised mean ``mu`` (mean times 252) and the
annualised safe rate ``safe_rate`` (mean safe return over the same window times 252), and sets the
risky weight to ``clip(w_star, 0, max_leverage)`` where ``w_star`` comes from the weight function:

- ``inverse_vol``: ``w_star = target_vol / sigma``
- ``sigmoid``: ``w_star = max_leverage / (1 + exp(steepness * (sigma - target_vol) / target_vol))``
- ``merton``: ``w_star = (mu - safe_rate) / (risk_aversion * sigma**2)``

Further weight functions can be added with `register_weight_function`; they act on numpy arrays
(one element per path and rebalance day) so evaluation stays vectorised.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quant.horizons import MAX_HORIZON_DAYS, MAX_LOOKBACK

SIGMA_FLOOR = 1e-8
"""Smallest annualised volatility used by the weight functions (avoids division by zero)."""

MAX_LEVERAGE = 3.0
"""Largest `max_leverage` the engine honours. The engine models no margin call: a strategy
holding m times its wealth in the risky sleeve loses m times the sleeve's return in a day, and
compounds what is left, so a day on which the sleeve falls by 1/m or more would take wealth
through zero, which no account survives. The worst daily return of a stock in the embedded data
(2005-2022) is -29 % (a single-stock sleeve); at m = 3 that day leaves 13 % of the wealth,
at m = 1/0.29 = 3.45 nothing. Leveraged funds and margin accounts stop at 2-3 times too."""

MAX_TARGET_VOL = 1.0
"""Largest volatility target a chat draft takes (`agents.chat.RequestDraft`; the engine takes
any, and stored strategies may hold more): 100 % a year. The S&P 500's annualised volatility ran 10-80 % in
2005-2022 (its 2008 and 2020 peaks) and a stock's seldom above 100 %; a target beyond it would
keep any sleeve at its leverage cap and is, almost always, a percent written as a fraction (5
for 5 %)."""

BUILTIN_WEIGHT_FUNCTIONS = ("inverse_vol", "sigmoid", "merton")
"""Weight functions the engine computes inside its compiled loop (codes 0, 1, 2)."""

RuleParameter = Literal[
    "target_vol",
    "weight_function",
    "lookback",
    "rebalance_every",
    "max_leverage",
    "risk_aversion",
    "steepness",
]
"""A parameter of the allocation rule (what a search is asked to tune or explain)."""
OverlayParameter = Literal[
    "overlay",
    "overlay_strike",
    "overlay_lower_strike",
    "overlay_call_strike",
    "overlay_tenor_days",
    "overlay_roll",
    "overlay_roll_band",
    "overlay_roll_delta_band",
    "overlay_hedge_ratio",
    "overlay_budget",
]
"""A parameter of the option overlay (see `StrategyConfig` and docs/engine.md)."""
StrategyField = Literal[RuleParameter, "cost_bps", "sleeve", OverlayParameter]
"""Any field of `StrategyConfig`: the rule's parameters, the overlay's, the trading cost and the
sleeve."""

HedgeKind = Literal["none", "put", "put_spread", "collar"]
"""Option protection on the risky sleeve: none; a protective put; a put spread (a put bought at
`overlay_strike`, one sold at `overlay_lower_strike`); a collar (a put bought at
`overlay_strike`, a call sold at `overlay_call_strike`)."""

HEDGE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "put": (),
    "put_spread": ("overlay_lower_strike",),
    "collar": ("overlay_call_strike",),
}
"""The hedge's `overlay_*` fields that only some hedge kinds read (every kind reads the others)."""

OverlayRoll = Literal["expiry", "band", "delta"]
"""When held options are rolled: at expiry only, or also early at a moneyness band ("band") or
a delta band ("delta"); see `StrategyConfig` and docs/engine.md."""

ROLL_BANDS: dict[str, str] = {"band": "overlay_roll_band", "delta": "overlay_roll_delta_band"}
"""The band field each early-roll rule reads (the rule "expiry" reads none)."""

SleeveName = Literal["single", "hrp", "risk_parity", "min_volatility", "max_sharpe"]

WEIGHT_FUNCTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "inverse_vol": ("target_vol",),
    "sigmoid": ("target_vol", "steepness"),
    "merton": ("risk_aversion",),
}
"""The `StrategyConfig` fields each built-in weight function reads (besides the fields every
strategy uses: lookback, rebalance_every, max_leverage, cost_bps, sleeve)."""


class WeightFunction(Protocol):
    """``fn(sigma, mu, safe_rate, params) -> w_star``, elementwise on float64 arrays.

    ``sigma``, ``mu`` and ``safe_rate`` are annualised (sigma already floored at `SIGMA_FLOOR`);
    ``params`` is the `StrategyConfig`. The result, before clipping to [0, max_leverage], must be
    finite wherever the inputs are.
    """

    def __call__(
        self, sigma: np.ndarray, mu: np.ndarray, safe_rate: np.ndarray, params: StrategyConfig
    ) -> np.ndarray: ...


_WEIGHT_FUNCTIONS: dict[str, WeightFunction] = {}


def register_weight_function(
    name: str, fn: WeightFunction | None = None
) -> Callable[[WeightFunction], WeightFunction] | WeightFunction:
    """Register a weight function under `name`; usable as ``@register_weight_function("name")``.

    Registering an existing name replaces it, except the built-in names, which are refused (the
    engine computes those in compiled code and would ignore a replacement).
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"weight function name must be a non-empty string, got {name!r}")
    if name in BUILTIN_WEIGHT_FUNCTIONS and name in _WEIGHT_FUNCTIONS:
        raise ValueError(f"weight function {name!r} is built in and cannot be replaced")

    def decorator(func: WeightFunction) -> WeightFunction:
        if not callable(func):
            raise TypeError(f"weight function {name!r} must be callable")
        _WEIGHT_FUNCTIONS[name] = func
        return func

    if fn is None:
        return decorator
    return decorator(fn)


def registered_weight_functions() -> tuple[str, ...]:
    """Names of the registered weight functions, sorted."""
    return tuple(sorted(_WEIGHT_FUNCTIONS))


def get_weight_function(name: str) -> WeightFunction:
    """The registered weight function `name`; `KeyError` listing the registered names if absent."""
    try:
        return _WEIGHT_FUNCTIONS[name]
    except KeyError:
        known = ", ".join(registered_weight_functions())
        raise KeyError(f"unknown weight function {name!r}; registered: {known}") from None


def _inverse_vol(
    sigma: np.ndarray, mu: np.ndarray, safe_rate: np.ndarray, params: StrategyConfig
) -> np.ndarray:
    return params.target_vol / np.maximum(sigma, SIGMA_FLOOR)


def _sigmoid(
    sigma: np.ndarray, mu: np.ndarray, safe_rate: np.ndarray, params: StrategyConfig
) -> np.ndarray:
    z = params.steepness * (np.maximum(sigma, SIGMA_FLOOR) - params.target_vol) / params.target_vol
    with np.errstate(over="ignore"):
        return params.max_leverage / (1.0 + np.exp(z))


def _merton(
    sigma: np.ndarray, mu: np.ndarray, safe_rate: np.ndarray, params: StrategyConfig
) -> np.ndarray:
    s = np.maximum(sigma, SIGMA_FLOOR)
    return (mu - safe_rate) / (params.risk_aversion * s * s)


register_weight_function("inverse_vol", _inverse_vol)
register_weight_function("sigmoid", _sigmoid)
register_weight_function("merton", _merton)


class StrategyConfig(BaseModel):
    """One allocation strategy between a risky sleeve and a safe asset (all rates annualised).

    Fields
    ------
    target_vol: annualised volatility target (> 0), e.g. 0.10 for 10 %.
    weight_function: name of a registered weight function (see `registered_weight_functions`).
    lookback: estimation window L in trading days (2 to `MAX_LOOKBACK`, 2,499).
    rebalance_every: days k between rebalances (1 to `MAX_HORIZON_DAYS`, 2,520: one rebalance in
        the longest horizon); rebalance days are L, L+k, L+2k, ...
    max_leverage: upper bound m of the risky weight (> 0, at most `MAX_LEVERAGE`, 3); weights are
        clipped to [0, m].
    risk_aversion: gamma of the Merton rule (> 0).
    steepness: kappa of the sigmoid rule (> 0).
    cost_bps: proportional trading cost c in basis points of the traded notional (>= 0).
    sleeve: "single" (the risky input is one return series per path) or an optimizer that builds
        the sleeve from several assets on each rebalance day.

    Option overlay (European options on the risky sleeve, priced by the engine with
    `quant.options`; the rules are in docs/engine.md):

    overlay: "none", "put", "put_spread" or "collar" (see `HedgeKind`).
    overlay_strike: strike of the bought put as a fraction of the sleeve's level at purchase
        (0.95 = 5 % out of the money).
    overlay_lower_strike: put_spread only: strike of the sold put (< overlay_strike).
    overlay_call_strike: collar only: strike of the sold call (> overlay_strike).
    overlay_tenor_days: trading days from purchase to expiry (252 a year).
    overlay_roll: "expiry" (buy the next options when the held ones expire), "band" (also roll
        early when the bought put's strike / level leaves overlay_strike +- overlay_roll_band) or
        "delta" (also roll early when the held bought put's Black-Scholes delta differs from the
        delta of the put the rule would buy at that close by more than overlay_roll_delta_band).
    overlay_roll_band: half-width of the moneyness band (read with roll "band").
    overlay_roll_delta_band: half-width of the delta band, in delta units (a put's delta is in
        [-1, 0]; read with roll "delta").
    overlay_hedge_ratio: options bought per unit of risky sleeve held at purchase (1 covers it).
    overlay_budget: largest premium per year as a fraction of wealth (None: no cap); a purchase
        that would cost more than budget x wealth x tenor_days / 252 buys fewer options.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_vol: float = Field(default=0.10, gt=0, allow_inf_nan=False)
    weight_function: str = "inverse_vol"
    lookback: int = Field(default=63, ge=2, le=MAX_LOOKBACK)
    rebalance_every: int = Field(default=21, ge=1, le=MAX_HORIZON_DAYS)
    max_leverage: float = Field(default=1.0, gt=0, le=MAX_LEVERAGE, allow_inf_nan=False)
    risk_aversion: float = Field(default=2.0, gt=0, allow_inf_nan=False)
    steepness: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    cost_bps: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    sleeve: SleeveName = "single"
    overlay: HedgeKind = "none"
    overlay_strike: float = Field(default=0.95, gt=0.5, le=1.2, allow_inf_nan=False)
    overlay_lower_strike: float = Field(default=0.80, gt=0.3, lt=1.2, allow_inf_nan=False)
    overlay_call_strike: float = Field(default=1.10, gt=0.8, le=2.0, allow_inf_nan=False)
    overlay_tenor_days: int = Field(default=63, ge=5, le=756)
    overlay_roll: OverlayRoll = "expiry"
    overlay_roll_band: float = Field(default=0.10, gt=0, le=0.5, allow_inf_nan=False)
    overlay_roll_delta_band: float = Field(default=0.10, gt=0, le=0.5, allow_inf_nan=False)
    overlay_hedge_ratio: float = Field(default=1.0, gt=0, le=2.0, allow_inf_nan=False)
    overlay_budget: float | None = Field(default=None, gt=0, le=0.5, allow_inf_nan=False)

    @model_validator(mode="after")
    def _hedge_strikes_ordered(self) -> StrategyConfig:
        if self.overlay == "put_spread" and not self.overlay_lower_strike < self.overlay_strike:
            raise ValueError(
                f"overlay_lower_strike ({self.overlay_lower_strike}) must be below overlay_strike "
                f"({self.overlay_strike}) for a put spread"
            )
        if self.overlay == "collar" and not self.overlay_call_strike > self.overlay_strike:
            raise ValueError(
                f"overlay_call_strike ({self.overlay_call_strike}) must be above overlay_strike "
                f"({self.overlay_strike}) for a collar"
            )
        return self

    @property
    def has_hedge(self) -> bool:
        """Whether the strategy holds options (overlay other than "none")."""
        return self.overlay != "none"

    @field_validator("weight_function")
    @classmethod
    def _known_weight_function(cls, value: str) -> str:
        if value not in _WEIGHT_FUNCTIONS:
            known = ", ".join(registered_weight_functions())
            raise ValueError(
                f"weight_function={value!r} is not registered; registered names: {known}"
            )
        return value

    def canonical_json(self) -> str:
        """The configuration as JSON with sorted keys: the text `config_id` hashes. Without an
        overlay the overlay fields are left out (they change nothing), so the ids of strategies
        without options are those they had before overlays existed; likewise
        `overlay_roll_delta_band` unless the roll rule is "delta", so the ids of strategies that
        roll at expiry or at a moneyness band are those they had before the delta rule existed."""
        data = self.model_dump(mode="json")
        if not self.has_hedge:
            data = {name: value for name, value in data.items() if not name.startswith("overlay")}
        elif self.overlay_roll != "delta":
            del data["overlay_roll_delta_band"]
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @property
    def config_id(self) -> str:
        """Stable 12-hex-digit id: the start of the SHA-256 of `canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:12]

    def unused_parameters(self) -> frozenset[str]:
        """Fields that do not change this configuration's results: the parameters of the other
        built-in weight functions (none for a weight function registered by a user, whose
        reads are not known) and the overlay fields this overlay does not read."""
        unused: set[str] = set()
        if self.has_hedge:
            kind_specific = {name for names in HEDGE_PARAMETERS.values() for name in names}
            unused |= kind_specific - set(HEDGE_PARAMETERS[self.overlay])
            unused |= {band for rule, band in ROLL_BANDS.items() if rule != self.overlay_roll}
        else:
            unused |= {name for name in type(self).model_fields if name.startswith("overlay_")}
        used = WEIGHT_FUNCTION_PARAMETERS.get(self.weight_function)
        if used is not None:
            specific = {name for names in WEIGHT_FUNCTION_PARAMETERS.values() for name in names}
            unused |= specific - set(used)
        return frozenset(unused)


def check_config(config: StrategyConfig) -> None:
    """Re-check a config's numeric fields (configs built with ``model_construct`` skip validation).

    Raises ``ValueError`` naming the field and the value; the engine turns it into a QuantError.
    """
    positive = {
        "target_vol": config.target_vol,
        "max_leverage": config.max_leverage,
        "risk_aversion": config.risk_aversion,
        "steepness": config.steepness,
    }
    for field, value in positive.items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{field} must be a finite number > 0, got {value!r}")
    if config.max_leverage > MAX_LEVERAGE:
        raise ValueError(
            f"max_leverage must be at most {MAX_LEVERAGE:g}, got {config.max_leverage!r}"
        )
    if not (
        isinstance(config.cost_bps, int | float)
        and math.isfinite(config.cost_bps)
        and config.cost_bps >= 0
    ):
        raise ValueError(f"cost_bps must be a finite number >= 0, got {config.cost_bps!r}")
    if not isinstance(config.lookback, int) or not 2 <= config.lookback <= MAX_LOOKBACK:
        raise ValueError(
            f"lookback must be an integer from 2 to {MAX_LOOKBACK}, got {config.lookback!r}"
        )
    if not isinstance(config.rebalance_every, int) or not 1 <= config.rebalance_every <= (
        MAX_HORIZON_DAYS
    ):
        raise ValueError(
            f"rebalance_every must be an integer from 1 to {MAX_HORIZON_DAYS}, "
            f"got {config.rebalance_every!r}"
        )
    if config.weight_function not in _WEIGHT_FUNCTIONS:
        known = ", ".join(registered_weight_functions())
        raise ValueError(
            f"weight_function={config.weight_function!r} is not registered; registered: {known}"
        )
    if config.sleeve not in ("single", "hrp", "risk_parity", "min_volatility", "max_sharpe"):
        raise ValueError(f"sleeve={config.sleeve!r} is not a known sleeve")
    if config.overlay not in ("none", "put", "put_spread", "collar"):
        raise ValueError(f"overlay={config.overlay!r} is not a known overlay")
    if config.has_hedge:
        try:
            StrategyConfig.model_validate(config.model_dump())
        except ValueError as exc:
            raise ValueError(f"overlay fields: {exc}") from exc
