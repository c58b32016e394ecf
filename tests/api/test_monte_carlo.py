"""`/v1/monte-carlo/*`: statistics recomputed with plain numpy from the same seeded paths
(`quant.scenarios.generate_scenarios` with the request's arguments), scenario ordering, inputs
and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from quant.data import load_sp500_prices, to_returns
from quant.scenarios import generate_scenarios
from tests.api.conftest import Api, assert_error

WEIGHTS = {"AAPL": 0.25, "JNJ": 0.25, "KO": 0.25, "XOM": 0.25}
START = "2005-01-01"
N_PATHS, HORIZON, SEED = 40, 60, 11


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    frame = to_returns(load_sp500_prices())[list(WEIGHTS)]
    return frame.loc[frame.index >= START]


def request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "weights": WEIGHTS,
        "start": START,
        "scenarios": ["bull", "bear", "base"],
        "n_paths": N_PATHS,
        "horizon_days": HORIZON,
        "seed": SEED,
    }
    body.update(overrides)
    return body


def reference_returns(
    history: pd.DataFrame, name: str, method: str = "block_bootstrap"
) -> np.ndarray:
    scenarios = generate_scenarios(
        history,
        names=[name],
        n_paths=N_PATHS,
        horizon=HORIZON,
        seed=SEED,
        method=method,  # type: ignore[arg-type]
    )
    paths = scenarios.paths[name]  # (paths, days, assets)
    return np.asarray(paths @ np.array(list(WEIGHTS.values())))


def test_simulate_bands_match_numpy(api: Api, history: pd.DataFrame) -> None:
    response = api.client.post(
        "/v1/monte-carlo/simulate",
        json=request(methods=["block_bootstrap", "gbm"], max_points=16, initial_value=100.0),
        headers=api.alice,
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert [(r["scenario"], r["method"]) for r in out["results"]] == [
        (s, m) for m in ("block_bootstrap", "gbm") for s in ("bull", "bear", "base")
    ]
    assert out["data"]["n_observations"] == len(history)
    for result in out["results"]:
        daily = reference_returns(history, result["scenario"], result["method"])
        wealth = 100.0 * np.concatenate(
            [np.ones((N_PATHS, 1)), np.cumprod(1 + daily, axis=1)], axis=1
        )
        days = result["days"]
        assert days[0] == 0 and days[-1] == HORIZON and len(days) == 16
        for label, pct in (("p5", 5), ("p50", 50), ("p95", 95)):
            np.testing.assert_allclose(
                result["bands"][label], np.percentile(wealth[:, days], pct, axis=0), rtol=1e-12
            )
        terminal = wealth[:, -1]
        assert result["terminal"]["mean"] == pytest.approx(terminal.mean(), rel=1e-12)
        assert result["terminal"]["std"] == pytest.approx(terminal.std(ddof=1), rel=1e-12)
        assert result["terminal"]["prob_loss"] == pytest.approx((terminal < 100).mean())
        bands = result["bands"]
        assert all(
            lo <= mid <= hi
            for lo, mid, hi in zip(bands["p5"], bands["p50"], bands["p95"], strict=True)
        )
    # same request, same numbers
    again = api.client.post(
        "/v1/monte-carlo/simulate",
        json=request(methods=["block_bootstrap", "gbm"], max_points=16, initial_value=100.0),
        headers=api.alice,
    )
    stored = ("id", "created_at")  # each run is a new stored simulation: the numbers repeat
    assert {k: v for k, v in again.json().items() if k not in stored} == {
        k: v for k, v in out.items() if k not in stored
    }
    assert again.json()["id"] != out["id"]


def test_analyze_matches_numpy_and_bear_is_worse(api: Api, history: pd.DataFrame) -> None:
    response = api.client.post(
        "/v1/monte-carlo/analyze",
        json=request(n_paths=N_PATHS, level=0.9, loss_threshold=0.05),
        headers=api.alice,
    )
    assert response.status_code == 200, response.text
    results = {r["scenario"]: r for r in response.json()["results"]}
    for name, result in results.items():
        daily = reference_returns(history, name)
        total = np.prod(1 + daily, axis=1) - 1
        q = np.quantile(total, 0.1)
        assert result["var"] == pytest.approx(-q, rel=1e-9)
        assert result["cvar"] == pytest.approx(-total[total <= q].mean(), rel=1e-9)
        assert result["prob_loss_beyond_threshold"] == pytest.approx((total < -0.05).mean())
        wealth = np.cumprod(1 + daily, axis=1)
        drawdown = (1 - wealth / np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)).max(axis=1)
        assert result["max_drawdown"]["worst"] == pytest.approx(drawdown.max(), rel=1e-9)
        assert result["max_drawdown"]["median"] == pytest.approx(np.median(drawdown), rel=1e-9)
        assert result["mean_return"] == pytest.approx(daily.mean() * 252, rel=1e-9)
        assert result["cvar"] >= result["var"]
    # what the scenarios mean: bear paths lose more than bull paths
    assert (
        results["bear"]["mean_return"]
        < results["base"]["mean_return"]
        < results["bull"]["mean_return"]
    )
    assert results["bear"]["var"] > results["bull"]["var"]
    assert results["bear"]["max_drawdown"]["median"] > results["bull"]["max_drawdown"]["median"]


def test_portfolio_source_and_equal_default(api: Api) -> None:
    created = api.client.post(
        "/v1/portfolios",
        json={
            "name": "mc",
            "weights": [{"asset": a, "weight": w} for a, w in WEIGHTS.items()],
        },
        headers=api.alice,
    )
    pid = created.json()["id"]
    from_portfolio = api.client.post(
        "/v1/monte-carlo/analyze",
        json={
            "portfolio_id": pid,
            "start": START,
            "scenarios": ["bear"],
            "n_paths": N_PATHS,
            "horizon_days": HORIZON,
            "seed": SEED,
        },
        headers=api.alice,
    ).json()
    explicit = api.client.post(
        "/v1/monte-carlo/analyze", json=request(scenarios=["bear"]), headers=api.alice
    ).json()
    assert from_portfolio["results"] == explicit["results"]
    assert from_portfolio["weights"] == WEIGHTS
    equal = api.client.post(
        "/v1/monte-carlo/simulate",
        json=request(weights=None, assets=list(WEIGHTS), scenarios=["bear"]),
        headers=api.alice,
    ).json()
    assert equal["weights"] == WEIGHTS  # 1/4 each
    theirs = api.client.post("/v1/monte-carlo/analyze", json={"portfolio_id": pid}, headers=api.bob)
    assert_error(theirs, 404, "NOT_FOUND", "body.portfolio_id")


def test_errors(api: Api) -> None:
    c = api.client
    assert_error(c.post("/v1/monte-carlo/simulate", json=request()), 401, "UNAUTHENTICATED")
    assert_error(
        c.post("/v1/monte-carlo/simulate", json=request(n_paths=10**6), headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.n_paths",
    )
    assert_error(
        c.post("/v1/monte-carlo/analyze", json=request(horizon_days=0), headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.horizon_days",
    )
    assert_error(
        c.post("/v1/monte-carlo/analyze", json=request(scenarios=["crash"]), headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.scenarios",
    )
    assert_error(
        c.post(
            "/v1/monte-carlo/analyze",
            json=request(weights={"AAPL": 0.5, "KO": 0.4}),
            headers=api.alice,
        ),
        422,
        "VALIDATION_ERROR",
        "body.weights",
    )
    assert_error(
        c.post("/v1/monte-carlo/simulate", json=request(percentiles=[5, 150]), headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.percentiles.1",
    )
    too_big = request(n_paths=10_000, horizon_days=1260, methods=["block_bootstrap", "gbm"])
    assert_error(
        c.post("/v1/monte-carlo/simulate", json=too_big, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.n_paths",
    )
    # too little history for the regimes: quant's message, 422
    short = request(start="2022-11-01", block_size=20)
    err = assert_error(
        c.post("/v1/monte-carlo/analyze", json=short, headers=api.alice), 422, "VALIDATION_ERROR"
    )
    assert "days" in err["message"]


def test_leverage_errors_name_the_weights(api: Api) -> None:
    """Weights beyond the gross leverage limit are refused on the field that holds them; within
    it, paths on which the portfolio loses more than everything in a day are blamed on the
    weights too (not on the data)."""
    c = api.client
    huge = request(weights={"AAPL": 6.0, "KO": -5.0})  # each within +-10, together 11
    for route in ("simulate", "analyze"):
        err = assert_error(
            c.post(f"/v1/monte-carlo/{route}", json=huge, headers=api.alice),
            422,
            "VALIDATION_ERROR",
            "body.weights",
        )
        assert "gross leverage" in err["message"], err
    short = {"name": "levered", "allow_short": True, "weights": [
        {"asset": "AAPL", "weight": 5.5}, {"asset": "KO", "weight": -4.5}
    ]}  # fmt: skip
    pid = c.post("/v1/portfolios", json=short, headers=api.alice).json()["id"]
    body = {"portfolio_id": pid, "start": "1995-01-01", "n_paths": 200, "horizon_days": 252}
    for route in ("simulate", "analyze"):
        response = c.post(f"/v1/monte-carlo/{route}", json=body, headers=api.alice)
        err = assert_error(response, 422, "VALIDATION_ERROR", "body.portfolio_id")
        assert "more than 100%" in err["message"], err
