"""`/v1/ideas`: numbers from the numeric core, checked evidence, status transitions, filters
and pages, optimistic versions, tenancy, and an accepted idea becoming an optimization job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from quant.data import sp500_prices
from tests.api.conftest import Api, assert_error, make_settings


@pytest.fixture(scope="module")
def api(api_env: Path) -> Iterator[Api]:
    """The app without in-process job workers: a submitted job stays pending."""
    from api.app import create_app

    settings = make_settings(api_env, api={"job_workers": 0})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        alice_key, _ = store.create_api_key("alice", "tests")
        bob_key, _ = store.create_api_key("bob", "tests")
        yield Api(client, settings, {"x-api-key": alice_key}, {"x-api-key": bob_key})


def create(api: Api, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"title": "Staples", "thesis": "Defensive staples", "tickers": ["JNJ", "KO", "PG"]}
    response = api.client.post("/v1/ideas", json={**body, **fields}, headers=headers or api.alice)
    assert response.status_code == 201, response.text
    return dict(response.json())


def expected(tickers: list[str], weights: list[float], days: int) -> dict[str, float]:
    """The basket's numbers computed here from the embedded prices, independently of quant."""
    closes = sp500_prices()[tickers].to_numpy()
    daily = (closes[1:] / closes[:-1] - 1.0)[-days:] @ np.array(weights)
    wealth = np.cumprod(1 + daily)
    peak = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    worst = np.sort(daily)[: int(np.ceil(0.05 * days))]
    return {
        "expected_return": daily.mean() * 252,
        "volatility": daily.std(ddof=1) * np.sqrt(252),
        "max_drawdown": float((1 - wealth / peak).max()),
        "cvar_95": -worst.mean(),
    }


def test_metrics_come_from_the_numeric_core_with_their_definition(api: Api) -> None:
    idea = create(api, lookback_days=126)
    metrics = idea["metrics"]
    want = expected(["JNJ", "KO", "PG"], [1 / 3] * 3, 126)
    for name in ("expected_return", "volatility", "max_drawdown"):
        assert metrics[name] == pytest.approx(want[name], rel=1e-9), name
    assert metrics["cvar_95"] == pytest.approx(want["cvar_95"], rel=0.05)
    definition = metrics["definition"]
    assert definition["lookback_days"] == 126
    assert definition["data_end"] == sp500_prices().index[-1].date().isoformat()
    assert "mean daily return x 252" in definition["method"]
    assert (idea["status"], idea["version"], idea["weights"]) == ("proposed", 1, None)

    short = create(api, direction="short", weights={"JNJ": 2, "KO": 1, "PG": 1})
    want = expected(["JNJ", "KO", "PG"], [-0.5, -0.25, -0.25], 252)
    assert short["metrics"]["expected_return"] == pytest.approx(want["expected_return"])
    assert short["weights"] == {"JNJ": 0.5, "KO": 0.25, "PG": 0.25}
    assert short["metrics"]["definition"]["weights"] == {"JNJ": -0.5, "KO": -0.25, "PG": -0.25}


def test_bad_input_names_the_field_and_numbers_cannot_be_given(api: Api) -> None:
    body = {"title": "x", "thesis": "y", "tickers": ["JNJ"]}
    client = api.client
    bad = client.post("/v1/ideas", json={**body, "tickers": ["JNJ", "NOPE"]}, headers=api.alice)
    assert "NOPE" in assert_error(bad, 422, "VALIDATION_ERROR", "body.tickers")["message"]
    given = client.post("/v1/ideas", json={**body, "expected_return": 0.5}, headers=api.alice)
    assert_error(given, 422, "VALIDATION_ERROR")
    weights = client.post("/v1/ideas", json={**body, "weights": {"KO": 1}}, headers=api.alice)
    assert_error(weights, 422, "VALIDATION_ERROR", "body.weights")
    both = {**body, "horizon_days": 5, "horizon_until": "2030-01-01"}
    assert_error(client.post("/v1/ideas", json=both, headers=api.alice), 422, "VALIDATION_ERROR")
    far = {**body, "horizon_until": "2262-02-01"}  # past pandas' timestamps: found by schemathesis
    too_far = client.post("/v1/ideas", json=far, headers=api.alice)
    assert (
        "2520 trading days"
        in assert_error(too_far, 422, "VALIDATION_ERROR", "horizon_until")["message"]
    )


def test_evidence_is_checked_against_the_owners_records(api: Api) -> None:
    text = b"Energy outlook\n\nRefining margins rose 12% in the third quarter.\n"
    uploaded = api.client.post(
        "/v1/documents", files={"file": ("note.md", text, "text/markdown")}, headers=api.alice
    )
    assert uploaded.status_code == 201, uploaded.text
    doc = uploaded.json()["id"]
    passage = {"kind": "document_passage", "document_id": doc, "chunk": 0}
    idea = create(api, evidence=[{**passage, "quote": "margins  rose 12%"}])
    (stored,) = idea["evidence"]
    assert stored["quote"] == "margins rose 12%" and stored["document_name"] == "note.md"
    assert stored["reference"] and stored["chunk"] == 0

    client = api.client
    url = f"/v1/ideas/{idea['id']}/evidence"
    wrong = client.post(
        url, json={"evidence": [{**passage, "quote": "fell 12%"}]}, headers=api.alice
    )
    assert_error(wrong, 422, "VALIDATION_ERROR", "body.evidence.quote")
    beyond = client.post(
        url, json={"evidence": [{**passage, "chunk": 9, "quote": "x"}]}, headers=api.alice
    )
    assert_error(beyond, 422, "VALIDATION_ERROR", "body.evidence.chunk")
    run = client.post(
        url, json={"evidence": [{"kind": "optimization_run", "run_id": "job_x"}]}, headers=api.alice
    )
    assert_error(run, 422, "VALIDATION_ERROR", "body.evidence.run_id")
    bobs = client.post(
        "/v1/ideas",
        json={
            "title": "b",
            "thesis": "b",
            "tickers": ["KO"],
            "evidence": [{**passage, "quote": "margins"}],
        },
        headers=api.bob,
    )
    assert_error(bobs, 422, "VALIDATION_ERROR", "body.evidence.document_id")
    assert client.get(f"/v1/ideas/{idea['id']}", headers=api.alice).json()["evidence"] == [stored]


def test_status_transitions_and_optimization(api: Api) -> None:
    client = api.client
    idea = create(api, tickers=["AAPL", "MSFT", "JNJ"], horizon_days=40)
    base = f"/v1/ideas/{idea['id']}"
    optimize = client.post(f"{base}/optimization", headers=api.alice)
    assert_error(optimize, 409, "CONFLICT", "status")
    skip = client.post(f"{base}/status", json={"status": "accepted"}, headers=api.alice)
    assert (
        "under_review, retired"
        in assert_error(skip, 409, "CONFLICT", "body.status")["details"][0]["problem"]
    )
    for to in ("under_review", "accepted"):
        moved = client.post(
            f"{base}/status", json={"status": to, "reason": f"to {to}"}, headers=api.alice
        )
        assert moved.status_code == 200, moved.text
    accepted = moved.json()
    assert [(h["to"], h["by"], h["reason"]) for h in accepted["history"]] == [
        ("proposed", "api", "created"), ("under_review", "api", "to under_review"), ("accepted", "api", "to accepted"),
    ]  # fmt: skip
    assert accepted["allowed_transitions"] == ["deployed", "retired"]

    submitted = client.post(f"{base}/optimization", headers=api.alice)
    assert submitted.status_code == 202, submitted.text
    job, after = submitted.json()["job"], submitted.json()["idea"]
    assert (
        job["status"] == "pending"
        and submitted.headers["location"] == f"/v1/optimizations/{job['id']}"
    )
    assert job["request"]["universe"] == ["AAPL", "MSFT", "JNJ"] and job["request"]["horizon"] == 63
    assert job["request"]["search_space"]["lookback"] == {"low": 21, "high": 42, "step": 21}
    assert after["evidence"][-1] == {
        "kind": "optimization_run",
        "run_id": job["id"],
        "status_when_attached": "pending",
    }
    assert client.get(f"/v1/optimizations/{job['id']}", headers=api.alice).status_code == 200
    assert client.get(f"/v1/optimizations/{job['id']}", headers=api.bob).status_code == 404

    retired = client.post(
        f"{base}/status", json={"status": "retired", "reason": "done"}, headers=api.alice
    )
    assert retired.json()["status"] == "retired" and retired.json()["allowed_transitions"] == []


def test_list_filters_pages_patch_and_tenancy(api: Api) -> None:
    client = api.client
    a = create(api, tickers=["XOM", "CVX"], title="energy")
    b = create(api, tickers=["XOM"], title="oil")
    bobs = create(api, headers=api.bob, tickers=["XOM"], title="bob's")
    client.post(f"/v1/ideas/{b['id']}/status", json={"status": "under_review"}, headers=api.alice)

    xom = client.get("/v1/ideas", params={"ticker": "xom"}, headers=api.alice).json()
    assert [i["id"] for i in xom["items"]] == [b["id"], a["id"]]
    review = client.get(
        "/v1/ideas", params={"status": "under_review", "ticker": "XOM"}, headers=api.alice
    ).json()
    assert [i["id"] for i in review["items"]] == [b["id"]]
    today = a["created_at"][:10]
    assert (
        client.get(
            "/v1/ideas", params={"from": "2001-01-01", "to": "2001-12-31"}, headers=api.alice
        ).json()["items"]
        == []
    )
    dated = client.get(
        "/v1/ideas", params={"from": today, "to": today, "ticker": "CVX"}, headers=api.alice
    ).json()
    assert [i["id"] for i in dated["items"]] == [a["id"]]

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = client.get("/v1/ideas", params=params, headers=api.alice).json()
        seen += [i["id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen[:2] == [b["id"], a["id"]] and bobs["id"] not in seen and len(seen) == len(set(seen))
    assert_error(
        client.get("/v1/ideas", params={"cursor": "junk"}, headers=api.alice),
        400,
        "BAD_REQUEST",
        "query.cursor",
    )

    url = f"/v1/ideas/{a['id']}"
    changed = client.patch(
        url, json={"tickers": ["CVX"], "title": "cvx"}, headers={**api.alice, "if-match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    want = expected(["CVX"], [1.0], 252)
    assert changed.json()["metrics"]["expected_return"] == pytest.approx(want["expected_return"])
    assert changed.json()["version"] == 2 and changed.headers["etag"] == '"2"'
    stale = client.patch(url, json={"title": "stale", "version": 1}, headers=api.alice)
    assert_error(stale, 409, "CONFLICT")
    assert client.get(url, headers=api.alice).json()["title"] == "cvx"

    assert_error(client.get(url, headers=api.bob), 404, "NOT_FOUND")
    assert_error(client.patch(url, json={"title": "x"}, headers=api.bob), 404, "NOT_FOUND")
    assert_error(client.delete(url, headers=api.bob), 404, "NOT_FOUND")
    assert client.delete(url, headers=api.alice).status_code == 204
    assert_error(client.get(url, headers=api.alice), 404, "NOT_FOUND")
