"""Market data loading, validation and returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quant.data import load_prices, load_sp500_index, load_sp500_prices, to_returns
from quant.errors import DataError, InsufficientDataError
from quant.sp500_files import sp500_tickers
from quant.validation import check_asset_names


def _prices() -> pd.DataFrame:
    index = pd.bdate_range("2024-01-01", periods=6)
    return pd.DataFrame(
        {"AAA": [10.0, 10.5, 10.2, 10.8, 11.0, 10.9], "BBB": [50.0, 49.0, 49.5, 50.5, 51.0, 52.0]},
        index=index,
    )


def test_embedded_sp500_dataset_is_loaded_from_the_installed_wheel() -> None:
    from skfolio.datasets import load_sp500_dataset

    prices = load_sp500_prices()
    reference = load_sp500_dataset()
    assert prices.shape == (8313, 20)
    assert prices.index[0] == pd.Timestamp("1990-01-02")
    assert prices.index[-1] == pd.Timestamp("2022-12-28")
    np.testing.assert_array_equal(prices.to_numpy(), reference.to_numpy(dtype=float))
    index = load_sp500_index()
    assert isinstance(index, pd.Series)
    assert index.index.equals(prices.index)
    from skfolio.datasets import load_sp500_index as reference_index

    np.testing.assert_array_equal(index.to_numpy(), reference_index().iloc[:, 0].to_numpy(float))
    assert prices.columns.tolist() == reference.columns.tolist()


def test_the_embedded_tickers_are_the_price_tables_columns() -> None:
    assert sp500_tickers() == tuple(load_sp500_prices().columns)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_load_prices_from_files_round_trips(tmp_path: Path, suffix: str) -> None:
    prices = _prices()
    path = tmp_path / f"prices{suffix}"
    if suffix == ".csv":
        prices.to_csv(path)
    else:
        prices.to_parquet(path)
    loaded = load_prices(path)
    np.testing.assert_allclose(loaded.to_numpy(), prices.to_numpy(), rtol=0, atol=0)
    assert list(loaded.columns) == ["AAA", "BBB"]
    assert (loaded.index == prices.index).all()


def test_simple_and_log_returns_follow_their_definitions() -> None:
    prices = _prices()
    simple = to_returns(prices)
    log = to_returns(prices, kind="log")
    expected_simple = prices.pct_change().iloc[1:]
    np.testing.assert_allclose(simple.to_numpy(), expected_simple.to_numpy(), rtol=1e-15)
    np.testing.assert_allclose(log.to_numpy(), np.log1p(expected_simple.to_numpy()), rtol=1e-14)
    assert simple.index[0] == prices.index[1]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p.iloc[::-1], "not sorted"),
        (lambda p: pd.concat([p, p.iloc[[2]]]).sort_index(), "duplicate date"),
        (lambda p: p.assign(AAA=p["AAA"].where(p.index != p.index[3], -1.0)), "must be positive"),
        (lambda p: p.assign(AAA=p["AAA"].where(p.index != p.index[3], 0.0)), "AAA"),
        (lambda p: p.assign(BBB=np.nan), "no prices: BBB"),
        (lambda p: p.iloc[:1], "at least 2 dates"),
        (lambda p: p.assign(AAA=p["AAA"].where(p.index != p.index[2], np.inf)), "infinite price"),
    ],
)
def test_bad_prices_are_refused_with_a_message_naming_the_problem(mutate, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_prices(mutate(_prices()))


@pytest.mark.parametrize(
    ("values", "date", "kind"),
    [
        ([1e308, 1e-308, 1e308], "2024-01-03", "is -1.0"),  # 1e-308 / 1e308 underflows to 0
        ([1.0, 1e-308, 1e308], "2024-01-04", "is inf"),  # 1e308 / 1e-308 overflows
    ],
)
def test_prices_whose_returns_are_not_finite_are_refused(
    values: list[float], date: str, kind: str
) -> None:
    prices = pd.DataFrame(
        {"OK": [1.0, 1.1, 1.2], "WILD": values}, index=pd.bdate_range("2024-01-02", periods=3)
    )
    with pytest.raises(DataError, match=f"return of WILD on {date} {kind}") as raised:
        load_prices(prices)
    assert "prices must give finite daily returns > -1" in str(raised.value)


def test_duplicate_asset_columns_are_refused() -> None:
    prices = _prices()
    prices.columns = ["AAA", "AAA"]
    with pytest.raises(DataError, match="duplicate asset names: AAA"):
        load_prices(prices)


@given(st.lists(st.sampled_from(["AAA", "BBB", "CCC", "DDD", " ", 7, 7.0]), max_size=8))
def test_asset_names_are_refused_naming_each_duplicate_in_order(names: list[object]) -> None:
    """Names are compared as text; every label given more than once is named, sorted, once."""
    labels = [str(name) for name in names]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        with pytest.raises(DataError) as raised:
            check_asset_names(names)
        assert str(raised.value) == f"duplicate asset names: {', '.join(repeated)}"
    elif any(not label.strip() for label in labels):
        with pytest.raises(DataError, match="asset names must not be empty"):
            check_asset_names(names)
    else:
        assert check_asset_names(names) == labels


def test_gaps_are_an_error_unless_forward_filling_is_asked_for() -> None:
    prices = _prices()
    prices.iloc[2, 0] = np.nan
    with pytest.raises(DataError, match="missing price for AAA"):
        load_prices(prices)
    filled = load_prices(prices, fill_gaps=True)
    assert filled.iloc[2, 0] == prices.iloc[1, 0]
    leading = _prices()
    leading.iloc[0, 1] = np.nan
    with pytest.raises(DataError, match="leading gaps"):
        load_prices(leading, fill_gaps=True)


def test_missing_and_unsupported_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_prices(tmp_path / "nope.csv")
    bad = tmp_path / "prices.xlsx"
    bad.write_text("x")
    with pytest.raises(DataError, match="unsupported"):
        load_prices(bad)


def test_unknown_return_kind_is_refused() -> None:
    with pytest.raises(DataError, match="unknown return kind"):
        to_returns(_prices(), kind="weird")  # type: ignore[arg-type]


def test_too_few_dates_is_an_insufficient_data_error() -> None:
    with pytest.raises(InsufficientDataError):
        load_prices(_prices().iloc[:1])


def test_validating_returns_never_changes_the_callers_frame() -> None:
    from quant.validation import as_returns_frame

    frame = pd.DataFrame({0: [0.01, 0.02, -0.01], 1: [0.0, 0.01, 0.02]}, dtype="float32")
    validated = as_returns_frame(frame)
    assert list(frame.columns) == [0, 1]
    assert frame.dtypes.iloc[0] == np.float32
    assert list(validated.columns) == ["0", "1"]
    assert validated.dtypes.iloc[0] == np.float64
