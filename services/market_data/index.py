"""The market index results are shown beside: the embedded S&P 500 index.

`sp500_index_levels()` is the index's daily level, 1990-01-02 to 2022-12-28 (from skfolio's
wheel, read by `quant.data`), indexed by session date; `INDEX_NAME` is how answers name it.
"""

from __future__ import annotations

import functools

import pandas as pd

from quant.data import load_sp500_index

INDEX_NAME = "the S&P 500 index"


@functools.lru_cache(maxsize=1)
def sp500_index_levels() -> pd.Series:
    """The embedded S&P 500 index's daily levels, loaded once per process (treat as read-only)."""
    return load_sp500_index()
