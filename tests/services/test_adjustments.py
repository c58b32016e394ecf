"""Closes must be adjusted for splits: a configured file or an upload holding a one-day move by
exactly a split's ratio is refused, naming the symbol, the date and the split; adjusted closes
(the same prices with the history divided by the ratio) are accepted, and so are the embedded
data's and ordinary large moves."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.synthetic_market import synthetic_closes
from quant.errors import DataError
from services.errors import InputError
from services.market_data import market_closes
from services.market_data.adjustments import check_split_adjusted
from services.market_data.uploads import UploadLimits, parse_upload
from settings import Settings

LIMITS = UploadLimits.of(Settings())


def _unadjusted() -> pd.DataFrame:
    """Two stocks over 2021; BBB splits 4-for-1 on 2021-06-15 and the closes do not say so."""
    closes = synthetic_closes(["AAA", "BBB"], date(2021, 1, 4), date(2021, 12, 31), seed=2)
    closes.loc["2021-06-15":, "BBB"] = (closes.loc["2021-06-15":, "BBB"] / 4).round(4)
    return closes


def test_a_configured_file_with_an_unadjusted_split_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "closes.csv"
    _unadjusted().to_csv(path)
    with pytest.raises(DataError) as refused:
        market_closes(Settings(data_dir=tmp_path, market_data=str(path)))
    message = str(refused.value)
    assert str(path) in message
    assert "BBB closes at" in message and "on 2021-06-15" in message
    assert "the ratio of a 4-for-1 split" in message


def test_an_upload_with_an_unadjusted_reverse_split_is_refused_on_file() -> None:
    closes = synthetic_closes(["AAA"], date(2021, 1, 4), date(2021, 3, 31), seed=4)
    closes.loc["2021-02-10":, "AAA"] *= 10  # a 1-for-10 reverse split, unadjusted
    with pytest.raises(InputError) as refused:
        parse_upload(closes.to_csv().encode(), "prices.csv", "prices", limits=LIMITS)
    assert refused.value.field == "file"
    assert "on 2021-02-10" in str(refused.value) and "1-for-10 reverse split" in str(refused.value)


def test_adjusted_closes_and_ordinary_moves_are_accepted(tmp_path: Path) -> None:
    adjusted = _unadjusted()
    adjusted.loc[:"2021-06-14", "BBB"] /= 4  # the history divided by the split's ratio
    check_split_adjusted(adjusted)
    parse_upload(adjusted.to_csv().encode(), "ok.csv", "prices", limits=LIMITS)
    crash = synthetic_closes(["AAA"], date(2021, 1, 4), date(2021, 3, 31), seed=4)
    crash.loc["2021-02-10":, "AAA"] *= 0.6  # a 40 % fall in a day: no split's ratio
    check_split_adjusted(crash)
