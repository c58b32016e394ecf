"""The search's inputs: scenarios as arrays (`ScenarioData`, `as_scenarios`), the methods, and the checks
of lookbacks, batch sizes and seeds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from quant.errors import DataError, SearchSpaceError
from quant.scenarios import ScenarioSet
from quant.tuning.space import SearchSpace

SearchMethod = Literal["grid", "random", "tpe"]


METHODS: tuple[str, ...] = ("grid", "random", "tpe")


MIN_EVAL_DAYS = 2
"""Days a path must have after the lookback warm-up for its metrics to be defined."""


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScenarioData:
    """One scenario's inputs for `evaluate`.

    `risky`: daily simple returns (paths, days) of the risky series, used by `sleeve="single"`
    configs. `assets`: (paths, days, assets) asset returns for optimizer sleeves, or None.
    `market`: (paths, days) returns of the market series on the same paths (a benchmark: the
    strategies evaluated never hold it), or None.
    """

    risky: np.ndarray
    assets: np.ndarray | None = None
    market: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        """Paths P."""
        return int(self.risky.shape[0])

    @property
    def horizon(self) -> int:
        """Days per path."""
        return int(self.risky.shape[1])


def as_scenarios(scenarios: ScenarioSet | Mapping[str, Any]) -> dict[str, ScenarioData]:
    """Scenario name -> `ScenarioData` (float64, finite).

    A `ScenarioSet` gives `risky(name)` (its single asset, or the daily-rebalanced equal-weight
    portfolio of its assets), with several assets `paths[name]` for optimizer sleeves, and its
    market series' paths when it has them. A
    mapping gives arrays: (days,) for one path, (paths, days) risky returns, or
    (paths, days, assets) asset returns (the risky series is then their equal-weight mean).
    """
    market: Mapping[str, np.ndarray] = {}
    if isinstance(scenarios, ScenarioSet):
        raw: dict[str, Any] = {name: scenarios.paths[name] for name in scenarios.names}
        market = scenarios.market or {}
    elif isinstance(scenarios, Mapping):
        raw = dict(scenarios)
    else:
        raise DataError(
            f"scenarios must be a ScenarioSet or a mapping name -> (paths, days) array, got "
            f"{type(scenarios).__name__}"
        )
    if not raw:
        raise DataError("scenarios: no scenario given")
    out: dict[str, ScenarioData] = {}
    for name, values in raw.items():
        if isinstance(values, ScenarioData):
            out[str(name)] = values
            continue
        array = np.asarray(values, dtype=np.float64)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim not in (2, 3):
            raise DataError(
                f"scenario {name!r}: returns must be (days,), (paths, days) or "
                f"(paths, days, assets), got shape {array.shape}"
            )
        if min(array.shape) < 1:
            raise DataError(f"scenario {name!r}: empty returns, shape {array.shape}")
        if not np.isfinite(array).all():
            raise DataError(f"scenario {name!r}: returns contain NaN or infinite values")
        if array.ndim == 3:
            risky = array[:, :, 0] if array.shape[2] == 1 else array.mean(axis=2)
            assets = None if array.shape[2] == 1 else np.ascontiguousarray(array)
            out[str(name)] = ScenarioData(
                np.ascontiguousarray(risky), assets, market.get(str(name))
            )
        else:
            out[str(name)] = ScenarioData(np.ascontiguousarray(array))
    return out


def max_lookback(space: SearchSpace) -> int:
    return int(max(space.values_of("lookback")))


def check_lookback(space: SearchSpace, days: int, where: str) -> None:
    longest = max_lookback(space)
    if longest + MIN_EVAL_DAYS > days:
        raise SearchSpaceError(
            f"lookback: the largest lookback in the space ({longest}) leaves fewer than "
            f"{MIN_EVAL_DAYS} evaluated days of the {days}-day {where}; the warm-up consumes "
            f"the first lookback days, so use lookback <= {days - MIN_EVAL_DAYS} or a longer {where}"
        )


def check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise SearchSpaceError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SearchSpaceError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)
