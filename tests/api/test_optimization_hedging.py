"""Hedged optimizations over HTTP: overlay problems refused at submission naming the field, and
the hedged-vs-unhedged part of the results and the report, for its owner only."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, assert_error
from tests.api.test_optimizations import wait_done

LIMIT = 0.15
HEDGED: dict[str, Any] = {
    "universe": ["AAPL", "JNJ", "KO", "XOM", "JPM"],
    "start": "2008-01-01",
    "end": "2022-12-28",
    "n_paths": 30,
    "horizon": 189,
    "scenarios": ["bear", "high_vol"],
    "search_space": {
        "target_vol": {"low": 0.18, "high": 0.30},
        "weight_function": "inverse_vol",
        "lookback": 63,
        "rebalance_every": 21,
        "overlay": {"choices": ["none", "put"]},
        "overlay_strike": {"low": 0.85, "high": 1.0},
    },
    "objective": {"hedge_premium": -1.0},
    # on the mean of the paths (a bare number is the 95th percentile, issue 62): the path means
    # of the results below are what the limit is checked on
    "risk_limits": {"max_drawdown": {"limit": LIMIT, "statistic": "mean"}, "scenarios": ["bear"]},
    "vol_model": {"variance_risk_premium": 0.02},
    "budget": {"max_trials": 20, "batch_size": 10},
    "method": "random",
}


def test_overlay_problems_are_refused_at_submission_naming_the_field(api: Api) -> None:
    space = {**HEDGED["search_space"], "overlay": "none"}
    assert_error(
        api.client.post(
            "/v1/optimizations", json={**HEDGED, "search_space": space}, headers=api.alice
        ),
        422,
        "VALIDATION_ERROR",
        "body.search_space.overlay_strike",
    )
    bad_model = {**HEDGED, "vol_model": {"skew": -1}}
    assert_error(
        api.client.post("/v1/optimizations", json=bad_model, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.vol_model.skew",
    )


def test_a_bad_delta_band_is_refused_at_submission_naming_the_field(api: Api) -> None:
    for space, needle in (
        ({"overlay_roll": "delta", "overlay_roll_delta_band": 0.7}, "must be at most 0.5"),
        (
            {"overlay_roll": "band", "overlay_roll_delta_band": {"low": 0.05, "high": 0.2}},
            "overlay_roll is never 'delta'",
        ),
    ):
        body = {**HEDGED, "search_space": {**HEDGED["search_space"], **space}}
        error = assert_error(
            api.client.post("/v1/optimizations", json=body, headers=api.alice),
            422,
            "VALIDATION_ERROR",
            "body.search_space.overlay_roll_delta_band",
        )
        assert needle in error["message"]


def test_results_and_report_show_hedged_vs_unhedged(api: Api) -> None:
    response = api.client.post("/v1/optimizations", json=HEDGED, headers=api.alice)
    assert response.status_code == 202, response.text
    job = wait_done(api, response.json()["id"], api.alice)
    assert job["status"] == "succeeded", job
    url = f"/v1/optimizations/{job['id']}"
    results = api.client.get(f"{url}/results", headers=api.alice).json()
    hedging = results["hedging"]
    assert hedging is not None and hedging["scenario"] == "bear"
    limit = hedging["limits"]["max_drawdown"]
    assert (limit["limit"], limit["statistic"]) == (LIMIT, "mean")
    assert limit["checked"] == "on the mean of the paths"
    best = results["best"]
    assert best["config"]["overlay"] == "put" and best["approved_by_risk_manager"]
    bear = hedging["comparison"]["bear"]
    assert bear["hedged"]["max_drawdown"] == best["scenarios"]["bear"]["max_drawdown"] <= LIMIT
    assert bear["unhedged"]["max_drawdown"] > LIMIT
    assert bear["hedged"]["hedge_premium"] > 0
    rows = hedging["tradeoff"]
    assert not rows[0]["hedged"] and not rows[0]["feasible"]
    assert best["trial"] in [r["trial"] for r in rows if r["hedged"] and r["feasible"]]
    page = api.client.get(f"{url}/report", headers=api.alice).text
    assert 'id="hedging"' in page and 'id="hedge-tradeoff"' in page
    assert_error(api.client.get(f"{url}/results", headers=api.bob), 404, "NOT_FOUND")


def test_a_search_no_trial_of_which_meets_the_limits_is_stored_and_served(api: Api) -> None:
    """No trial feasible in any batch: the convergence has no best objective (null, not NaN,
    which strict JSON refuses) and the partial result is served with its hedge requirement."""
    space = {
        **HEDGED["search_space"],
        "overlay_strike": {"low": 0.6, "high": 0.7},  # far out of the money: no help
        "max_leverage": 1.5,
    }
    request = {**HEDGED, "search_space": space}
    response = api.client.post("/v1/optimizations", json=request, headers=api.alice)
    assert response.status_code == 202, response.text
    job = wait_done(api, response.json()["id"], api.alice)
    assert job["status"] == "succeeded", job
    results = api.client.get(f"/v1/optimizations/{job['id']}/results", headers=api.alice).json()
    assert results["status"] == "partial"
    assert results["hedging"]["required"] is not None
    assert results["hedging"]["n_hedged_feasible"] == 0
    points = results["charts"]["convergence"]
    assert points and all(p["best_objective"] is None for p in points)
