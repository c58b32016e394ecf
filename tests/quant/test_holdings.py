"""A portfolio of a stated number of holdings (`quant.holdings.with_holdings`): the names are the
ones a plain reference of the backward-elimination rule, written here, keeps; the weights are
the method's portfolio of those names (the min-volatility one equal to cvxpy + CLARABEL's
minimum variance over them); never more names than asked, fewer only when the method gives the
others no weight; a count the universe cannot give is refused."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quant.errors import ConstraintError
from quant.holdings import HELD_WEIGHT, held_count, with_holdings
from quant.synthetic import factor_model_returns
from services.portfolios import Method, build_portfolio, estimates

METHODS: tuple[Method, ...] = (
    "min_volatility", "max_sharpe", "hrp", "risk_parity", "inverse_volatility",
)  # fmt: skip


Build = Callable[[list[str]], pd.Series]


def _builder(returns: pd.DataFrame, method: Method) -> tuple[Build, list[list[str]]]:
    """The method's build on names of `returns`, and the list of the names of each call."""
    mu, cov = estimates(returns)
    calls: list[list[str]] = []

    def build(names: list[str]) -> pd.Series:
        calls.append(list(names))
        return build_portfolio(method, returns[names], mu=mu[names], cov=cov.loc[names, names])

    return build, calls


def reference_choice(build: Build, universe: list[str], count: int) -> list[str]:
    """The rule, plainly: keep the names holding weight; while more than `count` do, drop the
    ceil(excess / 2) smallest (equal weights: the later in the universe first) and rebuild."""
    names = universe
    while True:
        weights = build(names)
        holding = [n for n in names if weights[n] > HELD_WEIGHT]
        if len(holding) <= count:
            return holding
        excess = len(holding) - count
        by_size = sorted(holding, key=lambda n: (weights[n], -universe.index(n)))
        names = [n for n in holding if n not in by_size[: math.ceil(excess / 2)]]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    n_assets=st.integers(min_value=3, max_value=14),
    method=st.sampled_from(METHODS),
    data=st.data(),
)
def test_the_holdings_are_the_rule_s_and_the_weights_the_method_s(
    seed: int, n_assets: int, method: Method, data: st.DataObject
) -> None:
    returns = factor_model_returns(300, n_assets, seed=seed)
    count = data.draw(st.integers(min_value=2, max_value=n_assets), label="count")
    build, calls = _builder(returns, method)
    try:
        build(list(returns.columns))
    except ConstraintError:  # max Sharpe when no asset earns more than the risk-free rate
        assume(False)
    calls.clear()
    chosen = with_holdings(build, list(returns.columns), count)
    expected = reference_choice(_builder(returns, method)[0], list(returns.columns), count)
    assert list(chosen.weights.index) == expected
    assert chosen.builds == len(calls)
    assert len(chosen.weights) <= count and held_count(chosen.weights) == len(expected)
    assert abs(chosen.weights.sum() - 1.0) < 1e-9
    if len(expected) == 1:  # the method holds one name: all of the portfolio in it
        assert chosen.weights.tolist() == [1.0]
    else:  # the method's own portfolio of the names chosen
        again = build(expected)
        assert np.allclose(chosen.weights.to_numpy(), again.to_numpy(), atol=1e-10)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), count=st.integers(2, 6))
def test_the_min_volatility_weights_are_the_minimum_variance_of_the_names_chosen(
    seed: int, count: int
) -> None:
    import cvxpy as cp

    returns = factor_model_returns(400, 12, seed=seed)
    build, _ = _builder(returns, "min_volatility")
    chosen = with_holdings(build, list(returns.columns), count)
    names = list(chosen.weights.index)
    cov = estimates(returns)[1].loc[names, names].to_numpy()
    w = cp.Variable(len(names))
    problem = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov))), [cp.sum(w) == 1, w >= 0])
    problem.solve(solver=cp.CLARABEL)
    ours = float(chosen.weights.to_numpy() @ cov @ chosen.weights.to_numpy())
    assert ours <= float(problem.value) * (1 + 1e-6) + 1e-12


@pytest.mark.parametrize("count", [0, 1, 6])
def test_a_count_the_universe_cannot_give_is_refused(count: int) -> None:
    returns = factor_model_returns(100, 5, seed=1)
    build, calls = _builder(returns, "hrp")
    with pytest.raises(ConstraintError, match=r"holdings: .* ask for 2 to 5"):
        with_holdings(build, list(returns.columns), count)
    assert calls == []  # refused before any build
