"""`/v1/deployments`: create from a portfolio, the lifecycle, forward tests run by the app's
worker, orders, ledger (JSON and CSV), positions, errors naming the field, and tenancy."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.paper import PaperBroker
from quant.data import sp500_prices
from tests.api.conftest import Api, assert_error, make_settings

WEIGHTS = [
    {"asset": "JNJ", "weight": 0.3},
    {"asset": "KO", "weight": 0.3},
    {"asset": "PG", "weight": 0.4},
]


def _portfolio(api: Api) -> str:
    response = api.client.post(
        "/v1/portfolios", json={"name": "Staples", "weights": WEIGHTS}, headers=api.alice
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _create(api: Api, **overrides: Any) -> Any:
    body = {
        "name": "Staples weekly",
        "source": {"kind": "portfolio", "id": _portfolio(api)},
        "capital": 100_000,
        "schedule": {"every": "week", "at": "15:45"},
        "limits": {"cash_buffer": 0.02},
        **overrides,
    }
    return api.client.post("/v1/deployments", json=body, headers=api.alice)


def _wait(api: Api, path: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.client.get(path, headers=api.alice).json()
        if found["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return dict(found)
        time.sleep(0.2)
    raise AssertionError(f"{path} did not finish in {timeout} s")


def test_a_portfolio_is_deployed_moved_through_its_lifecycle_and_kept_from_others(
    api: Api,
) -> None:
    created = _create(api)
    assert created.status_code == 201, created.text
    deployment = created.json()
    did = deployment["id"]
    assert created.headers["location"] == f"/v1/deployments/{did}"
    assert (deployment["status"], deployment["mode"]) == ("draft", "paper")
    assert deployment["spec"]["strategy"]["weights"] == {w["asset"]: w["weight"] for w in WEIGHTS}
    client = api.client
    assert client.post(f"/v1/deployments/{did}/activate", headers=api.alice).json()["status"] == (
        "active"
    )
    assert client.post(f"/v1/deployments/{did}/pause", headers=api.alice).json()["status"] == (
        "paused"
    )
    resumed = client.post(f"/v1/deployments/{did}/resume", headers=api.alice)
    assert resumed.json()["status"] == "active"
    again = client.post(f"/v1/deployments/{did}/resume", headers=api.alice)
    assert_error(again, 409, "CONFLICT")
    assert client.post(f"/v1/deployments/{did}/retire", headers=api.alice).json()["status"] == (
        "retired"
    )
    final = client.post(f"/v1/deployments/{did}/activate", headers=api.alice)
    assert "retired is final" in assert_error(final, 409, "CONFLICT")["message"]
    for path in ("", "/orders", "/ledger", "/positions", "/forward-tests"):
        assert_error(client.get(f"/v1/deployments/{did}{path}", headers=api.bob), 404, "NOT_FOUND")
    assert did not in [
        d["id"] for d in client.get("/v1/deployments", headers=api.bob).json()["items"]
    ]


def test_what_cannot_be_deployed_is_refused_naming_the_field(api: Api) -> None:
    client = api.client
    missing = _create(api, source={"kind": "portfolio", "id": "pf_nope"})
    assert_error(missing, 422, "VALIDATION_ERROR", "body.source.id")
    bob_portfolio = client.post(
        "/v1/portfolios", json={"name": "Bob's", "weights": WEIGHTS}, headers=api.bob
    ).json()["id"]
    others = _create(api, source={"kind": "portfolio", "id": bob_portfolio})
    assert_error(others, 422, "VALIDATION_ERROR", "body.source.id")
    bad_cron = _create(api, schedule={"every": None, "cron": "61 * * * *"})
    assert_error(bad_cron, 422, "VALIDATION_ERROR", "body.schedule.cron")
    assert_error(_create(api, capital=0), 422, "VALIDATION_ERROR", "body.capital")
    limits = _create(api, limits={"max_position": 1.5})
    assert_error(limits, 422, "VALIDATION_ERROR", "body.limits.max_position")
    assert_error(
        _create(api, schedule={"every": "fortnight"}),
        422,
        "VALIDATION_ERROR",
        "body.schedule.every",
    )


def test_a_forward_test_paper_trades_the_deployment_and_its_books_can_be_read(api: Api) -> None:
    client = api.client
    did = _create(api).json()["id"]
    early = client.post(
        f"/v1/deployments/{did}/forward-tests", json={"start": "1990-01-03"}, headers=api.alice
    )
    assert early.status_code == 202  # fixed weights need one day of history, which 1990-01-02 has
    too_late = client.post(
        f"/v1/deployments/{did}/forward-tests", json={"start": "2030-01-02"}, headers=api.alice
    )
    assert_error(too_late, 422, "VALIDATION_ERROR", "body.start")
    submitted = client.post(
        f"/v1/deployments/{did}/forward-tests",
        json={"start": "2022-01-03", "end": "2022-06-30"},
        headers=api.alice,
    )
    assert submitted.status_code == 202, submitted.text
    location = submitted.headers["location"]
    done = _wait(api, location)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    result = done["result"]
    assert result["end"] == "2022-06-30" and result["runs"] == 26
    assert result["run_statuses"] == {"filled": 26}
    test_id = result["forward_test_deployment_id"]
    listed = client.get("/v1/deployments?mode=forward_test", headers=api.alice).json()["items"]
    assert test_id in [d["id"] for d in listed]
    orders = client.get(f"/v1/deployments/{test_id}/orders", headers=api.alice).json()
    assert len(orders) >= 3 and all(o["status"] == "filled" for o in orders)
    ledger = client.get(f"/v1/deployments/{test_id}/ledger", headers=api.alice).json()["entries"]
    assert ledger[0]["kind"] == "cash_flow" and ledger[0]["amount"] == 100_000
    assert len(ledger) - 1 == result["fills"]
    exported = client.get(f"/v1/deployments/{test_id}/ledger?format=csv", headers=api.alice)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["entry_id"] for r in rows] == [e["entry_id"] for e in ledger]
    report = client.get(f"/v1/deployments/{test_id}/positions", headers=api.alice).json()
    assert report["cash"] == result["cash"]
    assert {p["symbol"] for p in report["positions"] if p["quantity"] > 0} == {"JNJ", "KO", "PG"}
    assert report["equity"] is not None and report["equity"] > 0
    performance = client.get(f"/v1/deployments/{test_id}/performance", headers=api.alice).json()
    assert performance["values"]["paper"] == pytest.approx(result["values"]["paper"], rel=1e-12)
    assert performance["comparison"]["tracking_error"] == pytest.approx(
        result["comparison"]["tracking_error"], rel=1e-9
    )
    page = client.get(f"/v1/deployments/{test_id}/report", headers=api.alice)
    assert page.headers["content-type"].startswith("text/html")
    assert "Against the backtest" in page.text and "http://" not in page.text.split("<script")[0]
    for symbol in ("JNJ", "KO", "PG"):
        assert f"<td>{symbol}</td>" in page.text
    assert f"{result['comparison']['tracking_error']:.2%}" in page.text
    untraded = client.get(f"/v1/deployments/{did}/performance", headers=api.alice).json()
    assert untraded == {"deployment_id": did, "sessions": 0}
    changed = client.post(f"/v1/deployments/{test_id}/pause", headers=api.alice)
    assert_error(changed, 409, "CONFLICT")
    nested = client.post(
        f"/v1/deployments/{test_id}/forward-tests", json={"start": "2022-01-03"}, headers=api.alice
    )
    assert_error(nested, 422, "VALIDATION_ERROR", "body.deployment_id")
    tests = client.get(f"/v1/deployments/{did}/forward-tests", headers=api.alice).json()
    assert submitted.json()["id"] in [t["id"] for t in tests]


def test_running_a_paper_deployment_now_is_refused_when_the_data_ends_before_today(
    api: Api,
) -> None:
    did = _create(api).json()["id"]
    draft = api.client.post(f"/v1/deployments/{did}/run", headers=api.alice)
    assert_error(draft, 422, "VALIDATION_ERROR", "body.status")
    api.client.post(f"/v1/deployments/{did}/activate", headers=api.alice)
    stale = api.client.post(f"/v1/deployments/{did}/run", headers=api.alice)
    body = assert_error(stale, 422, "VALIDATION_ERROR", "body.deployment_id")
    assert "forward-test" in body["message"]


def test_the_kill_switch_pauses_the_caller_s_deployments_only(api: Api) -> None:
    client = api.client
    mine = _create(api).json()["id"]
    client.post(f"/v1/deployments/{mine}/activate", headers=api.alice)
    bob_portfolio = client.post(
        "/v1/portfolios", json={"name": "Bob's", "weights": WEIGHTS}, headers=api.bob
    ).json()["id"]
    theirs = client.post(
        "/v1/deployments",
        json={"name": "b", "source": {"kind": "portfolio", "id": bob_portfolio}, "capital": 10},
        headers=api.bob,
    ).json()["id"]
    client.post(f"/v1/deployments/{theirs}/activate", headers=api.bob)
    pulled = client.post("/v1/kill-switch", json={}, headers=api.alice)
    assert pulled.status_code == 200, pulled.text
    assert mine in pulled.json()["paused"] and theirs not in pulled.json()["paused"]
    assert client.get(f"/v1/deployments/{mine}", headers=api.alice).json()["status"] == "paused"
    assert client.get(f"/v1/deployments/{theirs}", headers=api.bob).json()["status"] == "active"
    assert client.post("/v1/kill-switch", json={}, headers=api.alice).json()["paused"] == []
    unknown = client.post("/v1/kill-switch", json={"owner": "bob"}, headers=api.alice)
    assert_error(unknown, 422, "VALIDATION_ERROR", "body.owner")


def test_notification_destinations_are_kept_and_a_webhook_s_token_never_shown_back(
    api: Api,
) -> None:
    hook = "https://hooks.slack.com/services/T0001/B0002/secret-token-value"
    created = _create(
        api,
        notifications={
            "destinations": [
                {"channel": "webhook", "address": hook, "kinds": ["fill", "limit_breach"]},
                {"channel": "email", "address": "pm@example.com"},
            ]
        },
    )
    assert created.status_code == 201, created.text
    shown = created.json()["spec"]["notifications"]["destinations"]
    assert shown[0]["address"] == "https://hooks.slack.com/…"
    assert "secret-token-value" not in created.text
    assert shown[1]["address"] == "pm@example.com"
    stored = api.store.get_deployment("alice", created.json()["id"])
    assert stored.spec["notifications"]["destinations"][0]["address"] == hook
    bad = _create(api, notifications={"destinations": [{"channel": "email", "address": "nope"}]})
    assert_error(bad, 422, "VALIDATION_ERROR")
    assert "email" in bad.json()["error"]["message"]


def test_the_broker_is_paper_or_the_caller_s_own_alpaca_account(api: Api, tmp_path: Path) -> None:
    from api.app import create_app

    assert_error(_create(api, broker="ib"), 422, "VALIDATION_ERROR", "body.broker")
    unconfigured = assert_error(
        _create(api, broker="alpaca"), 422, "VALIDATION_ERROR", "body.broker"
    )
    assert "no Alpaca account is configured for owner 'alice'" in unconfigured["message"]

    paper = PaperBroker(sp500_prices().loc["2021-01-01":])
    paper.deposit(100_000, datetime(2021, 5, 3, 14, tzinfo=UTC))
    with LocalAlpaca(paper, key_id="AKALICE", secret_key="alice-secret") as alpaca:
        settings = make_settings(
            tmp_path / "data",
            alpaca_key_id=alpaca.key_id,
            alpaca_secret_key=alpaca.secret_key,
            alpaca_base_url=alpaca.url,
            alpaca_owner="alice",
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            store = client.app.state.context.store  # type: ignore[attr-defined]
            keys = {o: {"x-api-key": store.create_api_key(o, "tests")[0]} for o in ("alice", "bob")}
            on_alpaca = Api(client, settings, keys["alice"], keys["bob"])
            created = _create(on_alpaca, broker="alpaca")
            assert created.status_code == 201, created.text
            spec = created.json()["spec"]
            assert (spec["broker"], spec["account"]) == ("alpaca", "alpaca-PA0000LOCAL")
            assert spec["alpaca_endpoint"] == "paper" and "alice-secret" not in created.text
            second = assert_error(
                _create(on_alpaca, broker="alpaca"), 422, "VALIDATION_ERROR", "body.broker"
            )
            assert "already traded by deployment" in second["message"]
            bob_portfolio = client.post(
                "/v1/portfolios", json={"name": "Bob's", "weights": WEIGHTS}, headers=keys["bob"]
            ).json()["id"]
            bobs = client.post(
                "/v1/deployments",
                json={
                    "name": "Bob on Alice's account",
                    "source": {"kind": "portfolio", "id": bob_portfolio},
                    "capital": 1000,
                    "broker": "alpaca",
                },
                headers=keys["bob"],
            )
            refused = assert_error(bobs, 422, "VALIDATION_ERROR", "body.broker")
            assert "no Alpaca account is configured for owner 'bob'" in refused["message"]
