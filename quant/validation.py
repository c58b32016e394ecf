"""Input checks shared by the estimators, risk measures and optimizers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from quant.errors import CovarianceError, DataError, InsufficientDataError, QuantError

PSD_TOLERANCE = 1e-10
"""Smallest eigenvalue allowed, relative to the largest, before a covariance counts as non-PSD."""


def check_asset_names(names: Iterable[object]) -> list[str]:
    """Return the asset names as strings; raise `DataError` on duplicates or empty names."""
    labels = [str(name) for name in names]
    duplicates = sorted(label for label, count in Counter(labels).items() if count > 1)
    if duplicates:
        raise DataError(f"duplicate asset names: {', '.join(duplicates)}")
    if any(label.strip() == "" for label in labels):
        raise DataError("asset names must not be empty")
    return labels


def as_returns_frame(
    returns: pd.DataFrame | pd.Series | np.ndarray, *, min_obs: int = 2
) -> pd.DataFrame:
    """Validate a returns table (rows: periods, columns: assets) and return it as a float DataFrame.

    Raises `DataError` for NaN or infinite values (naming the first offending asset and date) or
    duplicate asset names, and `InsufficientDataError` for fewer than `min_obs` rows.
    """
    if isinstance(returns, pd.Series):
        frame = returns.to_frame(name=returns.name if returns.name is not None else "asset")
    elif isinstance(returns, pd.DataFrame):
        frame = returns
    else:
        array = np.asarray(returns, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise DataError(f"returns must be 1- or 2-dimensional, got {array.ndim} dimensions")
        frame = pd.DataFrame(array, columns=[f"asset_{i}" for i in range(array.shape[1])])
    if frame.shape[1] == 0:
        raise InsufficientDataError("returns have no assets (no columns)")
    check_asset_names(frame.columns)
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"returns must be numeric: {exc}") from exc
    if frame.shape[0] < min_obs:
        raise InsufficientDataError(f"need at least {min_obs} observations, got {frame.shape[0]}")
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(values[row, col]) else "infinite value"
        raise DataError(
            f"{kind} in returns of asset {frame.columns[col]!s} at {frame.index[row]!s} "
            f"({int(bad.sum())} non-finite values in all)"
        )
    if not all(dtype == np.float64 for dtype in frame.dtypes):
        frame = frame.astype(float)
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    return frame


def as_covariance(
    cov: pd.DataFrame | np.ndarray, *, repair: bool = False, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Validate a covariance matrix and return it as a labelled DataFrame.

    Checks that it is square, finite and symmetric, and positive semi-definite (smallest eigenvalue
    >= -1e-10 x the largest). A non-PSD matrix raises `CovarianceError` unless `repair=True`, in
    which case negative eigenvalues are clipped to zero (the nearest PSD matrix in Frobenius norm).
    """
    if isinstance(cov, pd.DataFrame):
        labels = check_asset_names(cov.columns)
        if [str(i) for i in cov.index] != labels:
            raise CovarianceError("covariance index and columns must list the same assets in order")
        matrix = cov.to_numpy(dtype=float)
    else:
        matrix = np.asarray(cov, dtype=float)
        if matrix.ndim != 2:
            raise CovarianceError(f"covariance must be a 2-dimensional matrix, got {matrix.ndim}")
        labels = (
            check_asset_names(names)
            if names is not None
            else [f"asset_{i}" for i in range(matrix.shape[0])]
        )
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise CovarianceError(f"covariance must be square, got shape {matrix.shape}")
    if len(labels) != matrix.shape[0]:
        raise CovarianceError(
            f"{len(labels)} asset names for a {matrix.shape[0]}x{matrix.shape[0]} covariance"
        )
    if matrix.shape[0] == 0:
        raise InsufficientDataError("covariance has no assets")
    if not np.isfinite(matrix).all():
        row = int(np.argwhere(~np.isfinite(matrix))[0][0])
        raise CovarianceError(
            f"covariance has a non-finite entry in the row of asset {labels[row]}"
        )
    scale = max(float(np.max(np.abs(matrix))), 1e-300)
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-12 * scale):
        raise CovarianceError("covariance must be symmetric")
    diagonal = np.diag(matrix)
    if (diagonal < 0).any():
        asset = labels[int(np.argmin(diagonal))]
        raise CovarianceError(f"negative variance for asset {asset}")
    matrix = (matrix + matrix.T) / 2.0
    if _surely_psd(matrix):
        return pd.DataFrame(matrix, index=labels, columns=labels)
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    floor = -PSD_TOLERANCE * max(float(eigenvalues[-1]), 0.0)
    if eigenvalues[0] < floor:
        if not repair:
            raise CovarianceError(
                f"covariance is not positive semi-definite (smallest eigenvalue "
                f"{eigenvalues[0]:.3g}); pass repair=True to clip negative eigenvalues"
            )
        clipped = np.clip(eigenvalues, 0.0, None)
        matrix = (eigenvectors * clipped) @ eigenvectors.T
        matrix = (matrix + matrix.T) / 2.0
    return pd.DataFrame(matrix, index=labels, columns=labels)


def _surely_psd(matrix: np.ndarray) -> bool:
    """True when a Cholesky factorisation proves the smallest eigenvalue is within tolerance.

    Shifting by tol x max(diag) <= tol x largest eigenvalue, a successful factorisation means the
    smallest eigenvalue exceeds -tol x the largest; a failure proves nothing (the caller then
    computes the eigenvalues).
    """
    shift = PSD_TOLERANCE * float(np.max(np.diag(matrix)))
    try:
        np.linalg.cholesky(matrix + shift * np.eye(matrix.shape[0]))
    except np.linalg.LinAlgError:
        return False
    return True


def check_vector(
    values: pd.Series | np.ndarray | Sequence[float], names: Sequence[str], what: str
) -> np.ndarray:
    """Align a per-asset vector (Series by name, or array in order) with `names`; reject NaN/inf."""
    if isinstance(values, pd.Series):
        index = [str(i) for i in values.index]
        if index == list(names):
            array = values.to_numpy(dtype=float)
        else:
            known = set(names)
            given = set(index)
            missing = [name for name in names if name not in given]
            if missing:
                raise DataError(f"{what} is missing assets: {', '.join(missing)}")
            extra = [name for name in index if name not in known]
            if extra:
                raise DataError(f"{what} has unknown assets: {', '.join(extra)}")
            if len(index) != len(given):
                raise DataError(f"{what} lists an asset twice")
            array = values.set_axis(index).loc[list(names)].to_numpy(dtype=float)
    else:
        array = np.asarray(values, dtype=float).reshape(-1)
        if array.shape[0] != len(names):
            raise DataError(f"{what} has {array.shape[0]} entries for {len(names)} assets")
    if not np.isfinite(array).all():
        asset = names[int(np.argmin(np.isfinite(array)))]
        raise DataError(f"{what} is not finite for asset {asset}")
    return array


def finite_number(value: object, what: str, error: type[QuantError] = DataError) -> float:
    """`value` as a float; raises `error` naming `what` when it is not a number or not finite."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise error(f"{what} must be a number, got {value!r}") from exc
    if not math.isfinite(number):
        raise error(f"{what} must be finite, got {number}")
    return number
