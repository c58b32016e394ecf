"""`/v1/optimization/*`: weights checked against PyPortfolioOpt (HRP), the budget equation (risk
parity) and cvxpy (frontier); caching, saving, input resolution and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from quant.data import load_sp500_prices, to_returns
from tests.api.conftest import Api, assert_error

ASSETS = ["AAPL", "JNJ", "KO", "XOM", "JPM", "MSFT"]
START, END = "2015-01-01", "2022-12-28"


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    """The same returns the API uses, computed here from the embedded prices."""
    prices = load_sp500_prices()
    frame = to_returns(prices)[ASSETS]
    return frame.loc[(frame.index >= START) & (frame.index <= END)]


def post(api: Api, path: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    payload = {"assets": ASSETS, "start": START, "end": END, **body}
    return api.client.post(f"/v1/optimization/{path}", json=payload, headers=headers or api.alice)


def test_hrp_equals_pypfopt(api: Api, returns: pd.DataFrame) -> None:
    from pypfopt import HRPOpt

    response = post(api, "hrp")
    assert response.status_code == 200, response.text
    out = response.json()
    reference = pd.Series(dict(HRPOpt(returns).optimize("single")))
    got = pd.Series(out["weights"])
    assert list(got.index) == ASSETS
    np.testing.assert_allclose(got[ASSETS], reference[ASSETS], rtol=1e-9, atol=1e-12)
    # analytics: annual arithmetic return, sample volatility and the report, from numpy
    w = got[ASSETS].to_numpy()
    daily = returns.to_numpy() @ w
    assert out["expected_return"] == pytest.approx(daily.mean() * 252, rel=1e-9)
    assert out["volatility"] == pytest.approx(daily.std(ddof=1) * np.sqrt(252), rel=1e-9)
    assert out["sharpe_ratio"] == pytest.approx(out["expected_return"] / out["volatility"])
    report = out["risk_report"]
    assert report["n_periods"] == len(returns)
    assert report["var_historical"] == pytest.approx(-np.quantile(daily, 0.05), rel=1e-9)
    wealth = np.cumprod(1 + daily)
    drawdown = 1 - wealth / np.maximum(np.maximum.accumulate(wealth), 1.0)
    assert report["max_drawdown"] == pytest.approx(drawdown.max(), rel=1e-9)
    assert sum(out["risk_contributions"].values()) == pytest.approx(1.0)
    assert out["data"]["n_observations"] == len(returns)
    assert out["data"]["source"] == "sp500" and out["data"]["data_end"] == "2022-12-28"
    assert out["method"] == "hrp" and out["portfolio_id"] is None


def test_risk_parity_contributions_equal_budgets(api: Api, returns: pd.DataFrame) -> None:
    budgets = {"AAPL": 0.3, "JNJ": 0.1, "KO": 0.1, "XOM": 0.2, "JPM": 0.2, "MSFT": 0.1}
    response = post(api, "risk-parity", budgets=budgets)
    assert response.status_code == 200, response.text
    out = response.json()
    w = pd.Series(out["weights"])[ASSETS].to_numpy()
    assert (w > 0).all() and w.sum() == pytest.approx(1.0)
    sigma = np.cov(returns.to_numpy(), rowvar=False, ddof=1)  # scale does not matter
    rc = w * (sigma @ w) / (w @ sigma @ w)
    np.testing.assert_allclose(rc, [budgets[a] for a in ASSETS], rtol=1e-7)
    np.testing.assert_allclose(
        [out["risk_contributions"][a] for a in ASSETS], [budgets[a] for a in ASSETS], rtol=1e-7
    )
    equal = post(api, "risk-parity").json()
    np.testing.assert_allclose(list(equal["risk_contributions"].values()), 1 / 6, rtol=1e-7)


def test_frontier_points_match_cvxpy(api: Api, returns: pd.DataFrame) -> None:
    import cvxpy as cp  # imported here: ~1.3 s, not when the module is collected

    response = post(api, "efficient-frontier", n_points=6, bounds={"lower": 0.0, "upper": 0.4})
    assert response.status_code == 200, response.text
    out = response.json()
    points = out["frontier"]
    assert len(points) == 6
    values = returns.to_numpy()
    mu = values.mean(axis=0) * 252
    sigma = np.cov(values, rowvar=False, ddof=1) * 252
    vols = [p["volatility"] for p in points]
    rets = [p["expected_return"] for p in points]
    assert rets == sorted(rets) and vols == sorted(vols)
    for point in points:
        w = cp.Variable(len(ASSETS))
        constraints = [cp.sum(w) == 1, w >= 0, w <= 0.4, mu @ w >= point["expected_return"] - 1e-10]
        problem = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(sigma))), constraints)
        problem.solve(solver=cp.CLARABEL)
        assert problem.status == cp.OPTIMAL
        assert point["volatility"] == pytest.approx(np.sqrt(problem.value), rel=1e-5)
        weights = np.array([point["weights"][a] for a in ASSETS])
        assert weights.min() >= -1e-9 and weights.max() <= 0.4 + 1e-9
    # the selected (max-Sharpe) portfolio is at least as good as every frontier point
    assert out["selected"] == "max_sharpe"
    assert out["sharpe_ratio"] >= max(p["sharpe_ratio"] for p in points) - 1e-9


def test_cache_and_save_as(api: Api) -> None:
    first = post(api, "hrp", linkage="average")
    second = post(api, "hrp", linkage="average")
    assert first.json()["cached"] is False and second.json()["cached"] is True
    assert second.json()["weights"] == first.json()["weights"]
    assert second.json()["cache_key"] == first.json()["cache_key"]
    assert api.store.cache_get("alice", first.json()["cache_key"]) is not None
    # another owner does not share alice's cache; other options are another key
    assert post(api, "hrp", headers=api.bob, linkage="average").json()["cached"] is False
    other = post(api, "hrp", linkage="complete").json()
    assert other["cached"] is False and other["cache_key"] != first.json()["cache_key"]

    saved = post(api, "hrp", linkage="average", save_as="HRP average")
    assert saved.status_code == 200 and saved.json()["cached"] is True
    pid = saved.json()["portfolio_id"]
    portfolio = api.client.get(f"/v1/portfolios/{pid}", headers=api.alice).json()
    assert portfolio["name"] == "HRP average"
    assert {w["asset"]: w["weight"] for w in portfolio["weights"]} == saved.json()["weights"]

    # the saved portfolio is an input: its assets and dataset
    again = api.client.post(
        "/v1/optimization/risk-parity",
        json={"portfolio_id": pid, "start": START, "end": END},
        headers=api.alice,
    )
    assert again.status_code == 200, again.text
    assert list(again.json()["weights"]) == ASSETS
    assert again.json()["data"]["portfolio_id"] == pid
    theirs = api.client.post(
        "/v1/optimization/risk-parity", json={"portfolio_id": pid}, headers=api.bob
    )
    assert_error(theirs, 404, "NOT_FOUND", "body.portfolio_id")


def test_inline_returns(api: Api) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(0.0004, 0.01, size=(120, 3)) @ np.array(
        [[1.0, 0.3, 0.1], [0.0, 1.0, 0.2], [0.0, 0.0, 1.0]]
    )
    dates = pd.bdate_range("2023-01-02", periods=120).strftime("%Y-%m-%d").tolist()
    table = {"dates": dates, "data": {n: values[:, i].tolist() for i, n in enumerate("XYZ")}}
    response = api.client.post("/v1/optimization/hrp", json={"returns": table}, headers=api.alice)
    assert response.status_code == 200, response.text
    from pypfopt import HRPOpt

    frame = pd.DataFrame(values, columns=list("XYZ"))
    reference = pd.Series(dict(HRPOpt(frame).optimize("single")))
    np.testing.assert_allclose(
        pd.Series(response.json()["weights"])[list("XYZ")], reference[list("XYZ")]
    )
    assert response.json()["data"]["source"] == "inline"
    # inline assets are not in the embedded data: cannot be saved as a portfolio
    unsaved = api.client.post(
        "/v1/optimization/hrp", json={"returns": table, "save_as": "x"}, headers=api.alice
    )
    assert_error(unsaved, 422, "VALIDATION_ERROR", "body.save_as")
    short = {"dates": dates, "data": {"X": values[:, 0].tolist(), "Y": values[:5, 1].tolist()}}
    assert_error(
        api.client.post("/v1/optimization/hrp", json={"returns": short}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.returns.data.Y",
    )


def test_errors(api: Api) -> None:
    client = api.client
    assert_error(client.post("/v1/optimization/hrp", json={}), 401, "UNAUTHENTICATED")
    err = assert_error(
        post(api, "hrp", assets=["AAPL", "NOPE"]), 422, "VALIDATION_ERROR", "body.assets"
    )
    assert "NOPE" in err["message"]
    assert_error(
        post(api, "hrp", start="2030-01-01", end=None), 422, "VALIDATION_ERROR", "body.start"
    )
    assert_error(post(api, "hrp", linkage="median"), 422, "VALIDATION_ERROR", "body.linkage")
    assert_error(
        post(api, "risk-parity", budgets={"AAPL": 1.0}), 422, "VALIDATION_ERROR", "body.budgets"
    )
    budgets = dict.fromkeys(ASSETS, 1.0) | {"KO": -1.0}
    assert_error(
        post(api, "risk-parity", budgets=budgets), 422, "VALIDATION_ERROR", "body.budgets.KO"
    )
    assert_error(
        post(api, "efficient-frontier", bounds={"lower": 0.0, "upper": 0.1}),
        422,
        "VALIDATION_ERROR",
        "body.bounds",
    )
    assert_error(post(api, "hrp", assets=["AAPL"]), 422, "VALIDATION_ERROR", "body.assets")
    both = post(api, "hrp", dataset_id="ds_x", portfolio_id="pf_x")
    assert_error(both, 422, "VALIDATION_ERROR", "body.portfolio_id")
    assert_error(post(api, "hrp", dataset_id="ds_missing"), 404, "NOT_FOUND", "body.dataset_id")


def test_inverse_volatility_equals_skfolio(api: Api, returns: pd.DataFrame) -> None:
    from skfolio.optimization import InverseVolatility

    response = post(api, "inverse-volatility")
    assert response.status_code == 200, response.text
    out = response.json()
    reference = InverseVolatility().fit(returns.to_numpy()).weights_
    got = pd.Series(out["weights"])
    assert list(got.index) == ASSETS and out["method"] == "inverse_volatility"
    np.testing.assert_allclose(got[ASSETS].to_numpy(), reference, rtol=1e-9, atol=1e-12)
    daily = returns.to_numpy() @ got[ASSETS].to_numpy()
    assert out["volatility"] == pytest.approx(daily.std(ddof=1) * np.sqrt(252), rel=1e-9)
    assert sum(out["risk_contributions"].values()) == pytest.approx(1.0)


def test_inverse_volatility_names_an_unknown_asset(api: Api) -> None:
    response = post(api, "inverse-volatility", assets=["AAPL", "NOPE"])
    assert response.status_code == 422, response.text
    assert "NOPE" in response.text


def test_two_owners_saving_inverse_volatility_weights_under_one_name(api: Api) -> None:
    saved = {}
    for owner, headers in (("alice", api.alice), ("bob", api.bob)):
        response = post(api, "inverse-volatility", headers, save_as="Calm mix")
        assert response.status_code == 200, response.text
        saved[owner] = response.json()["portfolio_id"]
    assert saved["alice"] != saved["bob"]
    for owner, headers in (("alice", api.alice), ("bob", api.bob)):
        mine = [p for p in api.client.get("/v1/portfolios", headers=headers).json()["items"]
                if p["name"] == "Calm mix"]  # fmt: skip
        assert [p["id"] for p in mine] == [saved[owner]]
    theirs = api.client.post(
        "/v1/optimization/inverse-volatility",
        json={"portfolio_id": saved["alice"]},
        headers=api.bob,
    )
    assert_error(theirs, 404, "NOT_FOUND", "body.portfolio_id")
