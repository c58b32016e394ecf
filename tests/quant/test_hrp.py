"""Hierarchical Risk Parity: parity with PyPortfolioOpt, Riskfolio-Lib, skfolio and a plain
reference implementation kept here; properties; bad input."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import squareform

from quant.errors import ConstraintError, DataError, InsufficientDataError, QuantError
from quant.optimizers.hrp import LinkageMethod, _bisection_weights, hierarchical_risk_parity
from quant.synthetic import factor_model_returns

TOL = 1e-10
LINKAGES: list[LinkageMethod] = ["single", "complete", "average", "ward"]


# --- a plain reference implementation (pandas, recursive), written from the published algorithm --


def _reference_leaf_order(link: np.ndarray, n: int) -> list[int]:
    """Left-to-right leaves of a scipy linkage matrix by walking the tree recursively."""

    def walk(node: int) -> list[int]:
        if node < n:
            return [node]
        left, right = link[node - n, 0], link[node - n, 1]
        return walk(int(left)) + walk(int(right))

    return walk(2 * n - 2)


def _reference_cluster_variance(cov: pd.DataFrame, items: list[str]) -> float:
    sub = cov.loc[items, items]
    ivp = 1.0 / np.diag(sub.to_numpy())
    ivp = ivp / ivp.sum()
    return float(ivp @ sub.to_numpy() @ ivp)


def _reference_bisect(cov: pd.DataFrame, items: list[str]) -> dict[str, float]:
    if len(items) == 1:
        return {items[0]: 1.0}
    left, right = items[: len(items) // 2], items[len(items) // 2 :]
    v_left = _reference_cluster_variance(cov, left)
    v_right = _reference_cluster_variance(cov, right)
    alpha = 1.0 - v_left / (v_left + v_right)
    weights = {k: alpha * w for k, w in _reference_bisect(cov, left).items()}
    weights.update({k: (1.0 - alpha) * w for k, w in _reference_bisect(cov, right).items()})
    return weights


def reference_hrp(returns: pd.DataFrame, method: str, optimal_ordering: bool = False) -> pd.Series:
    cov = returns.cov()
    corr = returns.corr()
    dist = np.sqrt(np.clip((1.0 - corr.to_numpy()) / 2.0, 0.0, 1.0))
    np.fill_diagonal(dist, 0.0)
    link = scipy_linkage(squareform(dist, checks=False), method, optimal_ordering=optimal_ordering)
    names = list(returns.columns)
    ordered = [names[i] for i in _reference_leaf_order(link, len(names))]
    weights = _reference_bisect(cov, ordered)
    return pd.Series(weights).reindex(names)


# --- peers as oracles ---------------------------------------------------------------------------


def pypfopt_hrp(returns: pd.DataFrame) -> pd.Series:
    from pypfopt import HRPOpt

    weights = HRPOpt(returns).optimize("single")
    return pd.Series(dict(weights)).reindex(returns.columns)


def riskfolio_hrp(returns: pd.DataFrame) -> pd.Series:
    import riskfolio as rp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        port = rp.HCPortfolio(returns=returns)
        weights = port.optimization(
            model="HRP", codependence="pearson", rm="MV", linkage="single", leaf_order=True
        )
    return weights["weights"].reindex(returns.columns)


def skfolio_hrp(returns: pd.DataFrame, method: str, optimal_ordering: bool) -> pd.Series:
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.distance import PearsonDistance
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    model = HierarchicalRiskParity(
        distance_estimator=PearsonDistance(),
        seriation_estimator=HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod(method)
            ),
            optimal_ordering=optimal_ordering,
        ),
    )
    model.fit(returns)
    return pd.Series(model.weights_, index=returns.columns)


def max_diff(a: pd.Series, b: pd.Series) -> float:
    assert list(a.index) == list(b.index)
    return float(np.abs(a.to_numpy() - b.to_numpy()).max())


def check_weights(w: pd.Series, returns: pd.DataFrame) -> None:
    assert list(w.index) == [str(c) for c in returns.columns]
    values = w.to_numpy()
    assert np.isfinite(values).all()
    assert (values >= 0.0).all()
    assert abs(values.sum() - 1.0) <= 1e-12


@pytest.fixture(scope="module")
def returns_60() -> pd.DataFrame:
    return factor_model_returns(750, 60, seed=60)


@pytest.fixture(params=["returns_20", "returns_60", "returns_100", "sp500_returns"])
def dataset(request: pytest.FixtureRequest) -> pd.DataFrame:
    frame: pd.DataFrame = request.getfixturevalue(request.param)
    return frame


# --- parity -------------------------------------------------------------------------------------


def test_defaults_match_pypfopt(dataset: pd.DataFrame) -> None:
    ours = hierarchical_risk_parity(dataset)
    check_weights(ours, dataset)
    assert max_diff(ours, pypfopt_hrp(dataset)) <= TOL


def test_optimal_ordering_matches_riskfolio(dataset: pd.DataFrame) -> None:
    ours = hierarchical_risk_parity(dataset, optimal_ordering=True)
    check_weights(ours, dataset)
    assert max_diff(ours, riskfolio_hrp(dataset)) <= TOL


def test_orderings_give_different_portfolios(returns_100: pd.DataFrame) -> None:
    # The option is honoured: on 100 assets the two leaf orders differ, and so do the weights.
    assert (
        max_diff(
            hierarchical_risk_parity(returns_100),
            hierarchical_risk_parity(returns_100, optimal_ordering=True),
        )
        > 1e-6
    )


@pytest.mark.parametrize("method", LINKAGES)
@pytest.mark.parametrize("optimal_ordering", [False, True])
def test_linkages_match_reference(
    returns_60: pd.DataFrame, sp500_returns: pd.DataFrame, method: Any, optimal_ordering: bool
) -> None:
    for data in (returns_60, sp500_returns):
        ours = hierarchical_risk_parity(data, linkage=method, optimal_ordering=optimal_ordering)
        check_weights(ours, data)
        assert max_diff(ours, reference_hrp(data, method, optimal_ordering)) <= TOL


@pytest.mark.parametrize("method", LINKAGES)
def test_linkages_match_skfolio(returns_60: pd.DataFrame, method: Any) -> None:
    for optimal_ordering in (False, True):
        ours = hierarchical_risk_parity(
            returns_60, linkage=method, optimal_ordering=optimal_ordering
        )
        assert max_diff(ours, skfolio_hrp(returns_60, method, optimal_ordering)) <= TOL


def test_linkages_differ(returns_60: pd.DataFrame) -> None:
    single = hierarchical_risk_parity(returns_60, linkage="single")
    assert max_diff(single, hierarchical_risk_parity(returns_60, linkage="ward")) > 1e-6


@pytest.mark.parametrize("n_assets", [2, 3, 5])
def test_tiny_universes_match_reference(n_assets: int) -> None:
    data = factor_model_returns(40, n_assets, seed=7 + n_assets)
    for method in LINKAGES:
        assert (
            max_diff(hierarchical_risk_parity(data, linkage=method), reference_hrp(data, method))
            <= TOL
        )


def test_two_assets_closed_form() -> None:
    data = factor_model_returns(200, 2, seed=3)
    var = data.var().to_numpy()
    w = hierarchical_risk_parity(data).to_numpy()
    # Two singletons: the weights are inverse variances, normalised.
    expected = (1.0 / var) / (1.0 / var).sum()
    assert np.abs(w - expected).max() <= 1e-14


def test_scale_invariance(returns_20: pd.DataFrame) -> None:
    # Annualising (a constant factor on the covariance) does not change the weights.
    assert (
        max_diff(hierarchical_risk_parity(returns_20), hierarchical_risk_parity(returns_20 * 3.0))
        <= 1e-12
    )


def test_numpy_input_and_labels() -> None:
    data = factor_model_returns(300, 6, seed=11)
    w = hierarchical_risk_parity(data.to_numpy())  # type: ignore[arg-type]
    assert list(w.index) == [f"asset_{i}" for i in range(6)]
    assert max_diff(w.set_axis(data.columns), hierarchical_risk_parity(data)) <= 1e-15


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    n_assets=st.integers(2, 25),
    n_days=st.integers(3, 120),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(LINKAGES),
    optimal_ordering=st.booleans(),
)
def test_weights_are_a_long_only_budget(
    n_assets: int, n_days: int, seed: int, method: Any, optimal_ordering: bool
) -> None:
    data = factor_model_returns(n_days, n_assets, seed=seed)
    w = hierarchical_risk_parity(data, linkage=method, optimal_ordering=optimal_ordering)
    check_weights(w, data)


def hierarchical_returns(
    depth: int, seed: int, scales: np.ndarray, n_days: int = 1000
) -> pd.DataFrame:
    """2**depth assets in a balanced tree of nested groups with well separated correlations.

    Assets sharing their first L group levels have correlation about c_L, with c rising linearly
    from 0.1 (everyone) to 0.9 (sibling pairs), so every linkage recovers the designed tree and
    the bisection's len//2 splits fall exactly on its cluster boundaries.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n = 2**depth
    cumulative = np.linspace(0.1, 0.9, depth) if depth > 1 else np.array([0.9])
    increments = np.diff(np.concatenate(([0.0], cumulative)))
    returns = rng.standard_normal((n_days, n)) * np.sqrt(1.0 - cumulative[-1])
    for level, share in enumerate(increments):
        groups = np.arange(n) >> (depth - level)
        factors = rng.standard_normal((n_days, int(groups.max()) + 1))
        returns += factors[:, groups] * np.sqrt(share)
    columns = [f"S{i:02d}" for i in range(n)]
    return pd.DataFrame(returns * 0.01 * scales, columns=columns)


@settings(max_examples=25, deadline=None)
@given(
    depth=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(LINKAGES),
    data=st.data(),
)
def test_permuting_assets_permutes_weights(depth: int, seed: int, method: Any, data: Any) -> None:
    n = 2**depth
    scales = np.array(data.draw(st.lists(st.floats(0.5, 3.0), min_size=n, max_size=n)))
    perm = np.array(data.draw(st.permutations(list(range(n)))))
    frame = hierarchical_returns(depth, seed, scales)
    w = hierarchical_risk_parity(frame, linkage=method)
    w_perm = hierarchical_risk_parity(frame.iloc[:, perm], linkage=method)
    assert np.abs(w_perm.reindex(w.index).to_numpy() - w.to_numpy()).max() <= 1e-12


def test_permutation_is_not_an_invariant_in_general() -> None:
    # Documented behaviour shared with the peers: the leaf order of merged singletons follows
    # the column index and the list is cut at len//2, so on unstructured data a column
    # permutation can move a cut; our weights still equal PyPortfolioOpt's for each column order.
    found = False
    for seed in range(20):
        data = factor_model_returns(300, 12, seed=seed)
        perm = np.random.default_rng(seed).permutation(12)
        permuted = data.iloc[:, perm]
        w, w_perm = hierarchical_risk_parity(data), hierarchical_risk_parity(permuted)
        assert max_diff(w_perm, pypfopt_hrp(permuted)) <= TOL
        if np.abs(w_perm.reindex(w.index) - w).max() > 1e-6:
            found = True
            break
    assert found


# --- bad input ----------------------------------------------------------------------------------


def test_one_asset() -> None:
    data = factor_model_returns(100, 1, seed=1)
    with pytest.raises(InsufficientDataError, match="HRP needs at least 2 assets"):
        hierarchical_risk_parity(data)


def test_one_observation() -> None:
    data = factor_model_returns(1, 5, seed=1)
    with pytest.raises(InsufficientDataError, match="observations"):
        hierarchical_risk_parity(data)


def test_two_observations_still_valid() -> None:
    data = factor_model_returns(2, 5, seed=2)
    check_weights(hierarchical_risk_parity(data), data)


def test_nan_and_inf_name_the_asset(returns_20: pd.DataFrame) -> None:
    data = returns_20.copy()
    data.iloc[5, 3] = np.nan
    with pytest.raises(DataError, match=r"NaN.*A003"):
        hierarchical_risk_parity(data)
    data.iloc[5, 3] = np.inf
    with pytest.raises(DataError, match=r"infinite.*A003"):
        hierarchical_risk_parity(data)


def test_duplicate_names(returns_20: pd.DataFrame) -> None:
    data = returns_20.iloc[:, :4].copy()
    data.columns = ["X", "Y", "X", "Z"]
    with pytest.raises(DataError, match=r"duplicate.*X"):
        hierarchical_risk_parity(data)


@pytest.mark.parametrize("value", [0.0, 0.01])
def test_zero_variance_asset_is_named(returns_20: pd.DataFrame, value: float) -> None:
    data = returns_20.iloc[:, :5].copy()
    data["A002"] = value
    with pytest.raises(DataError, match=r"A002.*zero variance"):
        hierarchical_risk_parity(data)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e160, 1e300])
def test_extreme_scales_give_the_same_weights(scale: float) -> None:
    # Products of such returns would overflow or underflow; the weights do not depend on scale.
    data = factor_model_returns(50, 6, seed=4)
    w = hierarchical_risk_parity(data * scale)
    check_weights(w, data)
    assert max_diff(w, reference_hrp(data, "single")) <= 1e-12


def test_negligible_variance_is_named() -> None:
    data = factor_model_returns(50, 4, seed=5)
    data["A001"] *= 1e-200
    with pytest.raises(DataError, match=r"A001.*zero variance"):
        hierarchical_risk_parity(data)


def test_perfectly_hedged_assets_give_valid_weights() -> None:
    # x, -x, y, -y: halves of the ordered list can be riskless under their inverse-variance
    # weights (variance 0 up to rounding); the weights must stay finite, >= 0 and sum to 1.
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(200) * 0.01, rng.standard_normal(200) * 0.02
    data = pd.DataFrame(np.column_stack([x, -x, y, -y]), columns=["x", "-x", "y", "-y"])
    for method in LINKAGES:
        check_weights(hierarchical_risk_parity(data, linkage=method), data)


def test_bisection_with_riskless_halves() -> None:
    # Ordered covariance whose halves {0, 1} and {2, 3} are exact hedges: v_L = v_R = 0, so by
    # definition the halves share equally; with only the left half riskless it takes all.
    both = np.array([[1.0, -1, 0, 0], [-1, 1, 0, 0], [0, 0, 4, -4], [0, 0, -4, 4]])
    assert np.array_equal(_bisection_weights(both), np.full(4, 0.25))
    left = np.array([[1.0, -1, 0, 0], [-1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert np.array_equal(_bisection_weights(left), np.array([0.5, 0.5, 0.0, 0.0]))


@pytest.mark.parametrize("method", ["median", "Single", "", "centroid"])
def test_unknown_linkage_lists_allowed(returns_20: pd.DataFrame, method: str) -> None:
    with pytest.raises(QuantError) as info:
        hierarchical_risk_parity(returns_20, linkage=method)  # type: ignore[arg-type]
    assert isinstance(info.value, ConstraintError)
    for allowed in LINKAGES:
        assert allowed in str(info.value)


# --- bounds -------------------------------------------------------------------------------------


def skfolio_bounded_hrp(returns: pd.DataFrame, lower: object, upper: object) -> pd.Series:
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.distance import PearsonDistance
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    model = HierarchicalRiskParity(
        distance_estimator=PearsonDistance(),
        seriation_estimator=HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod("single")
            ),
            optimal_ordering=False,
        ),
        min_weights=lower,
        max_weights=upper,
    )
    model.fit(returns)
    return pd.Series(model.weights_, index=returns.columns)


@pytest.mark.parametrize(("lower", "upper"), [(0.0, 0.08), (0.02, 0.1), (0.03, 1.0)])
def test_bounded_weights_match_skfolio(
    returns_20: pd.DataFrame, lower: float, upper: float
) -> None:
    ours = hierarchical_risk_parity(returns_20, bounds=(lower, upper))
    check_weights(ours, returns_20)
    assert (ours >= lower - 1e-12).all() and (ours <= upper + 1e-12).all()
    assert max_diff(ours, skfolio_bounded_hrp(returns_20, lower, upper)) <= TOL
    assert not np.allclose(ours, hierarchical_risk_parity(returns_20))  # the bounds bind


def test_per_asset_bounds_match_skfolio(sp500_returns: pd.DataFrame) -> None:
    names = list(sp500_returns.columns)
    upper = pd.Series(0.5, index=names)
    upper[["KO", "PG", "JNJ"]] = 0.03  # the defensive names HRP favours, capped hard
    lower = pd.Series(0.0, index=names)
    lower["AMD"] = 0.04
    ours = hierarchical_risk_parity(sp500_returns, bounds=(lower, upper))
    assert (ours[["KO", "PG", "JNJ"]] <= 0.03 + 1e-12).all() and ours["AMD"] >= 0.04 - 1e-12
    expected = skfolio_bounded_hrp(sp500_returns, lower.to_numpy(), upper.to_numpy())
    assert max_diff(ours, expected) <= TOL


@settings(max_examples=40, deadline=None)
@given(n_assets=st.integers(3, 16), seed=st.integers(0, 10_000), data=st.data())
def test_assets_capped_at_zero_hold_nothing_as_in_the_limit_of_tiny_caps(
    n_assets: int, seed: int, data: Any
) -> None:
    """Caps of 0 (a whole cluster of them included) leave those assets out: finite weights
    within the caps, the limit of caps of 1e-12 in their place (skfolio refuses such caps)."""
    returns = factor_model_returns(250, n_assets, seed=seed)
    zero = data.draw(st.lists(st.integers(0, n_assets - 1), min_size=1, max_size=n_assets - 2,
                              unique=True), label="capped at 0")  # fmt: skip
    caps = data.draw(st.lists(st.floats(0.5, 1.0), min_size=n_assets, max_size=n_assets))
    upper = np.array(caps)
    upper[zero] = 0.0
    weights = hierarchical_risk_parity(returns, bounds=(0.0, upper))
    check_weights(weights, returns)
    assert (weights.iloc[zero] == 0.0).all() and (weights.to_numpy() <= upper + 1e-12).all()
    tiny = upper.copy()
    tiny[zero] = 1e-12
    assert max_diff(weights, hierarchical_risk_parity(returns, bounds=(0.0, tiny))) <= 1e-9


def test_a_cluster_capped_at_zero_is_left_out(sp500_returns: pd.DataFrame) -> None:
    """Two names HRP clusters together, both capped at 0: the others share the whole budget."""
    names = list(sp500_returns.columns)
    upper = pd.Series(1.0, index=names)
    upper[["AAPL", "MSFT"]] = 0.0
    weights = hierarchical_risk_parity(sp500_returns, bounds=(0.0, upper))
    check_weights(weights, sp500_returns)
    assert (weights[["AAPL", "MSFT"]] == 0.0).all()


def test_bounds_that_fit_no_portfolio_are_refused(returns_20: pd.DataFrame) -> None:
    with pytest.raises(ConstraintError, match="bounds cannot sum to 1"):
        hierarchical_risk_parity(returns_20, bounds=(0.0, 0.04))  # 20 x 4% < 100%
    with pytest.raises(ConstraintError, match="long-only"):
        hierarchical_risk_parity(returns_20, bounds=(-0.1, 1.0))
