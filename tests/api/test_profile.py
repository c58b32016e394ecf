"""`/v1/profile` over HTTP, and the profile at work on optimization submissions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error

SMALL = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 20, "seed": 3}


def _fresh(api: Api, headers: dict[str, str]) -> None:
    current = api.client.get("/v1/profile", headers=headers).json()
    if current["version"]:
        assert api.client.delete("/v1/profile", headers=headers).status_code == 204


@pytest.mark.usefixtures("module_classification_file")
def test_default_put_patch_conflict_and_delete(api: Api) -> None:
    _fresh(api, api.alice)
    default = api.client.get("/v1/profile", headers=api.alice)
    assert default.status_code == 200 and default.headers["etag"] == '"0"'
    body = default.json()
    assert (body["owner"], body["version"], body["exclusions"]) == ("alice", 0, [])
    put = api.client.put(
        "/v1/profile",
        json={"risk_tolerance": "conservative", "exclusions": ["amd"], "version": 0},
        headers=api.alice,
    )
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1 and put.json()["exclusions"] == ["AMD"]
    patched = api.client.patch(
        "/v1/profile",
        json={"risk_limits": {"cvar_95": 0.03}, "exclusions": ["AMD", "Tobacco"]},
        headers={**api.alice, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    out = patched.json()
    assert out["version"] == 2 and out["risk_tolerance"] == "conservative"
    assert out["risk_limits"]["cvar_95"] == 0.03 and out["exclusions"] == ["AMD", "tobacco"]
    assert patched.headers["etag"] == '"2"'
    stale = api.client.patch(
        "/v1/profile", json={"risk_tolerance": "aggressive", "version": 1}, headers=api.alice
    )
    assert_error(stale, 409, "CONFLICT")
    assert api.client.get("/v1/profile", headers=api.alice).json()["risk_tolerance"] == (
        "conservative"
    )
    assert api.client.get("/v1/profile", headers=api.bob).json()["version"] == 0
    assert api.client.delete("/v1/profile", headers=api.alice).status_code == 204
    assert_error(api.client.delete("/v1/profile", headers=api.alice), 404, "NOT_FOUND")
    assert api.client.get("/v1/profile", headers=api.alice).json()["exclusions"] == []


def test_bad_fields_are_422_naming_them(api: Api) -> None:
    _fresh(api, api.bob)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"exclusions": ["crypto"]}, "body.exclusions"),
        ({"risk_limits": {"cvar_95": 2}}, "body.risk_limits.cvar_95"),
        ({"benchmark": "NOPE"}, "body.benchmark"),
        ({"base_currency": "EUR"}, "body.base_currency"),
        ({"universe": ["AAPL", "ZZZZ"]}, "body.universe"),
    ]
    for body, field in cases:
        error = assert_error(
            api.client.patch("/v1/profile", json=body, headers=api.bob), 422, "VALIDATION_ERROR"
        )
        assert any(d["field"].startswith(field) for d in error["details"]), (body, error)
    crypto = api.client.put("/v1/profile", json={"exclusions": ["crypto"]}, headers=api.bob)
    assert (
        "'crypto' matches no known ticker"
        in assert_error(crypto, 422, "VALIDATION_ERROR")["message"]
    )
    mismatch = api.client.put(
        "/v1/profile", json={"version": 2}, headers={**api.bob, "If-Match": '"1"'}
    )
    assert_error(mismatch, 422, "VALIDATION_ERROR", "header.if-match")
    assert api.client.get("/v1/profile", headers=api.bob).json()["version"] == 0


def test_submission_takes_defaults_and_refuses_an_emptied_universe(api: Api) -> None:
    _fresh(api, api.bob)
    saved = api.client.put(
        "/v1/profile",
        json={
            "universe": ["AAPL", "AMD", "KO", "MSFT"],
            "risk_limits": {"max_drawdown": 0.4},
            "exclusions": ["AMD"],
        },
        headers=api.bob,
    )
    assert saved.status_code == 200, saved.text
    job = api.client.post("/v1/optimizations", json=SMALL, headers=api.bob)
    assert job.status_code == 202, job.text
    out = job.json()
    assert out["profile"] == {
        "from_profile": ["universe", "risk_limits.max_drawdown"],
        "left_out": ["AMD left out: your profile excludes AMD"],
    }
    assert out["request"]["universe"] == ["AAPL", "AMD", "KO", "MSFT"]
    assert out["request"]["risk_limits"]["max_drawdown"] == 0.4
    own = api.client.post(
        "/v1/optimizations",
        json={**SMALL, "universe": ["KO", "PG"], "risk_limits": {"max_drawdown": 0.3}},
        headers=api.bob,
    ).json()
    assert own["profile"] == {"from_profile": [], "left_out": []}
    assert own["request"]["universe"] == ["KO", "PG"]
    assert own["request"]["risk_limits"]["max_drawdown"] == 0.3
    refused = api.client.post(
        "/v1/optimizations", json={**SMALL, "universe": ["AMD"]}, headers=api.bob
    )
    error = assert_error(refused, 422, "VALIDATION_ERROR", "body.universe")
    assert "AMD left out: your profile excludes AMD" in error["message"]


@pytest.mark.usefixtures("module_classification_file")
def test_the_worker_leaves_excluded_tickers_out_and_says_so(api: Api) -> None:
    import json
    import time

    _fresh(api, api.alice)
    api.client.put("/v1/profile", json={"exclusions": ["AMD", "energy"]}, headers=api.alice)
    job = api.client.post(
        "/v1/optimizations",
        json={**SMALL, "universe": ["AAPL", "AMD", "KO", "XOM"]},
        headers=api.alice,
    ).json()
    expected = [
        "AMD left out: your profile excludes AMD",
        "XOM left out: your profile excludes energy (Exxon Mobil, Energy)",
    ]
    assert job["profile"]["left_out"] == expected
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = api.client.get(f"/v1/optimizations/{job['id']}", headers=api.alice).json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.2)
    assert status["status"] == "succeeded", status
    events = [json.loads(e.payload) for e in api.store.events("alice", job["id"], limit=1000)]
    warnings = [e["data"]["message"] for e in events if e["type"] == "warning"]
    assert warnings[:2] == expected
    assert events[0]["type"] == "run_started" and events[1]["data"]["code"] == "profile_exclusion"
    results = api.client.get(f"/v1/optimizations/{job['id']}/results", headers=api.alice).json()
    assert results["warnings"][:2] == expected
    from graphs.optimization_run import run_directory

    ran = json.loads((run_directory(job["id"], api.settings) / "request.json").read_text())
    assert ran["universe"] == ["AAPL", "KO"]


def test_saved_portfolios_and_deployments_never_hold_an_exclusion(api: Api) -> None:
    _fresh(api, api.bob)
    weights = [{"asset": "KO", "weight": 0.5}, {"asset": "AMD", "weight": 0.5}]
    before = api.client.post(
        "/v1/portfolios", json={"name": "mix", "weights": weights}, headers=api.bob
    )
    assert before.status_code == 201, before.text
    api.client.patch("/v1/profile", json={"exclusions": ["semiconductors"]}, headers=api.bob)
    refused = api.client.post(
        "/v1/portfolios", json={"name": "mix", "weights": weights}, headers=api.bob
    )
    error = assert_error(refused, 422, "VALIDATION_ERROR", "body.weights.1.asset")
    assert (
        "AMD left out: your profile excludes semiconductors (Advanced Micro Devices, "
        "Semiconductors)" in error["message"]
    )
    deploy = api.client.post(
        "/v1/deployments",
        json={"name": "mix", "source": {"kind": "portfolio", "id": before.json()["id"]},
              "capital": 10_000},
        headers=api.bob,
    )  # fmt: skip
    error = assert_error(deploy, 422, "VALIDATION_ERROR", "body.source_id")
    assert "AMD left out" in error["message"]
    assert api.client.get("/v1/deployments", headers=api.bob).json()["items"] == []


def test_synchronous_portfolios_leave_exclusions_out(api: Api) -> None:
    _fresh(api, api.bob)
    body = {"assets": ["AAPL", "AMD", "JNJ", "KO"], "start": "2018-01-01"}
    before = api.client.post("/v1/optimization/hrp", json=body, headers=api.bob).json()
    assert set(before["weights"]) == {"AAPL", "AMD", "JNJ", "KO"} and before["left_out"] == []
    api.client.put("/v1/profile", json={"exclusions": ["AMD"]}, headers=api.bob)
    after = api.client.post(
        "/v1/optimization/hrp", json={**body, "save_as": "no amd"}, headers=api.bob
    )
    assert after.status_code == 200, after.text
    out = after.json()
    assert set(out["weights"]) == {"AAPL", "JNJ", "KO"} and out["cached"] is False
    assert out["left_out"] == ["AMD left out: your profile excludes AMD"]
    saved = api.client.get(f"/v1/portfolios/{out['portfolio_id']}", headers=api.bob).json()
    assert {w["asset"] for w in saved["weights"]} == {"AAPL", "JNJ", "KO"}
    two = {"assets": ["AMD", "KO"], "start": "2018-01-01"}
    refused = api.client.post("/v1/optimization/efficient-frontier", json=two, headers=api.bob)
    assert (
        "AMD left out" in assert_error(refused, 422, "VALIDATION_ERROR", "body.assets")["message"]
    )
