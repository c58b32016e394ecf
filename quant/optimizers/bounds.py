"""Bounds on portfolio weights: each asset's smallest and largest weight, as the optimizers
take them (`bounds = (lo, hi)`, scalars or per asset), checked once for every optimizer."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, DataError
from quant.validation import check_vector

BoundValue = float | int | pd.Series | np.ndarray | Sequence[float]
Bounds = tuple[BoundValue, BoundValue]


def _bound_vector(value: BoundValue, names: list[str], what: str) -> np.ndarray:
    if isinstance(value, pd.Series | np.ndarray | list | tuple):
        try:
            vector = check_vector(value, names, what)
        except DataError as exc:
            raise ConstraintError(str(exc)) from exc
        return vector
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConstraintError(
            f"{what} must be a number or a per-asset vector, got {value!r}"
        ) from exc
    if not math.isfinite(number):
        raise ConstraintError(f"{what} must be finite, got {number}")
    return np.full(len(names), number)


def weight_bounds(bounds: Bounds, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The (lower, upper) bound of each asset's weight, in the order of `names`, from a pair
    of scalars or per-asset vectors (a Series by name, or an array in that order);
    `ConstraintError` when one is not a finite number, a lower bound exceeds its upper one, or
    no weights within them sum to 1."""
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        raise ConstraintError(f"bounds must be a pair (lo, hi), got {bounds!r}")
    lo = _bound_vector(bounds[0], names, "lower bound")
    hi = _bound_vector(bounds[1], names, "upper bound")
    crossed = np.flatnonzero(lo > hi)
    if crossed.size:
        i = int(crossed[0])
        raise ConstraintError(
            f"lower bound {lo[i]:.6g} exceeds upper bound {hi[i]:.6g} for asset {names[i]}"
        )
    low_sum, high_sum = float(lo.sum()), float(hi.sum())
    slack = 1e-12 * len(names)
    if low_sum > 1.0 + slack or high_sum < 1.0 - slack:
        raise ConstraintError(
            f"bounds cannot sum to 1: weights within the bounds sum to between "
            f"{low_sum:.6g} and {high_sum:.6g}"
        )
    return lo, hi
