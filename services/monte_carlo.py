"""Monte Carlo use cases: a portfolio's simulated paths per scenario and method, the fan of its
wealth and its risk over the horizon.

Paths come from `quant.scenarios.generate_scenarios` (docs/scenarios.md); the portfolio is
rebalanced daily to its weights, so its wealth is W_t = W_0 prod_{s<=t}(1 + r_s). Returns are
daily simple returns; annualised figures use 252 days; VaR, CVaR and drawdowns are positive
numbers meaning losses. The same data, options and seed give the same numbers. An input that
would make the numbers meaningless (an overflow, a loss above 100% in a day) raises
`services.errors.InputError` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quant.blas import single_threaded_blas
from quant.estimators import PERIODS_PER_YEAR
from quant.regime_names import RegimeName as ScenarioName
from quant.risk import conditional_value_at_risk, value_at_risk
from quant.scenarios import generate_scenarios, max_drawdowns
from services.errors import InputError

__all__ = [
    "HorizonRisk",
    "ScenarioName",
    "ScenarioPaths",
    "WealthFan",
    "horizon_risk",
    "paths_digest",
    "portfolio_paths",
    "wealth_fan",
    "wealth_paths",
]


@dataclass(frozen=True)
class ScenarioPaths:
    """The portfolio's daily returns (paths x days) in one scenario by one method, and the
    number of historical days of that scenario's regime."""

    scenario: str
    method: str
    regime_days: int
    returns: np.ndarray


@single_threaded_blas
def portfolio_paths(
    returns: pd.DataFrame,
    weights: pd.Series,
    *,
    scenarios: Sequence[str],
    methods: Sequence[str],
    n_paths: int,
    horizon_days: int,
    seed: int,
    block_size: int,
    weights_field: str = "weights",
) -> list[ScenarioPaths]:
    """The paths of `weights` (aligned to the returns' assets) for each method, then scenario.
    Raises `InputError` on `weights_field` when the simulated returns overflow or the portfolio
    loses more than 100% in a day on some path. Its BLAS products (a few columns by many
    path-days) run on one thread: more threads only spin beside them."""
    out: list[ScenarioPaths] = []
    for method in methods:
        scenario_set = generate_scenarios(
            returns,
            names=list(dict.fromkeys(scenarios)),
            n_paths=n_paths,
            horizon=horizon_days,
            seed=seed,
            method=method,  # type: ignore[arg-type]
            block_size=block_size,
        )
        for name in scenario_set.names:
            daily = scenario_set.risky(name, weights)
            what = f"{name} ({method}) simulated portfolio returns"
            _check_finite(daily, what, weights_field)
            ruin = daily <= -1.0
            if ruin.any():
                share = float(ruin.any(axis=1).mean())
                raise InputError(
                    weights_field,
                    f"{what}: the portfolio loses more than 100% in a day on {share:.1%} of the "
                    f"paths (gross leverage {float(weights.abs().sum()):.3g}): lower the leverage",
                )
            out.append(ScenarioPaths(name, method, scenario_set.regime_days[name], daily))
    return out


@dataclass(frozen=True)
class WealthFan:
    """Wealth along the paths: at `days` (0 = start), the `bands` (percentile -> wealth per day)
    and the mean; then terminal wealth's mean, standard deviation (ddof=1), min, max,
    percentiles and the probability of ending below the initial value."""

    days: list[int]
    bands: dict[float, list[float]]
    mean: list[float]
    terminal_mean: float
    terminal_std: float
    terminal_min: float
    terminal_max: float
    terminal_percentiles: dict[float, float]
    prob_loss: float


def wealth_fan(
    paths: ScenarioPaths,
    *,
    initial_value: float,
    percentiles: Sequence[float],
    max_points: int,
) -> WealthFan:
    """The wealth fan of `paths` from `initial_value`, at most `max_points` days from 0 to the
    horizon (evenly spaced), with the given percentiles (0-100). Raises `InputError` on
    ``horizon_days`` or ``initial_value`` when wealth overflows."""
    returns = paths.returns
    horizon = returns.shape[1]
    days = np.unique(np.linspace(0, horizon, min(max_points, horizon + 1)).round()).astype(int)
    wanted = list(dict.fromkeys(percentiles))
    wealth = _wealth(returns) * initial_value
    label = f"{paths.scenario} ({paths.method})"
    _check_finite(wealth, f"{label} wealth", "horizon_days")
    chosen = wealth[:, days]
    bands = np.percentile(chosen, wanted, axis=0)
    terminal = wealth[:, -1]
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below
        spread = float(terminal.std(ddof=1)) if terminal.size > 1 else 0.0
    _check_finite(np.array([spread]), f"{label} wealth dispersion", "initial_value")
    return WealthFan(
        days=[int(d) for d in days],
        bands={p: _floats(row) for p, row in zip(wanted, bands, strict=True)},
        mean=_floats(chosen.mean(axis=0)),
        terminal_mean=float(terminal.mean()),
        terminal_std=spread,
        terminal_min=float(np.min(terminal)),
        terminal_max=float(np.max(terminal)),
        terminal_percentiles={
            p: float(v) for p, v in zip(wanted, np.percentile(terminal, wanted), strict=True)
        },
        prob_loss=float((terminal < initial_value).mean()),
    )


@dataclass(frozen=True)
class HorizonRisk:
    """Risk over the horizon: annualised mean and volatility of the daily returns, median and
    mean horizon return, VaR and CVaR of the horizon return at the level, the probabilities of
    a loss and of a loss beyond the threshold, the mean loss beyond it (None if none), and the
    maximum drawdown's mean, median, 75th and 95th percentiles and worst."""

    mean_return: float
    volatility: float
    median_horizon_return: float
    mean_horizon_return: float
    var: float
    cvar: float
    prob_loss: float
    prob_loss_beyond_threshold: float
    expected_loss_given_breach: float | None
    drawdown_mean: float
    drawdown_median: float
    drawdown_p75: float
    drawdown_p95: float
    drawdown_worst: float


def horizon_risk(paths: ScenarioPaths, *, level: float, loss_threshold: float) -> HorizonRisk:
    """The risk of `paths` over their horizon (see `HorizonRisk`); `loss_threshold` is a
    positive fraction (0.1 = a 10% loss)."""
    returns = paths.returns
    total = np.expm1(np.log1p(returns).sum(axis=1))
    drawdowns = max_drawdowns(returns)
    breach = total < -loss_threshold
    return HorizonRisk(
        mean_return=float(returns.mean() * PERIODS_PER_YEAR),
        volatility=float(returns.std(ddof=1) * np.sqrt(PERIODS_PER_YEAR))
        if returns.size > 1
        else 0.0,
        median_horizon_return=float(np.median(total)),
        mean_horizon_return=float(total.mean()),
        var=float(np.asarray(value_at_risk(total, level=level))),
        cvar=float(np.asarray(conditional_value_at_risk(total, level=level))),
        prob_loss=float((total < 0).mean()),
        prob_loss_beyond_threshold=float(breach.mean()),
        expected_loss_given_breach=float(-total[breach].mean()) if breach.any() else None,
        drawdown_mean=float(drawdowns.mean()),
        drawdown_median=float(np.median(drawdowns)),
        drawdown_p75=float(np.quantile(drawdowns, 0.75)),
        drawdown_p95=float(np.quantile(drawdowns, 0.95)),
        drawdown_worst=float(drawdowns.max()),
    )


def _check_finite(values: np.ndarray, what: str, field: str) -> None:
    if not np.isfinite(values).all():
        raise InputError(
            field,
            f"{what} are not finite",
            f"{what} overflow: the returns, horizon or initial value are too large to simulate",
        )


def paths_digest(paths: ScenarioPaths) -> str:
    """SHA-256 (hex) of the paths' daily returns (shape and float64 bytes): the same data,
    weights, settings and seed give the same digest, so a stored simulation's paths can be
    regenerated and shown to be the ones it simulated."""
    values = np.ascontiguousarray(paths.returns, dtype=np.float64)
    h = hashlib.sha256(repr(values.shape).encode())
    h.update(values.tobytes())
    return h.hexdigest()


def wealth_paths(
    paths: ScenarioPaths, *, initial_value: float, days: Sequence[int], limit: int
) -> list[list[float]]:
    """Wealth W_t = W_0 prod_{s<=t}(1 + r_s) of the first `limit` paths at `days` (0 = the
    start, W_0 = `initial_value`): the trajectories a stored simulation keeps."""
    chosen = _wealth(paths.returns[:limit])[:, list(days)] * initial_value
    return _floats(chosen)


def _floats(values: np.ndarray) -> Any:
    """The float64 `values` as (nested) lists of Python floats: the same numbers as
    `float(v)` of each, converted by `tolist` in C."""
    return np.asarray(values, dtype=np.float64).tolist()


def _wealth(returns: np.ndarray) -> np.ndarray:
    """Wealth from 1 along each path (paths x days+1; column 0 is the start)."""
    wealth = np.empty((returns.shape[0], returns.shape[1] + 1))
    wealth[:, 0] = 1.0
    np.cumprod(1.0 + returns, axis=1, out=wealth[:, 1:])
    return wealth
