"""The serverless plan's API as documented (001 §4.1-4.3, §5, §13.4): every example request
body of 001, as written, against the app on a real SQLite store, with the prices of its
tickers (GOOGL, AMZN, META are not in the embedded data) supplied as the user's price file
(`STRATIGOS_MARKET_DATA`: synthetic seeded random walks). Answers are checked against 001's
shapes, and their numbers against computations of our own here (numpy) and PyPortfolioOpt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.caching import IMMUTABLE_CACHE
from benchmarks.synthetic_market import synthetic_closes
from settings import get_settings
from store.common import encode_position_cursor
from tests.api.conftest import Api, assert_error, make_settings

TECH = {"AAPL": 0.25, "MSFT": 0.25, "GOOGL": 0.20, "AMZN": 0.20, "META": 0.10}
EXAMPLE_42 = {  # 001 §4.2, "Example Request"
    "portfolio": {
        "name": "Tech Concentrated",
        "description": "Technology-focused portfolio with high concentration",
        "assets": TECH,
    }
}
EXAMPLE_134 = {  # 001 §13.4, "Test optimization function"
    "portfolioId": "test",
    "returns": {"AAPL": [0.01, 0.02], "MSFT": [0.02, 0.01]},
}
PORTFOLIO_KEYS = {"id", "name", "description", "assets", "portfolio", "createdAt", "updatedAt"}
OPTIMIZATION_KEYS = {"id", "portfolioId", "type", "parameters", "result", "createdAt"}  # §5.2
SIMULATION_KEYS = {"id", "portfolioId", "parameters", "result", "createdAt"}  # §5.3


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    return synthetic_closes(list(TECH), date(2021, 1, 4), date(2022, 12, 30), seed=41)


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory, closes: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("prices") / "closes.csv"
    closes.to_csv(path)
    return path


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, price_file: Path) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("api001") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        mp.setenv("STRATIGOS_MARKET_DATA", str(price_file))
        get_settings.cache_clear()
        from api.app import create_app

        settings = make_settings(data_dir, market_data=str(price_file))
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            store = client.app.state.context.store  # type: ignore[attr-defined]
            alice = {"x-api-key": store.create_api_key("alice", "tests")[0]}
            bob = {"x-api-key": store.create_api_key("bob", "tests")[0]}
            yield Api(client, settings, alice, bob)
    get_settings.cache_clear()


def _returns(closes: pd.DataFrame, assets: list[str]) -> pd.DataFrame:
    return closes[assets].pct_change().iloc[1:]


def test_the_portfolio_example_is_created_read_replaced_and_deleted(api: Api) -> None:
    created = api.client.post("/portfolios", json=EXAMPLE_42, headers=api.alice)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert set(doc) == PORTFOLIO_KEYS  # §4.2's response and §5.1's fields
    assert doc["portfolio"] == EXAMPLE_42["portfolio"]
    assert list(doc["assets"]) == list(TECH) and doc["assets"] == TECH
    assert doc["createdAt"] == doc["updatedAt"] and doc["createdAt"].endswith("Z")
    assert created.headers["location"] == f"/portfolios/{doc['id']}"
    got = api.client.get(f"/portfolios/{doc['id']}", headers=api.alice)
    assert got.json() == doc
    assert doc["id"] in [
        p["id"] for p in api.client.get("/portfolios", headers=api.alice).json()["items"]
    ]
    v1 = api.client.get(f"/v1/portfolios/{doc['id']}", headers=api.alice).json()  # one portfolio
    assert {w["asset"]: w["weight"] for w in v1["weights"]} == TECH
    assert v1["notes"] == EXAMPLE_42["portfolio"]["description"]
    etag = got.headers["etag"]
    changed = {"portfolio": {**EXAMPLE_42["portfolio"], "assets": {"AAPL": 0.5, "META": 0.5}}}
    put = api.client.put(
        f"/portfolios/{doc['id']}", json=changed, headers={**api.alice, "If-Match": etag}
    )
    assert put.status_code == 200, put.text
    assert put.json()["assets"] == {"AAPL": 0.5, "META": 0.5}
    assert put.json()["updatedAt"] > put.json()["createdAt"] == doc["createdAt"]
    stale = api.client.put(
        f"/portfolios/{doc['id']}", json=EXAMPLE_42, headers={**api.alice, "If-Match": etag}
    )
    assert_error(stale, 409, "CONFLICT")
    assert_error(api.client.get(f"/portfolios/{doc['id']}", headers=api.bob), 404, "NOT_FOUND")
    assert_error(api.client.delete(f"/portfolios/{doc['id']}", headers=api.bob), 404, "NOT_FOUND")
    assert api.client.delete(f"/portfolios/{doc['id']}", headers=api.alice).status_code == 204
    assert_error(api.client.get(f"/portfolios/{doc['id']}", headers=api.alice), 404, "NOT_FOUND")


def test_a_repeated_asset_is_refused_naming_it_not_collapsed(api: Api) -> None:
    before = api.client.get("/portfolios", headers=api.alice).json()["items"]
    body = '{"portfolio": {"name": "twice", "assets": {"AAPL": 0.5, "MSFT": 0.25, "AAPL": 0.25}}}'
    json_headers = {**api.alice, "content-type": "application/json"}
    refused = api.client.post("/portfolios", content=body, headers=json_headers)
    error = assert_error(refused, 422, "VALIDATION_ERROR", "body.portfolio.assets.AAPL")
    assert [d["field"] for d in error["details"]] == ["body.portfolio.assets.AAPL"]
    assert api.client.get("/portfolios", headers=api.alice).json()["items"] == before
    # the same rule holds on /v1: a weights object repeating an asset
    v1 = '{"weights": {"AAPL": 0.5, "AAPL": 0.5}, "n_paths": 10, "horizon_days": 5}'
    refused = api.client.post("/v1/monte-carlo/simulate", content=v1, headers=json_headers)
    assert_error(refused, 422, "VALIDATION_ERROR", "body.weights.AAPL")


def test_errors_keep_the_format_and_name_the_documented_fields(api: Api) -> None:
    off = {"portfolio": {"name": "off", "assets": {"AAPL": 0.5, "MSFT": 0.6}}}
    error = assert_error(
        api.client.post("/portfolios", json=off, headers=api.alice), 422, "VALIDATION_ERROR"
    )
    assert error["details"][0]["field"] == "body.portfolio.assets" and "1.1" in error["message"]
    unknown = {"portfolio": {"name": "x", "assets": {"AAPL": 0.5, "XYZ": 0.5}}}
    refused = api.client.post("/portfolios", json=unknown, headers=api.alice)
    assert_error(refused, 422, "VALIDATION_ERROR", "body.portfolio.assets.XYZ")
    assert_error(
        api.client.post("/portfolios", json={"assets": TECH}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.portfolio",
    )
    assert_error(api.client.get("/portfolios"), 401, "UNAUTHENTICATED")
    assert_error(api.client.post("/optimization/hrp", json=EXAMPLE_134), 401, "UNAUTHENTICATED")
    bad = {**EXAMPLE_134, "parameters": {"level": 2}}
    refused = api.client.post("/optimization/risk-parity", json=bad, headers=api.alice)
    assert_error(refused, 422, "VALIDATION_ERROR", "body.parameters.level")
    short = {"returns": {"AAPL": [0.01, 0.02], "MSFT": [0.02]}}
    refused = api.client.post("/optimization/hrp", json=short, headers=api.alice)
    assert_error(refused, 422, "VALIDATION_ERROR", "body.returns.MSFT")


def test_the_deployment_check_body_is_answered_in_the_documented_error_format(api: Api) -> None:
    """001 §13.4's returns are perfectly anti-correlated over two days: the sample covariance
    is singular and the only equal-risk long-only portfolio (50/50) has zero variance, so no
    risk contributions exist; the answer says so on `body.returns`, in §4.3's format."""
    frame = pd.DataFrame(EXAMPLE_134["returns"])
    cov = frame.cov().to_numpy()
    assert (
        abs(np.linalg.det(cov)) < 1e-18
        and np.array([0.5, 0.5]) @ cov @ np.array([0.5, 0.5]) < 1e-18
    )
    answer = api.client.post("/optimization/risk-parity", json=EXAMPLE_134, headers=api.alice)
    error = assert_error(answer, 422, "VALIDATION_ERROR", "body.returns")
    assert "singular" in error["message"]
    # the same body with a third day has an answer: a stored Optimization Result (§5.2)
    third = {**EXAMPLE_134, "returns": {"AAPL": [0.01, 0.02, -0.01], "MSFT": [0.02, 0.01, 0.03]}}
    answer = api.client.post("/optimization/risk-parity", json=third, headers=api.alice)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert set(doc) == OPTIMIZATION_KEYS and doc["portfolioId"] == "test"
    assert doc["type"] == "risk-parity" and doc["id"].startswith("opt_")
    assert set(doc["result"]) == {"weights", "metrics"}
    assert doc["parameters"]["data"]["start"] is None  # undated returns: numbered, no dates
    weights = np.array([doc["result"]["weights"][a] for a in ("AAPL", "MSFT")])
    sigma = pd.DataFrame(third["returns"]).cov().to_numpy() * 252
    contributions = weights * (sigma @ weights)
    assert weights.sum() == pytest.approx(1.0) and (weights > 0).all()
    assert contributions[0] == pytest.approx(contributions[1], rel=1e-6)
    vol = float(np.sqrt(weights @ sigma @ weights))
    assert doc["result"]["metrics"]["volatility"] == pytest.approx(vol, rel=1e-9)
    stored = api.client.get(f"/optimization/results/{doc['id']}", headers=api.alice).json()
    assert stored == doc
    assert doc["id"] in [
        r["id"] for r in api.client.get("/optimization/results", headers=api.alice).json()["items"]
    ]
    answer = api.client.get(f"/v1/optimization/results/{doc['id']}", headers=api.alice)
    v1 = answer.json()
    assert v1["weights"] == doc["result"]["weights"] and v1["method"] == "risk_parity"
    # a stored result never changes: cacheable for the caller only (`api.caching`)
    assert answer.headers["cache-control"] == IMMUTABLE_CACHE
    assert answer.headers["vary"] == "Authorization, X-Api-Key"
    listed = api.client.get("/v1/optimization/results", headers=api.alice)
    assert "cache-control" not in listed.headers
    assert_error(
        api.client.get(f"/optimization/results/{doc['id']}", headers=api.bob), 404, "NOT_FOUND"
    )


def _saved_tech(api: Api) -> str:
    created = api.client.post("/portfolios", json=EXAMPLE_42, headers=api.alice)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_hrp_and_the_frontier_of_the_saved_example_portfolio(
    api: Api, closes: pd.DataFrame
) -> None:
    from pypfopt import HRPOpt

    portfolio_id = _saved_tech(api)
    returns = _returns(closes, list(TECH))
    answer = api.client.post(
        "/optimization/hrp", json={"portfolioId": portfolio_id}, headers=api.alice
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert set(doc) == OPTIMIZATION_KEYS and (doc["type"], doc["portfolioId"]) == (
        "hrp",
        portfolio_id,
    )
    assert doc["parameters"]["data"]["source"] == "portfolio"
    reference = HRPOpt(returns).optimize("single")
    for asset, weight in doc["result"]["weights"].items():
        assert weight == pytest.approx(reference[asset], abs=1e-9)
    body = {"portfolioId": portfolio_id, "parameters": {"n_points": 5, "bounds": {"upper": 0.4}}}
    answer = api.client.post("/optimization/efficient-frontier", json=body, headers=api.alice)
    assert answer.status_code == 200, answer.text
    metrics = answer.json()["result"]["metrics"]
    sigma = returns.cov().to_numpy() * 252
    mu = returns.mean().to_numpy() * 252
    for point in metrics["frontier"]:
        w = np.array([point["weights"][a] for a in TECH])
        assert w.max() <= 0.4 + 1e-7 and w.sum() == pytest.approx(1.0, abs=1e-7)
        assert point["volatility"] == pytest.approx(float(np.sqrt(w @ sigma @ w)), rel=1e-6)
        assert point["expected_return"] == pytest.approx(float(mu @ w), rel=1e-6, abs=1e-9)


def _drawdowns(wealth: np.ndarray) -> np.ndarray:
    return (1.0 - wealth / np.maximum.accumulate(wealth, axis=1)).max(axis=1)


def test_a_stored_simulation_is_listed_fetched_and_analysed_by_id(api: Api) -> None:
    portfolio_id = _saved_tech(api)
    body = {
        "portfolioId": portfolio_id,
        "parameters": {
            "n_paths": 40,
            "horizon_days": 20,
            "max_points": 21,
            "scenarios": ["base"],
            "seed": 3,
        },
    }
    answer = api.client.post("/monte-carlo/simulate", json=body, headers=api.alice)
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert set(doc) == SIMULATION_KEYS and doc["portfolioId"] == portfolio_id
    assert doc["parameters"]["weights"] == TECH
    trajectories = np.array(doc["result"]["trajectories"])
    assert trajectories.shape == (40, 21) and (trajectories[:, 0] == 1.0).all()
    [stats] = doc["result"]["statistics"]["results"]
    assert stats["trajectory_rows"] == [0, 40]
    terminal = trajectories[:, -1]
    assert stats["terminal"]["mean"] == pytest.approx(terminal.mean(), rel=1e-12)
    assert stats["terminal"]["std"] == pytest.approx(terminal.std(ddof=1), rel=1e-9)
    assert stats["terminal"]["prob_loss"] == pytest.approx((terminal < 1.0).mean())
    assert stats["terminal"]["percentiles"]["p50"] == pytest.approx(np.median(terminal), rel=1e-12)
    assert api.client.get(f"/monte-carlo/simulations/{doc['id']}", headers=api.alice).json() == doc
    listed = api.client.get("/monte-carlo/simulations", headers=api.alice).json()["items"]
    assert doc["id"] in [s["id"] for s in listed]

    analysed = api.client.post(
        "/monte-carlo/analyze",
        json={"simulationId": doc["id"], "parameters": {"loss_threshold": 0.02}},
        headers=api.alice,
    )
    assert analysed.status_code == 200, analysed.text
    result = analysed.json()
    assert set(result) == {"simulationId", "portfolioId", "parameters", "result"}
    [risk] = result["result"]["statistics"]["results"]
    horizon = terminal - 1.0
    assert risk["prob_loss"] == pytest.approx((horizon < 0).mean())
    assert risk["median_horizon_return"] == pytest.approx(np.median(horizon), rel=1e-9)
    assert risk["prob_loss_beyond_threshold"] == pytest.approx((horizon < -0.02).mean())
    assert risk["max_drawdown"]["worst"] == pytest.approx(_drawdowns(trajectories).max(), rel=1e-9)
    # the same analysis on /v1, and the rules of analysing by id
    v1 = api.client.post(
        "/v1/monte-carlo/analyze",
        json={"simulation_id": doc["id"], "loss_threshold": 0.02},
        headers=api.alice,
    )
    assert v1.json()["results"] == result["result"]["statistics"]["results"]
    assert v1.json()["simulation_id"] == doc["id"]
    mixed = {"simulation_id": doc["id"], "n_paths": 100}
    assert_error(
        api.client.post("/v1/monte-carlo/analyze", json=mixed, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.n_paths",
    )
    assert_error(
        api.client.post("/monte-carlo/analyze", json={"simulationId": doc["id"]}, headers=api.bob),
        404,
        "NOT_FOUND",
    )
    refused = api.client.get(f"/v1/monte-carlo/simulations/{doc['id']}", headers=api.bob)
    assert refused.status_code == 404 and "cache-control" not in refused.headers
    stored = api.client.get(f"/v1/monte-carlo/simulations/{doc['id']}", headers=api.alice)
    assert stored.status_code == 200 and stored.headers["cache-control"] == IMMUTABLE_CACHE
    assert stored.headers["vary"] == "Authorization, X-Api-Key"


def test_market_data_paths_answer_as_v1(api: Api, closes: pd.DataFrame) -> None:
    query = "?assets=GOOGL,META&start=2022-12-01"
    for kind in ("prices", "returns"):
        ours = api.client.get(f"/market-data/{kind}{query}", headers=api.alice)
        assert ours.status_code == 200, ours.text
        assert (
            ours.json()
            == api.client.get(f"/v1/market-data/{kind}{query}", headers=api.alice).json()
        )
    table = api.client.get(f"/market-data/prices{query}", headers=api.alice).json()
    expected = closes.loc["2022-12-01":, ["GOOGL", "META"]]
    assert table["data"]["META"] == pytest.approx(expected["META"].tolist())


def test_a_simulation_whose_data_changed_is_not_analysed(
    api: Api, price_file: Path, closes: pd.DataFrame
) -> None:
    body = {"assets": {"AAPL": 0.5, "MSFT": 0.5}, "parameters": {"n_paths": 10, "horizon_days": 5}}
    doc = api.client.post("/monte-carlo/simulate", json=body, headers=api.alice).json()
    assert doc["portfolioId"] is None
    changed = closes.copy()
    changed.iloc[-1] *= 1.01
    changed.to_csv(price_file)  # the user's file changes: the provider reads it again
    refused = api.client.post(
        "/monte-carlo/analyze", json={"simulationId": doc["id"]}, headers=api.alice
    )
    assert_error(refused, 409, "CONFLICT", "body.simulationId")
    assert json.loads(refused.text)["error"]["message"].startswith(f"simulation {doc['id']}")


LISTS = (
    ("/optimization/results", "nextCursor"),
    ("/v1/optimization/results", "next_cursor"),
    ("/monte-carlo/simulations", "nextCursor"),
    ("/v1/monte-carlo/simulations", "next_cursor"),
)
"""The stored lists and the name of their next page's cursor (001's shape is camelCase)."""


def _walk(api: Api, path: str, cursor_name: str, headers: dict[str, str], limit: int) -> list[Any]:
    """Every page of a stored list, `limit` at a time, from the first."""
    pages = [api.client.get(path, params={"limit": limit}, headers=headers)]
    while pages[-1].json()[cursor_name] is not None:
        assert pages[-1].status_code == 200, pages[-1].text
        assert len(pages[-1].json()["items"]) == limit
        after = {"limit": limit, "cursor": pages[-1].json()[cursor_name]}
        pages.append(api.client.get(path, params=after, headers=headers))
    assert pages[-1].status_code == 200, pages[-1].text
    return [page.json()["items"] for page in pages]


def test_the_stored_lists_are_pages_walked_by_their_cursors(api: Api) -> None:
    """Each list gives `limit` records a page, oldest first, and the next page's cursor (null
    on the last): walked, every record of the caller once; another owner's cursor is a
    position only; a cursor no page gave is 400 and a limit out of 1..200 (001's simulations:
    1..50) is 422."""
    store = api.client.app.state.context.store  # type: ignore[attr-defined]
    carol = {"x-api-key": store.create_api_key("carol-pages", "tests")[0]}
    dave = {"x-api-key": store.create_api_key("dave-pages", "tests")[0]}
    body = {**EXAMPLE_134, "returns": {"AAPL": [0.01, 0.02, -0.01], "MSFT": [0.02, 0.01, 0.03]}}
    saved = api.client.post("/portfolios", json=EXAMPLE_42, headers=carol).json()["id"]
    parameters = {"n_paths": 10, "horizon_days": 5, "scenarios": ["base"], "seed": 1}
    simulate = {"portfolioId": saved, "parameters": parameters}
    posts = {
        "optimization": ("/optimization/risk-parity", body),
        "simulations": ("/monte-carlo/simulate", simulate),
    }
    made: dict[str, list[str]] = {kind: [] for kind in posts}
    for _ in range(5):  # interleaved: each list holds its own kind only
        for kind, (path, request) in posts.items():
            answer = api.client.post(path, json=request, headers=carol)
            assert answer.status_code == 200, answer.text
            made[kind].append(answer.json()["id"])
    theirs = api.client.post("/optimization/risk-parity", json=body, headers=dave).json()["id"]
    for path, cursor_name in LISTS:
        kind = "simulations" if "simulations" in path else "optimization"
        for limit in (1, 2, 5, 50):
            pages = _walk(api, path, cursor_name, carol, limit)
            assert [r["id"] for page in pages for r in page] == made[kind], (path, limit)
            assert len(pages) == max(1, -(-len(made[kind]) // limit))
        if path == "/monte-carlo/simulations":  # 001's simulations carry their trajectories
            assert all(len(r["result"]["trajectories"]) == 10 for r in pages[0])
        first = api.client.get(path, params={"limit": 1}, headers=carol).json()
        # carol's cursor given by dave: dave's records after that position, never carol's
        shown = api.client.get(path, params={"cursor": first[cursor_name]}, headers=dave).json()
        assert [r["id"] for r in shown["items"]] == ([theirs] if kind == "optimization" else [])
        for bad in ("nonsense", encode_position_cursor(f"{0:020d}#idea_1", "before")):
            refused = api.client.get(path, params={"cursor": bad}, headers=carol)
            assert_error(refused, 400, "BAD_REQUEST", "query.cursor")
        most = 50 if path == "/monte-carlo/simulations" else 200  # 001's: with trajectories
        for limit in (0, most + 1):
            refused = api.client.get(path, params={"limit": limit}, headers=carol)
            assert_error(refused, 422, "VALIDATION_ERROR", "query.limit")
