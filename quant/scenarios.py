"""Market scenarios: Monte Carlo paths of daily asset returns replaying historical regimes.

`generate_scenarios` identifies regimes on a history of daily simple returns (see
`quant.regimes`) and simulates, for each requested scenario, `n_paths` paths of `horizon` days of
every asset's daily simple returns:

- `block_bootstrap` (default): a circular block bootstrap on the regime's days in date order.
  Each path is a concatenation of blocks of `block_size` consecutive regime days, whole days
  across all assets (so cross-asset correlation, fat tails and volatility clustering within a
  block are those of history). A block starts on a regime day drawn uniformly; it takes the next
  regime days in date order, which are consecutive historical days inside a stretch of regime
  days; at the end of a stretch it continues with the first day of the next stretch, and after
  the last regime day with the first one. So every regime day is equally likely at every position
  of a path, and a scenario's expected mean and covariance are exactly those of its regime's days.
  The last block of a path is cut to fit the horizon. Only block starts are drawn
  (n_paths x ceil(horizon / block_size) integers); the days are gathered with fancy indexing.
- `gbm`: correlated geometric Brownian motion. The mean vector mu and covariance Sigma (ddof=1) of
  the daily log returns ln(1 + r) on the regime's days are estimated; each simulated day draws
  x ~ N(mu, Sigma) and returns the simple return exp(x) - 1.

The market series (`market`, e.g. the index, on the history's days) follows each path too
(`ScenarioSet.market`, to compare a strategy with the index on the same paths): a bootstrap path
takes the market's return of each historical day it takes; a gbm path draws the market's log
return from its normal distribution conditional on the assets' simulated log returns (the
regime's joint mean and covariance), from a random stream of its own, so drawing it changes no
asset path.

Reproducibility: scenario `name` draws from the random stream
`SeedSequence(seed).spawn(5)[REGIME_NAMES.index(name)]` (bit generator SFC64), so the paths of a
scenario depend only on the history, the parameters, the seed and the scenario's name: requesting
more, fewer or reordered scenarios never changes the paths of the others. Every configuration
evaluated on a `ScenarioSet` sees the same paths (common random numbers).

Regimes identified without a `market` are kept for the last `REGIME_CACHE_SIZE` histories
(keyed by the history's float64 bytes and shape, and the regime settings), so simulating again
on the same data (another method, seed or request) does not identify them again.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, DataError, InsufficientDataError
from quant.estimators import PERIODS_PER_YEAR
from quant.regime_names import REGIME_NAMES
from quant.regimes import Alignment, identify_regimes
from quant.validation import as_returns_frame, check_vector

__all__ = [
    "METHODS",
    "ScenarioMethod",
    "ScenarioSet",
    "generate_scenarios",
    "scenario_stream",
]

ScenarioMethod = Literal["block_bootstrap", "gbm"]
METHODS: tuple[str, ...] = ("block_bootstrap", "gbm")

REGIME_CACHE_SIZE = 16
"""Histories whose regimes (identified without a market) are kept, least recently used out."""

_RegimeKey = tuple[object, ...]
_Regimes = tuple[dict[str, np.ndarray], dict[str, float]]
_regime_cache: OrderedDict[_RegimeKey, _Regimes] = OrderedDict()
_regime_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Simulated daily simple returns per scenario.

    `paths[name]` is a float64 array (n_paths, horizon, n_assets) of daily simple returns in the
    order of `assets`; `market[name]` (n_paths, horizon) those of the market series on the same
    paths (None without a market). `regime_days[name]` is the number of historical days in the
    scenario's regime. Arrays are shared, not copied, by `subset`; treat them as read-only.
    """

    names: tuple[str, ...]
    assets: tuple[str, ...]
    paths: dict[str, np.ndarray]
    seed: int
    method: str
    regime_days: dict[str, int]
    block_size: int | None = None
    window: int = 63
    thresholds: dict[str, float] = field(default_factory=dict)
    market: dict[str, np.ndarray] | None = None

    @property
    def n_paths(self) -> int:
        """Paths per scenario."""
        return int(self.paths[self.names[0]].shape[0])

    @property
    def horizon(self) -> int:
        """Days per path."""
        return int(self.paths[self.names[0]].shape[1])

    @property
    def n_assets(self) -> int:
        """Assets per day."""
        return len(self.assets)

    def _array(self, name: str) -> np.ndarray:
        if name not in self.paths:
            raise ConstraintError(
                f"unknown scenario {name!r}: this set holds {', '.join(self.names)}"
            )
        return self.paths[name]

    def risky(
        self, name: str, weights: pd.Series | np.ndarray | Sequence[float] | None = None
    ) -> np.ndarray:
        """Daily simple returns (n_paths, horizon) of the risky asset in scenario `name`.

        With one asset, that asset's returns. Otherwise a portfolio rebalanced daily to `weights`
        (a Series indexed by asset name or an array in `assets` order; default equal weights): its
        daily return is sum_i w_i r_i (any weight not invested, 1 - sum w, earns nothing).
        """
        array = self._array(name)
        if weights is None:
            if self.n_assets == 1:
                return np.ascontiguousarray(array[:, :, 0])
            vector = np.full(self.n_assets, 1.0 / self.n_assets)
        else:
            vector = check_vector(weights, list(self.assets), "weights")
        return np.asarray(array @ vector, dtype=np.float64)

    def subset(self, names: Sequence[str]) -> ScenarioSet:
        """The same paths restricted to `names` (in that order); arrays are shared, not copied."""
        chosen = _check_names([names] if isinstance(names, str) else names, allowed=self.names)
        return ScenarioSet(
            names=chosen,
            assets=self.assets,
            paths={n: self.paths[n] for n in chosen},
            seed=self.seed,
            method=self.method,
            regime_days={n: self.regime_days[n] for n in chosen},
            block_size=self.block_size,
            window=self.window,
            thresholds=dict(self.thresholds),
            market=None if self.market is None else {n: self.market[n] for n in chosen},
        )

    def summary(
        self, weights: pd.Series | np.ndarray | Sequence[float] | None = None
    ) -> pd.DataFrame:
        """One row per scenario describing the portfolio of `risky(name, weights)`.

        Columns: `regime_days`; `mean_return` (mean daily return x 252); `volatility` (standard
        deviation of all path-days, ddof=1, x sqrt(252)); `median_total_return` and
        `p05_total_return` (median and 5th percentile over paths of the compounded return over the
        horizon); `median_max_drawdown` and `worst_max_drawdown` (median and largest over paths of
        the maximum drawdown, positive = loss, measured from the starting wealth of 1); and, with
        several assets, `mean_correlation` (average pairwise correlation of the assets' daily
        returns over all path-days).
        """
        rows: dict[str, dict[str, float]] = {}
        for name in self.names:
            returns = self.risky(name, weights)
            total = np.expm1(np.log1p(returns).sum(axis=1))
            drawdown = max_drawdowns(returns)
            row = {
                "regime_days": float(self.regime_days[name]),
                "mean_return": float(returns.mean() * PERIODS_PER_YEAR),
                "volatility": float(returns.std(ddof=1) * np.sqrt(PERIODS_PER_YEAR)),
                "median_total_return": float(np.median(total)),
                "p05_total_return": float(np.quantile(total, 0.05)),
                "median_max_drawdown": float(np.median(drawdown)),
                "worst_max_drawdown": float(drawdown.max()),
            }
            if self.n_assets > 1:
                flat = self.paths[name].reshape(-1, self.n_assets)
                corr = np.corrcoef(flat, rowvar=False)
                upper = corr[np.triu_indices(self.n_assets, k=1)]
                row["mean_correlation"] = float(upper.mean())
            rows[name] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame["regime_days"] = frame["regime_days"].astype(int)
        frame.index.name = "scenario"
        return frame


def max_drawdowns(returns: np.ndarray) -> np.ndarray:
    """Maximum drawdown of each path (rows) of daily simple returns, positive = loss, from wealth 1."""
    wealth = np.cumprod(1.0 + returns, axis=1)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)
    return np.asarray((1.0 - wealth / peak).max(axis=1))


def scenario_stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of scenario `name` under `seed` (independent of the other scenarios)."""
    child = np.random.SeedSequence(seed).spawn(len(REGIME_NAMES))[REGIME_NAMES.index(name)]
    return np.random.Generator(np.random.SFC64(child))


def market_stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of the market series' gbm draws in scenario `name` under `seed`
    (independent of every scenario's own stream)."""
    count = len(REGIME_NAMES)
    child = np.random.SeedSequence(seed).spawn(2 * count)[count + REGIME_NAMES.index(name)]
    return np.random.Generator(np.random.SFC64(child))


def _check_count(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConstraintError(f"{field_name} must be an integer >= 1, got {value!r}")
    return int(value)


def _check_names(names: Sequence[str], *, allowed: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(names)
    if not chosen:
        raise ConstraintError(f"names must list at least one scenario of {', '.join(allowed)}")
    unknown = [n for n in chosen if n not in allowed]
    if unknown:
        raise ConstraintError(
            f"unknown scenario name {unknown[0]!r}: choose from {', '.join(allowed)}"
        )
    duplicates = sorted({n for n in chosen if chosen.count(n) > 1})
    if duplicates:
        raise ConstraintError(f"duplicate scenario names: {', '.join(duplicates)}")
    return chosen


def regime_day_blocks(mask: np.ndarray, block_size: int) -> np.ndarray:
    """Row numbers of the regime's days in date order, followed by its first `block_size - 1` days.

    A block starting at regime day j (0 <= j < number of regime days) is the slice
    `[j, j + block_size)` of this array: the circular wrap of the block bootstrap.
    """
    days = np.flatnonzero(mask)
    return np.concatenate([days, days[: block_size - 1]])


def _bootstrap_days(
    mask: np.ndarray,
    n_paths: int,
    horizon: int,
    block_size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The historical day (row of the history) of each path's every day, (n_paths, horizon)."""
    ring = regime_day_blocks(mask, block_size)
    n_days = len(ring) - (block_size - 1)
    n_blocks = -(-horizon // block_size)
    starts = rng.integers(0, n_days, size=(n_paths, n_blocks))
    positions = (starts[:, :, None] + np.arange(block_size)).reshape(n_paths, n_blocks * block_size)
    return np.asarray(ring[positions[:, :horizon]])


def _conditional_gbm(
    values: np.ndarray, market: np.ndarray, paths: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The market's simple returns (paths, days) beside gbm asset `paths`: its log return drawn
    from the normal distribution conditional on the assets' simulated log returns, with the
    joint log-return mean and covariance (ddof=1) of the regime's days (`values`, `market`)."""
    joint = np.log1p(np.column_stack([values, market]))
    mu = joint.mean(axis=0)
    cov = np.atleast_2d(np.cov(joint, rowvar=False, ddof=1))
    assets = cov[:-1, :-1]
    beta = np.linalg.lstsq(assets, cov[:-1, -1], rcond=None)[0]
    spread = math.sqrt(max(float(cov[-1, -1] - cov[:-1, -1] @ beta), 0.0))
    logs = np.log1p(paths.reshape(-1, paths.shape[2]))
    draws = rng.standard_normal(logs.shape[0])
    simulated = mu[-1] + (logs - mu[:-1]) @ beta + spread * draws
    return np.expm1(simulated).reshape(paths.shape[0], paths.shape[1])


def _gbm(values: np.ndarray, n_paths: int, horizon: int, rng: np.random.Generator) -> np.ndarray:
    logs = np.log1p(values)
    mu = logs.mean(axis=0)
    cov = np.atleast_2d(np.cov(logs, rowvar=False, ddof=1))
    eigenvalues, eigenvectors = np.linalg.eigh((cov + cov.T) / 2.0)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    n_assets = values.shape[1]
    normals = np.empty((n_paths * horizon, n_assets))
    rng.standard_normal(out=normals)
    simulated = normals @ root.T
    simulated += mu
    np.expm1(simulated, out=simulated)
    return simulated.reshape(n_paths, horizon, n_assets)


def generate_scenarios(
    history: pd.DataFrame | pd.Series,
    names: Sequence[str] = REGIME_NAMES,
    n_paths: int = 1000,
    horizon: int = 252,
    seed: int = 0,
    method: ScenarioMethod = "block_bootstrap",
    *,
    block_size: int = 20,
    market: pd.Series | None = None,
    window: int = 63,
    quantile: float = 1.0 / 3.0,
    alignment: Alignment = "centered",
) -> ScenarioSet:
    """Simulate `n_paths` paths of `horizon` days of daily simple returns for each scenario.

    `history`: daily simple returns (rows: days, columns: assets; a Series for one asset), no NaN.
    `names`: scenarios among bull, bear, high_vol, low_vol, base (regimes of `identify_regimes`
    with `window`, `market`, `quantile` and `alignment`). `method`: `block_bootstrap` (blocks of
    `block_size` consecutive historical regime days) or `gbm` (correlated log-normal returns with
    the regime's log-return mean and covariance); see the module docstring. Each regime must have
    at least 2 x `block_size` days (for either method, so both accept the same inputs);
    otherwise `InsufficientDataError` names the regime and its day count.
    The same arguments and `seed` always give the same paths.
    """
    chosen = _check_names([names] if isinstance(names, str) else names, allowed=REGIME_NAMES)
    n_paths = _check_count(n_paths, "n_paths")
    horizon = _check_count(horizon, "horizon")
    block_size = _check_count(block_size, "block_size")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConstraintError(f"seed must be a non-negative integer, got {seed!r}")
    if method not in METHODS:
        raise ConstraintError(f"unknown method {method!r}: choose from {', '.join(METHODS)}")
    frame = as_returns_frame(history)
    values = np.ascontiguousarray(frame.to_numpy(dtype=np.float64))
    if method == "gbm" and (values <= -1.0).any():
        row, col = np.argwhere(values <= -1.0)[0]
        raise DataError(
            f"return of {frame.columns[col]} on {frame.index[row]!s} is <= -100%: "
            "log returns for gbm are undefined"
        )
    masks, thresholds = _regimes(
        frame, values, window=window, market=market, quantile=quantile, alignment=alignment
    )
    follows = _market_on(frame, market)
    minimum = 2 * block_size
    paths: dict[str, np.ndarray] = {}
    market_paths: dict[str, np.ndarray] = {}
    regime_days: dict[str, int] = {}
    for name in chosen:
        mask = masks[name]
        count = int(mask.sum())
        if count < minimum:
            raise InsufficientDataError(
                f"regime {name!r} has {count} days, fewer than the minimum of {minimum} "
                f"(2 x block_size {block_size}); use a longer history or a smaller block_size"
            )
        regime_days[name] = count
        paths[name], followed = _simulate(
            values, follows, mask, name, int(seed), method, (n_paths, horizon, block_size)
        )
        if followed is not None:
            market_paths[name] = followed
    return ScenarioSet(
        names=chosen,
        assets=tuple(str(c) for c in frame.columns),
        paths=paths,
        seed=int(seed),
        method=method,
        regime_days=regime_days,
        block_size=block_size if method == "block_bootstrap" else None,
        window=int(window),
        thresholds=dict(thresholds),
        market=market_paths if follows is not None else None,
    )


def _regimes(
    frame: pd.DataFrame,
    values: np.ndarray,
    *,
    window: int,
    market: pd.Series | None,
    quantile: float,
    alignment: Alignment,
) -> _Regimes:
    """Each regime's membership mask (read-only) and the thresholds of `identify_regimes` on
    `frame` (whose float64 values are `values`); without a market, from the bounded cache of
    the histories last seen (see the module docstring)."""
    if market is not None:
        return _identified(frame, window, market, quantile, alignment)
    key: _RegimeKey = (
        values.shape,
        hashlib.blake2b(values.tobytes(), digest_size=32).digest(),
        type(window).__name__,
        window,
        type(quantile).__name__,
        quantile,
        alignment,
    )
    with _regime_lock:
        found = _regime_cache.get(key)
        if found is not None:
            _regime_cache.move_to_end(key)
            return found
    found = _identified(frame, window, None, quantile, alignment)
    with _regime_lock:
        _regime_cache[key] = found
        _regime_cache.move_to_end(key)
        while len(_regime_cache) > REGIME_CACHE_SIZE:
            _regime_cache.popitem(last=False)
    return found


def _identified(
    frame: pd.DataFrame,
    window: int,
    market: pd.Series | None,
    quantile: float,
    alignment: Alignment,
) -> _Regimes:
    """`identify_regimes` on `frame`: read-only masks per regime and the thresholds."""
    regimes = identify_regimes(
        frame, window=window, market=market, quantile=quantile, alignment=alignment
    )
    masks: dict[str, np.ndarray] = {}
    for name in REGIME_NAMES:
        mask = np.array(regimes[name].to_numpy(dtype=bool))
        mask.setflags(write=False)
        masks[name] = mask
    return masks, dict(regimes.attrs.get("thresholds", {}))


def _simulate(
    values: np.ndarray,
    follows: np.ndarray | None,
    mask: np.ndarray,
    name: str,
    seed: int,
    method: str,
    shape: tuple[int, int, int],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Scenario `name`'s asset paths and, with a market, the market's on the same paths
    (`shape`: paths, horizon, block size); see the module docstring."""
    n_paths, horizon, block_size = shape
    rng = scenario_stream(seed, name)
    if method == "block_bootstrap":
        days = _bootstrap_days(mask, n_paths, horizon, block_size, rng)
        # whole rows gathered with `take`: the same copy as values[days], several times faster
        paths = np.take(values, days, axis=0)
        return paths, None if follows is None else np.take(follows, days)
    paths = _gbm(values[mask], n_paths, horizon, rng)
    if follows is None:
        return paths, None
    return paths, _conditional_gbm(values[mask], follows[mask], paths, market_stream(seed, name))


def _market_on(frame: pd.DataFrame, market: pd.Series | None) -> np.ndarray | None:
    """The market's returns on the history's days, or None without a market or when it misses
    one of them (or a gbm log return would be undefined)."""
    if market is None:
        return None
    aligned = market.reindex(frame.index).to_numpy(dtype=np.float64)
    if not np.isfinite(aligned).all() or (aligned <= -1.0).any():
        return None
    return aligned
