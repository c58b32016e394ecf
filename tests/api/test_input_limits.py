"""Inputs that once slipped through: too many assets, oversized simulations, non-finite
weights, times of day and renamed columns in uploads, overflowing simulations. Each is a 422
naming the field, and nothing is stored."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from graphs.request import MAX_SCENARIO_CELLS
from services.market_data.sources import MAX_ASSETS
from tests.api.conftest import Api, assert_error


def inline_returns(n_assets: int, n_days: int, mean: float = 0.0, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    dates = [d.date().isoformat() for d in pd.bdate_range("2021-01-04", periods=n_days)]
    values = rng.normal(mean, 0.01, size=(n_days, n_assets))
    return {"dates": dates, "data": {f"A{i}": values[:, i].tolist() for i in range(n_assets)}}


def test_too_many_assets_are_refused_before_any_work(api: Api) -> None:
    body = {"returns": inline_returns(MAX_ASSETS + 1, 3)}
    response = api.client.post("/v1/optimization/efficient-frontier", json=body, headers=api.alice)
    error = assert_error(response, 422, "VALIDATION_ERROR", "body.assets")
    assert str(MAX_ASSETS) in error["message"]


def test_oversized_simulations_and_non_finite_weights_are_refused(api: Api) -> None:
    before = len(api.client.get("/v1/optimizations", headers=api.alice).json())
    huge = {"n_paths": 10_000, "horizon": 2520}
    error = assert_error(
        api.client.post("/v1/optimizations", json=huge, headers=api.alice),
        422,
        "VALIDATION_ERROR",
    )
    assert f"{MAX_SCENARIO_CELLS:,}" in error["message"]
    for body in ('{"objective": {"sharpe": -Infinity}}', '{"scenario_weights": {"bear": NaN}}'):
        response = api.client.post(
            "/v1/optimizations",
            content=body.encode(),
            headers={**api.alice, "content-type": "application/json"},
        )
        assert_error(response, 422, "VALIDATION_ERROR", "body")
    assert len(api.client.get("/v1/optimizations", headers=api.alice).json()) == before


def upload(api: Api, text: str) -> object:
    return api.client.post(
        "/v1/market-data/datasets",
        files={"file": ("prices.csv", text.encode(), "text/csv")},
        headers=api.alice,
    )


def test_uploads_need_calendar_dates_and_distinct_named_columns(api: Api) -> None:
    before = api.client.get("/v1/market-data/datasets", headers=api.alice).json()["items"]
    times = "date,A\n2020-01-01 09:00,1\n2020-01-01 10:00,2\n2020-01-01 11:00,3\n"
    assert (
        "time of day"
        in assert_error(upload(api, times), 422, "VALIDATION_ERROR", "file")["message"]
    )
    twice = "date,A,A\n2020-01-01,1,2\n2020-01-02,2,3\n2020-01-03,3,4\n"
    assert "['A']" in assert_error(upload(api, twice), 422, "VALIDATION_ERROR", "file")["message"]
    unnamed = "date,,B\n2020-01-01,1,2\n2020-01-02,2,3\n2020-01-03,3,4\n"
    assert_error(upload(api, unnamed), 422, "VALIDATION_ERROR", "file")
    after = api.client.get("/v1/market-data/datasets", headers=api.alice).json()["items"]
    assert after == before


def test_an_overflowing_simulation_is_422_not_nulls(api: Api) -> None:
    body = {
        "returns": inline_returns(1, 300, mean=0.5),
        "n_paths": 20,
        "horizon_days": 1260,
        "scenarios": ["base"],
        "initial_value": 1e15,
    }
    response = api.client.post("/v1/monte-carlo/simulate", json=body, headers=api.alice)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert "overflow" in error["message"]
    assert "null" not in json.dumps(response.json())
