"""`services.monte_carlo.portfolio_paths`: the paths of `generate_scenarios` with the
portfolio's weights, computed with BLAS on one thread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import services.monte_carlo as monte_carlo
from quant.data import load_sp500_prices, to_returns
from quant.scenarios import generate_scenarios


def blas_threads() -> list[int]:
    """The thread count of numpy's BLAS (the one its products call), asserted loaded."""
    threads = [
        int(i["num_threads"])
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in str(i["filepath"])
    ]
    assert threads, threadpool_info()
    return threads


def test_portfolio_paths_are_the_scenarios_risky_returns_on_one_blas_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = to_returns(load_sp500_prices())[["AAPL", "JNJ", "KO", "XOM"]].iloc[-3000:]
    weights = pd.Series([0.4, 0.3, 0.2, 0.1], index=history.columns)
    seen: list[list[int]] = []
    real = monte_carlo.generate_scenarios

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(blas_threads())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(monte_carlo, "generate_scenarios", watched)
    with threadpool_limits(limits=2, user_api="blas"):
        caller = blas_threads()
        paths = monte_carlo.portfolio_paths(
            history,
            weights,
            scenarios=["bear", "bull"],
            methods=["gbm", "block_bootstrap"],
            n_paths=30,
            horizon_days=40,
            seed=5,
            block_size=10,
        )
        after = blas_threads()
    assert seen and all(threads == [1] * len(threads) for threads in seen), seen
    assert after == caller  # the caller's setting is restored
    assert [(p.method, p.scenario) for p in paths] == [
        (m, s) for m in ("gbm", "block_bootstrap") for s in ("bear", "bull")
    ]
    for p in paths:
        reference = generate_scenarios(
            history,
            [p.scenario],
            n_paths=30,
            horizon=40,
            seed=5,
            method=p.method,  # type: ignore[arg-type]
            block_size=10,
        )
        np.testing.assert_array_equal(p.returns, reference.risky(p.scenario, weights))
        assert p.regime_days == reference.regime_days[p.scenario]
