"""The engine's inputs, validated: configs, risky returns (one series or N assets per path) and
the safe asset, refused with a `QuantError` that names the path, day, asset or field at fault
(docs/engine.md, "Inputs")."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import ValidationError

from quant.engine.window_kernels import PERIODS
from quant.errors import ConstraintError, DataError, InsufficientDataError
from quant.strategy import StrategyConfig, check_config

RiskyInput = np.ndarray | pd.Series | pd.DataFrame | Sequence[float]
SafeInput = float | np.ndarray | pd.Series | Sequence[float]


@dataclass
class Inputs:
    """Validated inputs: risky [P, T] (single) and/or assets [P, T, N]; safe [P or 1, T]."""

    risky: np.ndarray | None
    assets: np.ndarray | None
    asset_names: list[str]
    safe: np.ndarray
    n_paths: int
    n_days: int

    def single_matrix(self) -> np.ndarray:
        """The single-series risky returns [P, T] (present whenever a config has
        ``sleeve="single"``)."""
        assert self.risky is not None
        return self.risky

    def safe_rows(self, p0: int, p1: int) -> np.ndarray:
        """Safe returns of the paths p0 .. p1-1: [p1 - p0, T], or the shared [1, T]."""
        return self.safe[p0:p1] if self.safe.shape[0] > 1 else self.safe


def as_config(item: object, index: int) -> StrategyConfig:
    """Config `index` of a call as a checked `StrategyConfig` (from a mapping if need be)."""
    if isinstance(item, StrategyConfig):
        cfg = item
    elif isinstance(item, Mapping):
        try:
            cfg = StrategyConfig.model_validate(dict(item))
        except ValidationError as exc:
            raise ConstraintError(f"config {index}: {exc}") from exc
    else:
        raise ConstraintError(
            f"config {index} must be a StrategyConfig or a mapping, got {type(item).__name__}"
        )
    try:
        check_config(cfg)
    except ValueError as exc:
        raise ConstraintError(f"config {index}: {exc}") from exc
    return cfg


MIN_EVALUATION_DAYS = 2
"""The fewest days a config is evaluated on after its lookback (its metrics need two)."""


def check_lengths(configs: list[StrategyConfig], T: int) -> None:
    """Refuse a config whose lookback leaves fewer than `MIN_EVALUATION_DAYS` of the T days to
    evaluate."""
    for i, cfg in enumerate(configs):
        if T - cfg.lookback < MIN_EVALUATION_DAYS:
            raise InsufficientDataError(
                f"config {i} ({cfg.config_id}): lookback={cfg.lookback} needs a history longer "
                f"than lookback + 1 days, got T={T} days (at least 2 evaluation days are needed)"
            )


def _check_finite(values: np.ndarray, what: str, names: Sequence[str] | None = None) -> None:
    """Refuse NaN/inf and returns <= -1; `values` is [P, T] or [P, T, N]."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(values[tuple(where)]) else "an infinite value"
        asset = f", asset {names[where[2]]}" if names is not None and len(where) == 3 else ""
        raise DataError(
            f"{kind} in {what} on path {where[0]}, day {where[1]}{asset} "
            f"({int(bad.sum())} non-finite values in all); clean the data before evaluating"
        )
    low = values <= -1.0
    if low.any():
        where = np.argwhere(low)[0]
        asset = f", asset {names[where[2]]}" if names is not None and len(where) == 3 else ""
        raise DataError(
            f"{what} on path {where[0]}, day {where[1]}{asset} is {values[tuple(where)]!r}: "
            "a daily simple return must be > -1 (-100 %)"
        )


def _risky_frame(frame: pd.DataFrame, multi: bool) -> tuple[np.ndarray, list[str]]:
    """A DataFrame of risky returns (T, N) as [1, T] (one series) or [1, T, N] (assets)."""
    names = [str(c) for c in frame.columns]
    arr = frame.to_numpy(dtype=float)
    if multi:
        return arr[None, :, :], names
    if arr.shape[1] != 1:
        raise DataError(
            f"risky is a DataFrame of {arr.shape[1]} assets but every config has "
            "sleeve='single': pass one return series (a Series or a (T,) or (P, T) "
            "array), or choose an optimizer sleeve"
        )
    return arr[:, 0][None, :], names


def _risky_array(risky: RiskyInput, multi: bool) -> tuple[np.ndarray, list[str]]:
    """Risky returns as [P, T] (every config single-series) or [P, T, N], with asset names."""
    if isinstance(risky, pd.DataFrame):
        return _risky_frame(risky, multi)
    try:
        arr = np.asarray(risky, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"risky returns must be numeric: {exc}") from exc
    if not multi:
        if arr.ndim == 1:
            arr = arr[None, :]
        elif arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        elif arr.ndim != 2:
            raise DataError(
                f"risky must be (T,) or (P, T) for sleeve='single', got shape {arr.shape}"
            )
        return arr, []
    if arr.ndim == 2:
        arr = arr[None, :, :]
    elif arr.ndim != 3:
        raise DataError(
            "risky must be asset returns (T, N), (P, T, N) or a DataFrame (T, N) when a "
            f"config uses an optimizer sleeve, got shape {arr.shape}"
        )
    return arr, [f"asset_{i}" for i in range(arr.shape[2])]


def _safe_array(safe: SafeInput, P: int, T: int) -> np.ndarray:
    """The safe asset as daily returns [1, T] (a rate, or one series for every path) or [P, T]."""
    if isinstance(safe, int | float | np.floating | np.integer) and not isinstance(safe, bool):
        rate = float(safe)
        if not math.isfinite(rate):
            raise DataError(f"safe rate must be finite, got {rate!r}")
        safe_arr = np.full((1, T), rate / PERIODS)
        if rate / PERIODS <= -1.0:
            raise DataError(f"safe rate {rate!r} gives a daily return <= -1")
    else:
        try:
            safe_arr = np.asarray(safe, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"safe returns must be a number or numeric array: {exc}") from exc
        if safe_arr.ndim == 1:
            safe_arr = safe_arr[None, :]
        if safe_arr.ndim != 2 or safe_arr.shape[1] != T or safe_arr.shape[0] not in (1, P):
            raise DataError(
                f"safe must be an annual rate (float) or daily safe returns shaped (T,) or (P, T) "
                f"= ({T},) or ({P}, {T}) to match risky, got shape {np.shape(safe)}"
            )
        _check_finite(safe_arr, "safe returns")
    return kernel_array(safe_arr)


def kernel_array(values: np.ndarray) -> np.ndarray:
    """`values` as the kernels take them: float64, C-contiguous and writable; `values` itself
    when it is so, else a copy. Numba compiles a kernel once per type of its arguments, and a
    read-only array (a pandas column's `to_numpy()`, a buffer's) or a strided one is a type of
    its own: passed on, every kernel it reaches would be compiled a second time, in each new
    process without the cache, beside the types `quant.warm_kernels` compiled ahead of use."""
    if values.dtype == np.float64 and values.flags.c_contiguous and values.flags.writeable:
        return values
    return np.array(values, dtype=np.float64, order="C")


def prepare_inputs(configs: list[StrategyConfig], risky: RiskyInput, safe: SafeInput) -> Inputs:
    """Validate `risky` and `safe` for `configs` (shapes, finite values, returns > -1)."""
    multi = any(cfg.sleeve != "single" for cfg in configs)
    arr, names = _risky_array(risky, multi)
    if arr.size == 0:
        raise InsufficientDataError(f"risky returns are empty (shape {arr.shape})")
    P, T = arr.shape[0], arr.shape[1]
    if multi:
        if arr.shape[2] < 1:
            raise InsufficientDataError("risky has no assets")
        _check_finite(arr, "risky returns", names)
    else:
        _check_finite(arr, "risky returns")
    safe_arr = _safe_array(safe, P, T)
    if not multi:
        return Inputs(kernel_array(arr), None, names, safe_arr, P, T)
    assets = kernel_array(arr)
    risky_single = None
    if any(cfg.sleeve == "single" for cfg in configs):
        if assets.shape[2] != 1:
            bad = next(i for i, c in enumerate(configs) if c.sleeve == "single")
            raise DataError(
                f"config {bad} has sleeve='single' but risky holds {assets.shape[2]} assets: "
                "evaluate single-series and multi-asset configs in separate calls"
            )
        risky_single = np.ascontiguousarray(assets[:, :, 0])
    return Inputs(risky_single, assets, names, safe_arr, P, T)
