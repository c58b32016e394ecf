"""Helpers that keep tool results small and JSON-serialisable.

Every tool result goes into a model's context, so it is a plain dict of Python scalars, lists and
dicts (no numpy types, no NaN): floats are rounded to 4 significant digits (`sig`), weights to 4
decimal places (`round_weights`), non-finite numbers become None, and long sequences are
down-sampled (`downsample`) to at most about 50 items. Large objects go to the `ArtifactStore`
and are referenced by id instead.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from prompts.canonical import TOOL_SIGNIFICANT_DIGITS, round_significant

__all__ = [
    "MAX_ITEMS",
    "SHORT_WINDOW",
    "SIG_DIGITS",
    "compact",
    "downsample",
    "iso_date",
    "round_weights",
    "short_window",
    "sig",
]

SIG_DIGITS = TOOL_SIGNIFICANT_DIGITS
"""Significant digits kept for every float in a tool result."""

MAX_ITEMS = 50
"""Longest list a tool result holds; longer sequences are down-sampled."""


def sig(value: Any, digits: int = SIG_DIGITS) -> float | None:
    """`value` as a float rounded to `digits` significant digits; None if it is NaN or infinite."""
    return round_significant(float(value), digits)


def round_weights(weights: Mapping[str, float] | pd.Series, decimals: int = 4) -> dict[str, float]:
    """Portfolio weights {asset: weight} rounded to `decimals` decimal places (0.0 for -0.0)."""
    return {str(k): round(float(v), decimals) + 0.0 for k, v in weights.items()}


def iso_date(value: Any) -> str:
    """A date-like value as an ISO date string (YYYY-MM-DD)."""
    return pd.Timestamp(value).date().isoformat()


def compact(value: Any, digits: int = SIG_DIGITS) -> Any:
    """`value` as plain JSON data: floats rounded to `digits` significant digits (None if not
    finite), numpy scalars and arrays converted, pandas objects to dicts/lists, dates to ISO
    strings, tuples to lists. Sequences are not shortened (see `downsample`)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return sig(value, digits)
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return iso_date(value)
    if isinstance(value, pd.Series):
        return {str(k): compact(v, digits) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [compact(row, digits) for row in value.to_dict(orient="records")]
    if isinstance(value, np.ndarray):
        return [compact(v, digits) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): compact(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [compact(v, digits) for v in value]
    return str(value)


def downsample(values: Sequence[Any] | np.ndarray, max_items: int = MAX_ITEMS) -> list[int]:
    """Indices of at most `max_items` evenly spaced items of `values`, first and last included.

    Returns every index when the sequence is short enough. Use the indices to pick the items and
    to label them (e.g. the batch number of each convergence point kept).
    """
    n = len(values)
    if max_items < 2:
        raise ValueError(f"max_items must be at least 2, got {max_items}")
    if n <= max_items:
        return list(range(n))
    picked = np.unique(np.round(np.linspace(0, n - 1, max_items)).astype(int))
    return [int(i) for i in picked]


SHORT_WINDOW = 63
"""Sessions (a quarter) below which a window's annualised figures are flagged: its pace scaled
to a year reads as a forecast it is not (30 sessions of -15% make -125% a year)."""


def short_window(sessions: int) -> dict[str, Any] | None:
    """For a window of fewer than `SHORT_WINDOW` sessions, what its annualised figures are
    (`sessions`, `note`); else None."""
    if sessions >= SHORT_WINDOW:
        return None
    return {
        "sessions": sessions,
        "note": f"annualised figures scale {sessions} sessions' pace to a year: not what a "
        "year returns; the window's own return is its total (cumulative) return",
    }
