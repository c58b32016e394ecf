"""Regimes and Monte Carlo scenarios against plain reference implementations kept in this file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.data import load_sp500_index, load_sp500_prices, to_returns
from quant.errors import ConstraintError, DataError, InsufficientDataError, QuantError
from quant.regimes import Alignment
from quant.scenarios import (
    REGIME_NAMES,
    ScenarioMethod,
    ScenarioSet,
    generate_scenarios,
    identify_regimes,
)

# ---------------------------------------------------------------- data and plain references


@pytest.fixture(scope="module")
def sp500_full() -> tuple[pd.DataFrame, pd.Series]:
    """All 8312 daily returns of the 20 embedded stocks and of the S&P 500 index."""
    returns = to_returns(load_sp500_prices())
    index = to_returns(load_sp500_index()).iloc[:, 0]
    return returns, index


def regime_switching_returns(seed: int = 7) -> pd.DataFrame:
    """4 assets over 8 segments of 250 days whose drift and volatility switch by segment."""
    rng = np.random.default_rng(seed)
    regimes = [(0.0015, 0.006), (-0.0015, 0.020), (0.0003, 0.008), (0.0000, 0.025)] * 2
    blocks = []
    for mu, sigma in regimes:
        market = rng.standard_normal((250, 1))
        idio = rng.standard_normal((250, 4))
        blocks.append(mu + sigma * (0.8 * market + 0.6 * idio))
    index = pd.bdate_range("2001-01-01", periods=2000)
    return pd.DataFrame(np.vstack(blocks), index=index, columns=["W", "X", "Y", "Z"])


def reference_regimes(
    market: np.ndarray, window: int, quantile: float, centered: bool
) -> pd.DataFrame:
    """Day-by-day loop of the documented rule."""
    n = len(market)
    after = window // 2 if centered else 0
    before = window - 1 - after
    ret = np.full(n, np.nan)
    vol = np.full(n, np.nan)
    for t in range(n):
        chunk = market[max(t - before, 0) : min(t + after, n - 1) + 1]
        if len(chunk) >= window // 2 + 1:
            ret[t] = chunk.mean() * 252
            vol[t] = chunk.std(ddof=1) * np.sqrt(252)
    ok = ~np.isnan(ret)
    lo_r, hi_r = np.quantile(ret[ok], [quantile, 1 - quantile])
    lo_v, hi_v = np.quantile(vol[ok], [quantile, 1 - quantile])
    return pd.DataFrame(
        {
            "bull": ok & (np.nan_to_num(ret, nan=-np.inf) >= hi_r),
            "bear": ok & (np.nan_to_num(ret, nan=np.inf) <= lo_r),
            "high_vol": ok & (np.nan_to_num(vol, nan=-np.inf) >= hi_v),
            "low_vol": ok & (np.nan_to_num(vol, nan=np.inf) <= lo_v),
            "base": np.ones(n, dtype=bool),
        }
    )


def reference_bootstrap(
    values: np.ndarray,
    mask: np.ndarray,
    seed: int,
    name: str,
    n_paths: int,
    horizon: int,
    block: int,
) -> np.ndarray:
    """The documented bootstrap, path by path and block by block."""
    child = np.random.SeedSequence(seed).spawn(5)[list(REGIME_NAMES).index(name)]
    rng = np.random.Generator(np.random.SFC64(child))
    days = np.flatnonzero(mask)
    n_blocks = -(-horizon // block)
    starts = rng.integers(0, len(days), size=(n_paths, n_blocks))
    out = np.empty((n_paths, horizon, values.shape[1]))
    for p in range(n_paths):
        rows = []
        for j in range(n_blocks):
            for k in range(block):
                rows.append(days[(starts[p, j] + k) % len(days)])
        out[p] = values[rows[:horizon]]
    return out


def pooled(paths: np.ndarray) -> np.ndarray:
    return paths.reshape(-1, paths.shape[2])


def equal_weight_stats(paths: np.ndarray) -> tuple[float, float]:
    portfolio = pooled(paths).mean(axis=1)
    return float(portfolio.mean() * 252), float(portfolio.std(ddof=1) * np.sqrt(252))


# ---------------------------------------------------------------- regimes


@pytest.mark.parametrize("alignment", ["centered", "trailing"])
def test_regimes_match_day_by_day_reference_on_sp500(
    sp500_full: tuple[pd.DataFrame, pd.Series], alignment: Alignment
) -> None:
    returns, index = sp500_full
    ours = identify_regimes(returns, market=index, alignment=alignment)
    ref = reference_regimes(index.to_numpy(), 63, 1 / 3, alignment == "centered")
    assert list(ours.columns) == list(REGIME_NAMES)
    assert ours.index.equals(returns.index)
    for name in REGIME_NAMES:
        np.testing.assert_array_equal(ours[name].to_numpy(), ref[name].to_numpy(), err_msg=name)
    assert not (ours["bull"] & ours["bear"]).any()
    assert not (ours["high_vol"] & ours["low_vol"]).any()


def test_regimes_default_market_is_equal_weight_average() -> None:
    returns = regime_switching_returns()
    ours = identify_regimes(returns, window=21, quantile=0.25)
    ref = reference_regimes(returns.mean(axis=1).to_numpy(), 21, 0.25, True)
    for name in REGIME_NAMES:
        np.testing.assert_array_equal(ours[name].to_numpy(), ref[name].to_numpy(), err_msg=name)
    thresholds = ours.attrs["thresholds"]
    assert thresholds["bull_min_return"] > thresholds["bear_max_return"]
    assert thresholds["high_vol_min_volatility"] > thresholds["low_vol_max_volatility"]


def test_regimes_recover_the_segments_of_a_regime_switching_market() -> None:
    returns = regime_switching_returns()
    regimes = identify_regimes(returns)
    segment = np.repeat(np.arange(8) % 4, 250)  # 0 bull-calm, 1 bear-turbulent, 2 calm, 3 turbulent

    def share(name: str, kind: int) -> float:
        return float(regimes[name].to_numpy()[segment == kind].mean())

    assert share("bull", 0) > 0.55 and share("bull", 1) < 0.1
    assert share("bear", 1) > 0.7 and share("bear", 0) < 0.05
    assert share("high_vol", 3) > 0.85 and max(share("high_vol", 0), share("high_vol", 2)) < 0.05
    assert share("low_vol", 0) > 0.75 and max(share("low_vol", 1), share("low_vol", 3)) < 0.05


# ---------------------------------------------------------------- sanity of the scenarios


@pytest.mark.parametrize("method", ["block_bootstrap", "gbm"])
def test_scenario_ordering_on_sp500(
    sp500_full: tuple[pd.DataFrame, pd.Series], method: ScenarioMethod
) -> None:
    returns, index = sp500_full
    scenarios = generate_scenarios(returns, n_paths=300, seed=11, method=method, market=index)
    stats = {name: equal_weight_stats(scenarios.paths[name]) for name in REGIME_NAMES}
    assert stats["bear"][0] < stats["base"][0] < stats["bull"][0]
    assert stats["high_vol"][1] > stats["base"][1] > stats["low_vol"][1]
    summary = scenarios.summary()
    assert list(summary.index) == list(REGIME_NAMES)
    mean = summary["mean_return"].to_numpy()
    vol = summary["volatility"].to_numpy()
    assert mean[1] < mean[0]  # bear < bull
    assert vol[2] > vol[3]  # high_vol > low_vol


@pytest.mark.parametrize("method", ["block_bootstrap", "gbm"])
def test_scenario_ordering_on_synthetic_regimes(method: ScenarioMethod) -> None:
    returns = regime_switching_returns()
    scenarios = generate_scenarios(returns, n_paths=300, seed=3, method=method)
    stats = {name: equal_weight_stats(scenarios.paths[name]) for name in REGIME_NAMES}
    assert stats["bear"][0] < stats["base"][0] < stats["bull"][0]
    assert stats["high_vol"][1] > stats["base"][1] > stats["low_vol"][1]


def test_bootstrap_moments_and_correlation_match_the_regime_days(
    sp500_full: tuple[pd.DataFrame, pd.Series],
) -> None:
    returns, index = sp500_full
    regimes = reference_regimes(index.to_numpy(), 63, 1 / 3, True)
    scenarios = generate_scenarios(
        returns, ("bull", "high_vol"), n_paths=1000, seed=5, market=index
    )
    for name in ("bull", "high_vol"):
        history = returns.to_numpy()[regimes[name].to_numpy()]
        flat = pooled(scenarios.paths[name])
        hist_corr = np.corrcoef(history, rowvar=False)
        path_corr = np.corrcoef(flat, rowvar=False)
        assert np.max(np.abs(path_corr - hist_corr)) < 0.03, name
        np.testing.assert_allclose(flat.std(axis=0), history.std(axis=0), rtol=0.05)
        # Every regime day is equally likely: the pooled mean is the regime mean within noise.
        block_means = flat.reshape(-1, 20, flat.shape[1]).mean(axis=1)
        se = block_means.std(axis=0, ddof=1) / np.sqrt(len(block_means))
        assert np.all(np.abs(flat.mean(axis=0) - history.mean(axis=0)) < 5 * se + 1e-5), name


def test_bootstrap_blocks_are_consecutive_historical_regime_days(
    sp500_full: tuple[pd.DataFrame, pd.Series],
) -> None:
    returns, index = sp500_full
    values = returns.to_numpy()
    block = 20
    scenarios = generate_scenarios(
        returns, ("bear",), n_paths=40, horizon=100, seed=2, market=index
    )
    mask = reference_regimes(index.to_numpy(), 63, 1 / 3, True)["bear"].to_numpy()
    days = np.flatnonzero(mask)
    first_rows = {values[d].tobytes(): i for i, d in enumerate(days)}
    within_stretch = 0
    adjacent_pairs = 0
    for path in scenarios.paths["bear"]:
        for j in range(0, 100, block):
            piece = path[j : j + block]
            start = first_rows[piece[0].tobytes()]
            expected_days = days[(start + np.arange(block)) % len(days)]
            np.testing.assert_array_equal(piece, values[expected_days])
            adjacent_pairs += int((np.diff(expected_days) == 1).sum())
            if expected_days[-1] - expected_days[0] == block - 1:
                within_stretch += 1
                np.testing.assert_array_equal(
                    piece, values[expected_days[0] : expected_days[0] + block]
                )
    # Bear stretches are often short, so many blocks step over a few non-bear days, but most
    # neighbouring days of a block are neighbouring days of history.
    assert within_stretch > 10
    assert adjacent_pairs > 0.8 * 40 * 5 * (block - 1)


def test_bootstrap_follows_the_documented_streams(
    sp500_full: tuple[pd.DataFrame, pd.Series],
) -> None:
    returns, index = sp500_full
    returns = returns.iloc[:, :5]
    regimes = reference_regimes(index.to_numpy(), 63, 1 / 3, True)
    scenarios = generate_scenarios(
        returns, n_paths=7, horizon=45, seed=99, block_size=10, market=index
    )
    for name in REGIME_NAMES:
        ref = reference_bootstrap(returns.to_numpy(), regimes[name].to_numpy(), 99, name, 7, 45, 10)
        np.testing.assert_array_equal(scenarios.paths[name], ref, err_msg=name)


def test_gbm_moments_match_the_calibration(sp500_full: tuple[pd.DataFrame, pd.Series]) -> None:
    returns, index = sp500_full
    returns = returns.iloc[:, :6]
    regimes = reference_regimes(index.to_numpy(), 63, 1 / 3, True)
    scenarios = generate_scenarios(
        returns, ("bear", "low_vol"), n_paths=400, seed=8, method="gbm", market=index
    )
    for name in ("bear", "low_vol"):
        logs = np.log1p(returns.to_numpy()[regimes[name].to_numpy()])
        mu, cov = logs.mean(axis=0), np.cov(logs, rowvar=False)
        simulated = np.log1p(pooled(scenarios.paths[name]))
        n = len(simulated)
        se_mean = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(simulated.mean(axis=0) - mu) < 4.5 * se_mean), name
        sd = np.sqrt(np.diag(cov))
        se_cov = np.sqrt((np.outer(sd**2, sd**2) + cov**2) / n)
        assert np.all(np.abs(np.cov(simulated, rowvar=False) - cov) < 4.5 * se_cov), name


# ---------------------------------------------------------------- reproducibility


def test_same_seed_same_paths_and_streams_independent_of_other_scenarios() -> None:
    returns = regime_switching_returns()
    methods: tuple[ScenarioMethod, ...] = ("block_bootstrap", "gbm")
    for method in methods:
        full = generate_scenarios(returns, n_paths=20, horizon=30, seed=4, method=method)
        again = generate_scenarios(returns, n_paths=20, horizon=30, seed=4, method=method)
        alone = generate_scenarios(
            returns, ("bear",), n_paths=20, horizon=30, seed=4, method=method
        )
        reordered = generate_scenarios(
            returns,
            ("base", "high_vol", "bear"),
            n_paths=20,
            horizon=30,
            seed=4,
            method=method,
        )
        other = generate_scenarios(
            returns, ("bear",), n_paths=20, horizon=30, seed=5, method=method
        )
        for name in REGIME_NAMES:
            np.testing.assert_array_equal(full.paths[name], again.paths[name])
        np.testing.assert_array_equal(full.paths["bear"], alone.paths["bear"])
        for name in reordered.names:
            np.testing.assert_array_equal(full.paths[name], reordered.paths[name])
        assert not np.array_equal(full.paths["bear"], other.paths["bear"])
        assert not np.array_equal(full.paths["bull"][:, :20], full.paths["bear"][:, :20])


# ---------------------------------------------------------------- ScenarioSet helpers


def reference_max_drawdown(path: np.ndarray) -> float:
    wealth, peak, worst = 1.0, 1.0, 0.0
    for r in path:
        wealth *= 1.0 + r
        peak = max(peak, wealth)
        worst = max(worst, 1.0 - wealth / peak)
    return worst


def test_scenario_set_helpers(returns_20: pd.DataFrame) -> None:
    scenarios = generate_scenarios(returns_20.iloc[:, :4], n_paths=50, horizon=60, seed=1)
    assert isinstance(scenarios, ScenarioSet)
    assert scenarios.assets == ("A000", "A001", "A002", "A003")
    assert (scenarios.n_paths, scenarios.horizon, scenarios.n_assets) == (50, 60, 4)
    bull = scenarios.paths["bull"]
    assert bull.dtype == np.float64 and bull.shape == (50, 60, 4)
    np.testing.assert_allclose(scenarios.risky("bull"), bull.mean(axis=2), rtol=1e-13, atol=1e-17)
    weights = pd.Series({"A003": 0.1, "A001": 0.5, "A000": 0.2, "A002": 0.2})
    explicit = 0.2 * bull[:, :, 0] + 0.5 * bull[:, :, 1] + 0.2 * bull[:, :, 2] + 0.1 * bull[:, :, 3]
    np.testing.assert_allclose(scenarios.risky("bull", weights), explicit, rtol=1e-13, atol=1e-17)
    with pytest.raises(DataError, match="missing assets: A003"):
        scenarios.risky("bull", pd.Series({"A000": 0.5, "A001": 0.5, "A002": 0.0, "A009": 0.0}))

    summary = scenarios.summary()
    for name in REGIME_NAMES:
        portfolio = scenarios.paths[name].mean(axis=2)
        drawdowns = [reference_max_drawdown(p) for p in portfolio]
        totals = np.prod(1.0 + portfolio, axis=1) - 1.0
        row = summary.loc[name]
        assert row["regime_days"] == scenarios.regime_days[name]
        assert row["mean_return"] == pytest.approx(portfolio.mean() * 252, rel=1e-10)
        assert row["volatility"] == pytest.approx(portfolio.std(ddof=1) * np.sqrt(252), rel=1e-10)
        assert row["worst_max_drawdown"] == pytest.approx(max(drawdowns), rel=1e-10)
        assert row["median_max_drawdown"] == pytest.approx(np.median(drawdowns), rel=1e-10)
        assert row["median_total_return"] == pytest.approx(np.median(totals), rel=1e-9)
        corr = np.corrcoef(pooled(scenarios.paths[name]), rowvar=False)
        assert row["mean_correlation"] == pytest.approx(
            corr[np.triu_indices(4, 1)].mean(), rel=1e-10
        )
    assert scenarios.regime_days["base"] == len(returns_20)

    sub = scenarios.subset(["low_vol", "bear"])
    assert sub.names == ("low_vol", "bear")
    assert sub.paths["bear"] is scenarios.paths["bear"]
    with pytest.raises(ConstraintError, match=r"'crash'.*bull, bear, high_vol, low_vol, base"):
        scenarios.subset(["crash"])
    with pytest.raises(ConstraintError, match="high_vol"):
        sub.risky("high_vol")


def test_single_asset_series(sp500_full: tuple[pd.DataFrame, pd.Series]) -> None:
    _, index = sp500_full
    scenarios = generate_scenarios(index, n_paths=30, horizon=50, seed=0, method="gbm")
    assert scenarios.assets == ("SP500",)
    np.testing.assert_array_equal(scenarios.risky("bear"), scenarios.paths["bear"][:, :, 0])
    assert "mean_correlation" not in scenarios.summary().columns


@settings(max_examples=15, deadline=None)
@given(
    n_paths=st.integers(1, 6),
    horizon=st.integers(1, 70),
    block_size=st.integers(1, 30),
    seed=st.integers(0, 2**32),
)
def test_bootstrap_shapes_and_rows_come_from_the_regime(
    n_paths: int, horizon: int, block_size: int, seed: int
) -> None:
    returns = regime_switching_returns()
    scenarios = generate_scenarios(
        returns, ("low_vol",), n_paths=n_paths, horizon=horizon, seed=seed, block_size=block_size
    )
    paths = scenarios.paths["low_vol"]
    assert paths.shape == (n_paths, horizon, 4)
    mask = identify_regimes(returns)["low_vol"].to_numpy()
    allowed = {row.tobytes() for row in returns.to_numpy()[mask]}
    assert all(row.tobytes() in allowed for row in pooled(paths))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"n_paths": 0}, ConstraintError, "n_paths.*0"),
        ({"horizon": -3}, ConstraintError, "horizon.*-3"),
        ({"block_size": 0}, ConstraintError, "block_size.*0"),
        ({"block_size": 2.5}, ConstraintError, "block_size.*2.5"),
        (
            {"block_size": 2000},
            InsufficientDataError,
            r"regime 'bull' has \d+ days.*block_size 2000",
        ),
        (
            {"names": ("bull", "boom")},
            ConstraintError,
            r"'boom'.*bull, bear, high_vol, low_vol, base",
        ),
        ({"names": ()}, ConstraintError, "at least one"),
        ({"names": ("bear", "bear")}, ConstraintError, "duplicate.*bear"),
        ({"method": "garch"}, ConstraintError, r"'garch'.*block_bootstrap, gbm"),
        ({"seed": -1}, ConstraintError, "seed.*-1"),
        ({"window": 1}, ConstraintError, "window.*1"),
        ({"window": 5000}, InsufficientDataError, "2000 days.*5000"),
        ({"quantile": 0.6}, ConstraintError, "quantile.*0.6"),
        ({"alignment": "forward"}, ConstraintError, "'forward'"),
    ],
)
def test_bad_parameters_raise_named_errors(
    kwargs: dict[str, object], error: type, pattern: str
) -> None:
    returns = regime_switching_returns()
    with pytest.raises(error, match=pattern):
        generate_scenarios(returns, n_paths=kwargs.pop("n_paths", 5), **kwargs)  # type: ignore[arg-type]


def test_bad_data_raise_data_errors() -> None:
    returns = regime_switching_returns()
    holes = returns.copy()
    holes.iloc[100, 2] = np.nan
    with pytest.raises(DataError, match=r"NaN.*Y"):
        generate_scenarios(holes, n_paths=5)
    market = returns.mean(axis=1).iloc[10:]
    with pytest.raises(DataError, match="market returns are missing 10 dates"):
        identify_regimes(returns, market=market)
    crash = returns.copy()
    crash.iloc[5, 0] = -1.0
    with pytest.raises(DataError, match=r"W.*-100%"):
        generate_scenarios(crash, n_paths=5, method="gbm")
    with pytest.raises(InsufficientDataError, match="regime 'bear' has 3 days"):
        short = returns.iloc[:9]
        generate_scenarios(short, ("bear",), n_paths=5, window=5, block_size=2)
    assert issubclass(ConstraintError, QuantError)


# ---------------------------------------------------------------- the market on the same paths


def reference_gbm(
    values: np.ndarray, seed: int, name: str, n_paths: int, horizon: int
) -> np.ndarray:
    """The documented gbm: the regime's log-return mean and covariance, one standard normal
    vector per simulated day from the scenario's own stream, through a root of the covariance."""
    logs = np.log1p(values)
    cov = np.atleast_2d(np.cov(logs, rowvar=False, ddof=1))
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))
    child = np.random.SeedSequence(seed).spawn(5)[REGIME_NAMES.index(name)]
    normals = np.random.Generator(np.random.SFC64(child)).standard_normal(
        (n_paths * horizon, values.shape[1])
    )
    return np.expm1(normals @ root.T + logs.mean(axis=0)).reshape(n_paths, horizon, -1)


@pytest.mark.parametrize("method", ["block_bootstrap", "gbm"])
def test_the_market_follows_each_path_and_draws_nothing_from_the_assets_streams(
    sp500_full: tuple[pd.DataFrame, pd.Series], method: ScenarioMethod
) -> None:
    returns, index = sp500_full
    history = returns.iloc[-1500:, :5]
    options = {"n_paths": 30, "horizon": 60, "seed": 4, "method": method}
    scenarios = generate_scenarios(history, market=index, **options)
    assert scenarios.market is not None
    regimes = identify_regimes(history, market=index)
    for name in REGIME_NAMES:  # the asset paths are those of the documented streams
        mask = regimes[name].to_numpy()
        reference = (
            reference_gbm(history.to_numpy()[mask], 4, name, 30, 60)
            if method == "gbm"
            else reference_bootstrap(history.to_numpy(), mask, 4, name, 30, 60, 20)
        )
        np.testing.assert_allclose(scenarios.paths[name], reference, rtol=1e-12, atol=1e-15)
        assert scenarios.market[name].shape == (30, 60)
    # a market that is the first asset: on a bootstrap path, that asset's return on the same
    # historical day; under gbm, its conditional draw with no spread left, the same number
    first = generate_scenarios(history, market=history.iloc[:, 0], **options)
    assert first.market is not None
    for name in REGIME_NAMES:  # (under gbm, to the regression's rounding)
        np.testing.assert_allclose(first.market[name], first.paths[name][:, :, 0], atol=1e-8)
    assert scenarios.subset(["bear"]).market == {"bear": scenarios.market["bear"]}
    assert generate_scenarios(history, **options).market is None


def test_on_a_bootstrap_path_the_market_takes_the_days_the_assets_take(
    sp500_full: tuple[pd.DataFrame, pd.Series],
) -> None:
    returns, index = sp500_full
    history = returns.iloc[-1000:, :3]
    scenarios = generate_scenarios(history, ["base"], n_paths=5, horizon=40, market=index)
    assert scenarios.market is not None
    by_day = {tuple(row): day for day, row in zip(history.index, history.to_numpy(), strict=True)}
    for path, market in zip(scenarios.paths["base"], scenarios.market["base"], strict=True):
        days = [by_day[tuple(row)] for row in path]
        np.testing.assert_array_equal(market, index.loc[days].to_numpy())


def test_under_gbm_the_market_keeps_its_regime_moments(
    sp500_full: tuple[pd.DataFrame, pd.Series],
) -> None:
    returns, index = sp500_full
    history = returns.iloc[-2000:, :4]
    scenarios = generate_scenarios(
        history, ["base"], n_paths=400, horizon=250, seed=1, method="gbm", market=index
    )
    assert scenarios.market is not None
    mask = identify_regimes(history, market=index)["base"].to_numpy()
    joint = np.log1p(np.column_stack([history.to_numpy()[mask], index.loc[history.index][mask]]))
    simulated = np.log1p(
        np.column_stack(
            [scenarios.paths["base"].reshape(-1, 4), scenarios.market["base"].reshape(-1)]
        )
    )
    np.testing.assert_allclose(simulated.mean(axis=0), joint.mean(axis=0), atol=2e-4)
    np.testing.assert_allclose(
        np.cov(simulated, rowvar=False), np.cov(joint, rowvar=False), rtol=0.05, atol=2e-6
    )


# ---------------------------------------------------------------- regimes kept per history


def counted_regimes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make `generate_scenarios` count its regime identifications (the list's length), with
    the regimes kept so far set aside for the test."""
    from collections import OrderedDict

    import quant.scenarios as scenarios_module

    monkeypatch.setattr(scenarios_module, "_regime_cache", OrderedDict())
    calls: list[int] = []
    real = scenarios_module.identify_regimes

    def counting(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scenarios_module, "identify_regimes", counting)
    return calls


def expected_regimes(history: pd.DataFrame, **options: object) -> tuple[dict[str, int], dict]:
    """Each regime's day count and the thresholds, identified afresh."""
    regimes = identify_regimes(history, **options)  # type: ignore[arg-type]
    return {n: int(regimes[n].sum()) for n in REGIME_NAMES}, regimes.attrs["thresholds"]


def test_regimes_are_identified_once_per_history_and_settings(
    monkeypatch: pytest.MonkeyPatch, sp500_full: tuple[pd.DataFrame, pd.Series]
) -> None:
    calls = counted_regimes(monkeypatch)
    history = regime_switching_returns(seed=1001)
    first = generate_scenarios(history, n_paths=3, horizon=5, seed=1)
    gbm = generate_scenarios(history, n_paths=4, horizon=6, seed=2, method="gbm")
    copied = generate_scenarios(history.copy(), n_paths=3, horizon=5, seed=1)
    assert len(calls) == 1
    days, thresholds = expected_regimes(history)
    for scenarios in (first, gbm, copied):
        assert scenarios.regime_days == days and scenarios.thresholds == thresholds
    for name in REGIME_NAMES:
        np.testing.assert_array_equal(first.paths[name], copied.paths[name])
    # another history of the same shape, or other settings: identified again, for themselves
    changed = history.copy()
    changed.iloc[1000, 2] += 0.05
    for data, options in (
        (changed, {}),
        (history, {"window": 21}),
        (history, {"quantile": 0.25}),
        (history, {"alignment": "trailing"}),
    ):
        before = len(calls)
        scenarios = generate_scenarios(data, n_paths=3, horizon=5, **options)  # type: ignore[arg-type]
        again = generate_scenarios(data, n_paths=3, horizon=5, **options)  # type: ignore[arg-type]
        assert len(calls) == before + 1, options
        days, thresholds = expected_regimes(data, **options)
        for found in (scenarios, again):
            assert found.regime_days == days and found.thresholds == thresholds, options
    assert generate_scenarios(changed, n_paths=3, horizon=5).thresholds != first.thresholds
    # with a market the regimes are the market's: identified on every call
    returns, index = sp500_full
    before = len(calls)
    for _ in range(2):
        with_market = generate_scenarios(
            returns.iloc[-800:, :2], n_paths=2, horizon=3, market=index
        )
        days, thresholds = expected_regimes(returns.iloc[-800:, :2], market=index)
        assert with_market.regime_days == days and with_market.thresholds == thresholds
    assert len(calls) == before + 2


def test_the_regimes_kept_are_bounded_and_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import quant.scenarios as scenarios_module

    calls = counted_regimes(monkeypatch)
    rng = np.random.default_rng(2002)
    histories = [
        pd.DataFrame(rng.normal(0.0, 0.01, (200, 2)), columns=["A", "B"])
        for _ in range(scenarios_module.REGIME_CACHE_SIZE + 1)
    ]
    for history in histories:
        generate_scenarios(history, n_paths=1, horizon=1, block_size=5)
    assert len(calls) == len(histories)
    assert len(scenarios_module._regime_cache) == scenarios_module.REGIME_CACHE_SIZE
    generate_scenarios(histories[-1], n_paths=1, horizon=1, block_size=5)  # kept
    assert len(calls) == len(histories)
    generate_scenarios(histories[0], n_paths=1, horizon=1, block_size=5)  # the oldest: dropped
    assert len(calls) == len(histories) + 1
    for masks, _ in scenarios_module._regime_cache.values():
        for mask in masks.values():
            assert not mask.flags.writeable
            with pytest.raises(ValueError):
                mask[0] = not mask[0]


def test_regimes_kept_for_concurrent_callers_are_each_their_own_history() -> None:
    from concurrent.futures import ThreadPoolExecutor

    histories = [regime_switching_returns(seed=3000 + i) for i in range(4)]
    expected = [expected_regimes(h) for h in histories]

    def simulate(i: int) -> tuple[dict[str, int], dict]:
        found = generate_scenarios(histories[i % 4], n_paths=2, horizon=2, seed=i)
        return found.regime_days, found.thresholds

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(simulate, range(48)))
    for i, result in enumerate(results):
        assert result == expected[i % 4], i
