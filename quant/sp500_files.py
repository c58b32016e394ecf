"""The embedded S&P 500 data's files, shipped inside the installed `skfolio` wheel
(``skfolio/datasets/data/``), and what is read from them without a DataFrame: the tickers of the
price table. Neither the ``skfolio`` package (and scikit-learn behind it) nor pandas is imported.
"""

from __future__ import annotations

import csv
import functools
import gzip
import importlib.util
from pathlib import Path

from quant.errors import DataError

PRICES_FILE = "sp500_dataset.csv.gz"
"""The daily adjusted closes of 20 S&P 500 stocks (dates in the first column, a column each)."""
INDEX_FILE = "sp500_index.csv.gz"
"""The daily S&P 500 index level over the same dates."""


def skfolio_data_file(filename: str) -> Path:
    """The path of the gzip CSV data file `filename` of skfolio's wheel; `DataError` when skfolio
    is not installed."""
    spec = importlib.util.find_spec("skfolio")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the embedded S&P 500 data needs the skfolio package installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / filename


@functools.lru_cache(maxsize=1)
def sp500_tickers() -> tuple[str, ...]:
    """The tickers of the embedded price table in its order (the columns of
    `quant.data.load_sp500_prices`), read from the header line of its file."""
    with gzip.open(skfolio_data_file(PRICES_FILE), "rt", newline="") as lines:
        header = next(csv.reader(lines))
    return tuple(header[1:])
