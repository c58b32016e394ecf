"""quant.statistics and quant.stress against plain numpy written here: beta, the correlation
with the index, the tracking error, active return and information ratio against it, the deepest
drawdown's peak, trough and recovery, calendar-month returns, a market move through beta,
episode replays; and the episodes' dates against the embedded S&P 500 index's closes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.data import load_sp500_index, load_sp500_prices, sp500_prices
from quant.episodes import EPISODES
from quant.errors import DataError
from quant.risk import max_drawdown
from quant.sp500_files import sp500_tickers
from quant.statistics import (
    beta,
    deepest_drawdown,
    market_correlation,
    monthly_returns,
    tracking_errors,
    yearly_returns,
)
from quant.stress import beta_shock, replay_episode


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_sp500_prices().loc["2017-12-29":"2022-12-28", ["AAPL", "KO", "XOM"]]


def _daily(prices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """The stocks' and the index's daily returns as arrays, and the stocks' as a frame."""
    index = load_sp500_index().loc[prices.index]
    r = prices.to_numpy()[1:] / prices.to_numpy()[:-1] - 1.0
    m = index.to_numpy()[1:] / index.to_numpy()[:-1] - 1.0
    return r, m, pd.DataFrame(r, index=prices.index[1:], columns=prices.columns)


def test_beta_is_the_sample_covariance_with_the_index_over_its_variance(
    prices: pd.DataFrame,
) -> None:
    r, m, returns = _daily(prices)
    got = beta(returns, pd.Series(m, index=prices.index[1:]))
    for k, name in enumerate(prices.columns):
        expected = np.cov(r[:, k], m, ddof=1)[0, 1] / np.var(m, ddof=1)
        assert got[name] == pytest.approx(expected, rel=1e-12)
    # a market series on other dates is aligned on the shared ones only
    shifted = pd.Series(m[:-10], index=prices.index[1:-10])
    assert beta(returns, shifted)["KO"] == pytest.approx(
        np.cov(r[:-10, 1], m[:-10])[0, 1] / np.var(m[:-10], ddof=1), rel=1e-12
    )
    with pytest.raises(DataError, match="does not move"):
        beta(returns, pd.Series(0.0, index=returns.index))


def test_the_correlation_with_the_index_is_pearson_s_on_the_shared_dates(
    prices: pd.DataFrame,
) -> None:
    r, m, returns = _daily(prices)
    got = market_correlation(returns, pd.Series(m[5:], index=prices.index[6:]))
    for k, name in enumerate(prices.columns):
        assert got[name] == pytest.approx(np.corrcoef(r[5:, k], m[5:])[0, 1], rel=1e-12)
    flat = returns.assign(KO=0.0)
    assert np.isnan(market_correlation(flat, pd.Series(m, index=returns.index))["KO"])
    with pytest.raises(DataError, match="does not move"):
        market_correlation(returns, pd.Series(0.0, index=returns.index))


@settings(max_examples=8, deadline=None)
@given(
    rows=st.integers(min_value=3, max_value=60),
    columns=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    shared=st.integers(min_value=3, max_value=60),
)
def test_the_tracking_error_is_the_annualised_spread_of_the_active_return(
    rows: int, columns: int, seed: int, shared: int
) -> None:
    generator = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=rows)
    r = generator.normal(0.0005, 0.02, size=(rows, columns))
    m = generator.normal(0.0003, 0.01, size=rows)
    kept = min(shared, rows)  # the index holds the last `kept` dates only
    got = tracking_errors(pd.DataFrame(r, index=dates), pd.Series(m[-kept:], index=dates[-kept:]))
    for k in range(columns):
        active = [r[t, k] - m[t] for t in range(rows - kept, rows)]
        mean = sum(active) / kept
        spread = (sum((a - mean) ** 2 for a in active) / (kept - 1)) ** 0.5 * 252**0.5
        assert got["tracking_error"].iloc[k] == pytest.approx(spread, rel=1e-9)
        assert got["active_return"].iloc[k] == pytest.approx(mean * 252, rel=1e-9, abs=1e-15)
        assert got["information_ratio"].iloc[k] == pytest.approx(mean * 252 / spread, rel=1e-9)


def test_the_index_against_itself_has_no_tracking_error_and_no_information_ratio() -> None:
    index = load_sp500_index().loc["2019-12-31":"2020-12-31"].pct_change().dropna()
    got = tracking_errors(index.to_frame("index"), index)
    assert got["tracking_error"].iloc[0] == 0.0 and got["active_return"].iloc[0] == 0.0
    assert np.isnan(got["information_ratio"].iloc[0])
    with pytest.raises(DataError, match="at least 3 dates"):
        tracking_errors(index.iloc[:2].to_frame("index"), index.iloc[:2])


def _reference_drawdown(r: np.ndarray) -> tuple[float, int, int, int | None]:
    """Plain loop: wealth from 1, the deepest fall, its last peak before the trough and the
    first close back at that peak (positions in r; -1 the initial wealth)."""
    wealth, peak_value, peak_at = 1.0, 1.0, -1
    best = (0.0, -1, -1)
    values = []
    for t, x in enumerate(r):
        wealth *= 1.0 + x
        values.append(wealth)
        if wealth >= peak_value:
            peak_value, peak_at = wealth, t
        depth = 1.0 - wealth / peak_value
        if depth > best[0]:
            best = (depth, peak_at, t)
    depth, peak, trough = best
    level = 1.0 if peak < 0 else values[peak]
    recovery = next((t for t in range(trough + 1, len(r)) if values[t] >= level), None)
    return depth, peak, trough, recovery


def test_the_deepest_drawdown_has_its_peak_trough_and_recovery(prices: pd.DataFrame) -> None:
    returns = prices.pct_change().dropna()
    for name in returns.columns:
        r = returns[name].to_numpy()
        episode = deepest_drawdown(r)
        depth, peak, trough, recovery = _reference_drawdown(r)
        assert episode.depth == pytest.approx(depth, rel=1e-12)
        assert episode.depth == pytest.approx(float(max_drawdown(r)), rel=1e-12)
        assert (episode.peak, episode.trough, episode.recovery) == (peak, trough, recovery)
    # a fall from the initial wealth that never recovers, and no fall at all
    fall = deepest_drawdown(np.array([-0.1, 0.05, -0.2, 0.01]))
    assert (fall.peak, fall.trough, fall.recovery) == (-1, 2, None)
    assert fall.depth == pytest.approx(1 - 0.9 * 1.05 * 0.8)
    assert deepest_drawdown(np.array([0.01, 0.02])).depth == 0.0


def test_monthly_returns_compound_each_calendar_month(prices: pd.DataFrame) -> None:
    returns = prices.pct_change().dropna().loc["2020-02-10":"2020-05-15"]
    months = monthly_returns(returns)
    # the edge months count only their days inside the window
    closes = prices.loc["2020-02-07":"2020-05-15"]
    for end, (first, last) in {
        "2020-02-28": ("2020-02-07", "2020-02-28"),
        "2020-03-31": ("2020-02-28", "2020-03-31"),
        "2020-05-15": ("2020-04-30", "2020-05-15"),
    }.items():
        expected = closes.loc[last] / closes.loc[first] - 1.0
        assert np.allclose(months.loc[end].to_numpy(), expected.to_numpy(), rtol=1e-10)
    assert list(months.index.strftime("%Y-%m")) == ["2020-02", "2020-03", "2020-04", "2020-05"]


@settings(max_examples=25, deadline=None)
@given(
    # deferred: the prices are read at the first draw, not when the module is collected
    first=st.deferred(lambda: st.integers(0, len(sp500_prices()) - 30)),
    length=st.integers(2, 3000),
    ticker=st.sampled_from(sorted(sp500_tickers())),
)
def test_yearly_returns_are_each_calendar_year_s_closes(
    first: int, length: int, ticker: str
) -> None:
    import quantstats as qs  # imported here: ~1.5 s (matplotlib, seaborn...), not at collection

    closes = sp500_prices()[ticker].iloc[first : first + length + 1].dropna()
    if len(closes) < 3:
        return
    returns = closes.pct_change().iloc[1:]
    years = yearly_returns(returns)[ticker]
    # a year runs from the last close before it (the window's first close for the first year)
    last_close = closes.groupby(closes.index.year).last()
    held = sorted(set(returns.index.year))
    expected = [
        last_close[year] / (closes.iloc[0] if year == held[0] else last_close[year - 1]) - 1.0
        for year in held
    ]
    assert list(years.index.year) == held
    got = years.to_numpy()
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12)
    # and quantstats' end-of-year column on the same returns
    theirs = qs.stats.monthly_returns(returns)["EOY"]
    assert np.allclose(got, theirs.to_numpy(dtype=float), rtol=1e-9, atol=1e-12)


def test_the_episodes_run_from_the_index_s_closing_peak_to_its_trough() -> None:
    index = load_sp500_index()
    published = {"gfc_2008": (1565.15, 676.53), "covid_2020": (3386.15, 2237.40),
                 "rates_2022": (4796.56, 3577.03)}  # fmt: skip
    for key, episode in EPISODES.items():
        year = pd.Timestamp(episode.start).year
        around = index.loc[f"{year}-01-01" : f"{pd.Timestamp(episode.end).year}-12-31"]
        fall = around / around.cummax() - 1.0
        trough = fall.idxmin()
        peak = around.loc[:trough].idxmax()
        assert (peak.date().isoformat(), trough.date().isoformat()) == (
            episode.start,
            episode.end,
        ), key
        assert (index[peak], index[trough]) == pytest.approx(published[key], abs=0.005)


def test_a_market_move_passes_through_each_beta() -> None:
    betas = pd.Series({"AAPL": 1.2, "KO": 0.6, "XOM": 0.9})
    weights = pd.Series({"AAPL": 0.5, "KO": 0.3})
    total, moves = beta_shock(betas, weights, -0.2)
    assert total == pytest.approx(0.5 * 1.2 * -0.2 + 0.3 * 0.6 * -0.2)
    assert moves.to_dict() == pytest.approx({"AAPL": -0.24, "KO": -0.12})
    with pytest.raises(DataError, match="no beta for JPM"):
        beta_shock(betas, pd.Series({"JPM": 1.0}), -0.2)


def test_an_episode_replay_buys_at_its_start_and_holds() -> None:
    closes = load_sp500_prices().loc["2020-02-19":"2020-03-23", ["AAPL", "KO"]]
    weights = pd.Series({"AAPL": 0.6, "KO": 0.3})  # 10% in cash
    replay = replay_episode(closes.pct_change().dropna(), weights)
    growth = closes.to_numpy() / closes.to_numpy()[0]
    value = 0.1 + growth @ weights.to_numpy()
    assert replay.total_return == pytest.approx(value[-1] - 1.0, rel=1e-12)
    assert replay.drawdown == pytest.approx(np.max(1 - value / np.maximum.accumulate(value)))
    daily = value[1:] / value[:-1] - 1.0
    assert replay.worst_day == pytest.approx(daily.min())
    assert replay.worst_day_date == closes.index[1:][np.argmin(daily)]
    assert replay.asset_returns.to_numpy() == pytest.approx(growth[-1] - 1.0)
