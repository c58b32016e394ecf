"""`/v1/deployments`: create from a portfolio, the lifecycle, forward tests run by the app's
worker, orders, ledger (JSON, CSV and Parquet) and its stored exports, positions, errors naming the
field, and tenancy."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.paper import PaperBroker
from quant.data import sp500_prices
from store import LedgerEntry
from tests.api.conftest import Api, assert_error, make_settings, parse_sse, wait_job
from tests.support.ledger_files import assert_csv_holds, assert_parquet_holds, hard_entries

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
    data = deployment["data"]  # the market data it trades on, and where it ends
    assert (data["provider"], data["data_end"], data["end"]) == (
        "sp500",
        "2022-12-28",
        "2022-12-28",
    )
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
    for capital in (0, 1e-300, 1e308):
        assert_error(_create(api, capital=capital), 422, "VALIDATION_ERROR", "body.capital")
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
    done = wait_job(api, location)
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    result = done["result"]
    assert result["end"] == "2022-06-30" and result["runs"] == 26
    assert result["data"]["provider"] == "sp500" and result["data"]["end"] == "2022-06-30"
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
    assert performance["time_weighted_return"] == pytest.approx(
        result["time_weighted_return"], rel=1e-12
    )
    assert performance["comparison"]["tracking_error"] == pytest.approx(
        result["comparison"]["tracking_error"], rel=1e-9
    )
    page = client.get(f"/v1/deployments/{test_id}/report", headers=api.alice)
    assert page.headers["content-type"].startswith("text/html")
    assert "Against the backtest" in page.text and "http://" not in page.text.split("<script")[0]
    for symbol in ("JNJ", "KO", "PG"):
        assert f"<td>{symbol}</td>" in page.text
    assert f"{result['comparison']['tracking_error']:.2%}" in page.text
    # the account beside its stocks held equal-weighted and the index, in the API and the page
    lines = {row["name"]: row for row in performance["benchmarks"]["performance"]}
    # (a weekly schedule given, not the portfolio's own cadence: the searched backtest, its
    # weights held every day, is a second line)
    assert list(lines) == [
        "paper", "backtest", "searched", "equal_weight_held", "equal_weight_rebalanced", "sp500",
    ]  # fmt: skip
    assert performance["values"]["searched"] == pytest.approx(result["values"]["searched"])
    assert (
        '<th scope="row">Searched backtest: the strategy as it was searched, on its own cadence</th>'
        in (page.text)
    )
    assert performance["benchmarks"]["risk_free_rate"] == 0.0  # fixed weights have no safe rate
    assert "Sharpe against a 0.00% risk-free rate" in page.text
    assert "<td>the S&amp;P 500 index</td>" in page.text  # escaped
    # the gap in parts, as the forward test found it, and where the data ends
    words = performance["decomposition"]["words"]
    assert words == result["decomposition"]["words"]
    assert f'<p id="gap-words">{html.escape(words[0].upper() + words[1:])}.</p>' in page.text
    assert performance["data"]["data_end"] == "2022-12-28"
    assert page.text.count("the data ends on 2022-12-28") == 2  # what is deployed; the account
    untraded = client.get(f"/v1/deployments/{did}/performance", headers=api.alice).json()
    assert untraded == {"deployment_id": did, "sessions": 0, "data": untraded["data"]}
    assert untraded["data"]["data_end"] == "2022-12-28"
    changed = client.post(f"/v1/deployments/{test_id}/pause", headers=api.alice)
    assert_error(changed, 409, "CONFLICT")
    nested = client.post(
        f"/v1/deployments/{test_id}/forward-tests", json={"start": "2022-01-03"}, headers=api.alice
    )
    assert_error(nested, 422, "VALIDATION_ERROR", "body.deployment_id")
    tests = client.get(f"/v1/deployments/{did}/forward-tests", headers=api.alice).json()
    assert submitted.json()["id"] in [t["id"] for t in tests]
    page = client.get(
        f"/v1/deployments/{test_id}/events?wait=0&limit=1000", headers=api.alice
    ).json()
    runs = [e["data"] for e in page["events"] if e["type"] == "run_finished"]
    assert [r["outcome"] for r in runs] == ["filled"] * 26
    assert sum(r["filled"] for r in runs) == result["fills"]
    assert (page["status"], page["done"]) == ("retired", True)


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
    bobs_account = client.post(
        "/v1/kill-switch", json={"account": f"paper-{theirs}"}, headers=api.alice
    )
    assert (
        "none of your deployments trades"
        in assert_error(bobs_account, 422, "VALIDATION_ERROR", "body.account")["message"]
    )
    assert client.get(f"/v1/deployments/{theirs}", headers=api.bob).json()["status"] == "active"
    own_account = client.post(
        "/v1/kill-switch", json={"account": f"paper-{mine}"}, headers=api.alice
    )
    assert own_account.status_code == 200 and own_account.json()["paused"] == []


def test_notification_destinations_are_kept_and_a_webhook_s_token_never_shown_back(
    api: Api,
) -> None:
    hook = "https://93.184.216.34/services/T0001/B0002/secret-token-value"  # public, not looked up
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
    assert shown[0]["address"] == "https://93.184.216.34/…"
    assert "secret-token-value" not in created.text
    assert shown[1]["address"] == "pm@example.com"
    stored = api.store.get_deployment("alice", created.json()["id"])
    assert stored.spec["notifications"]["destinations"][0]["address"] == hook
    bad = _create(api, notifications={"destinations": [{"channel": "email", "address": "nope"}]})
    assert_error(bad, 422, "VALIDATION_ERROR")
    assert "email" in bad.json()["error"]["message"]


def test_webhooks_that_reach_inside_are_refused_at_creation_naming_the_destination(
    api: Api,
) -> None:
    """The outbound policy at creation (the process is in local development, where a loopback
    receiver is allowed; credentials and private, link-local addresses never are)."""
    before = len(api.client.get("/v1/deployments", headers=api.alice).json()["items"])
    for address, why in (
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.0.0.1/hook", "private"),
        ("https://user:p4ssw0rd@93.184.216.34/hook", "user name or password"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
    ):
        destinations = [
            {"channel": "email", "address": "pm@example.com"},
            {"channel": "webhook", "address": address},
        ]
        refused = _create(api, notifications={"destinations": destinations})
        error = assert_error(
            refused, 422, "VALIDATION_ERROR", "body.notifications.destinations.1.address"
        )
        assert why in error["message"]
        assert "p4ssw0rd" not in refused.text
    after = len(api.client.get("/v1/deployments", headers=api.alice).json()["items"])
    assert after == before
    profile = api.client.patch(
        "/v1/profile",
        json={
            "notifications": {
                "destinations": [{"channel": "webhook", "address": "https://10.9.8.7/"}]
            }
        },
        headers=api.alice,
    )
    assert_error(profile, 422, "VALIDATION_ERROR", "body.notifications.destinations.0.address")


def test_a_deployment_s_events_stream_as_sse_and_long_poll_with_who_and_why(api: Api) -> None:
    client = api.client
    did = _create(api).json()["id"]
    for action in ("activate", "pause", "resume"):
        assert client.post(f"/v1/deployments/{did}/{action}", headers=api.alice).status_code == 200
    api.client.post("/v1/kill-switch", json={}, headers=api.alice)
    page = client.get(f"/v1/deployments/{did}/events?wait=0", headers=api.alice).json()
    assert [(e["seq"], e["type"]) for e in page["events"]] == [
        (1, "created"),
        (2, "status_changed"),
        (3, "status_changed"),
        (4, "status_changed"),
        (5, "status_changed"),
    ]
    assert page["events"][0]["data"]["by"] == "api" and page["events"][0]["data"]["capital"] == (
        100_000
    )
    moves = [(e["data"]["from"], e["data"]["to"], e["data"]["by"]) for e in page["events"][1:]]
    assert moves == [
        ("draft", "active", "api"),
        ("active", "paused", "api"),
        ("paused", "active", "api"),
        ("active", "paused", "kill_switch"),
    ]
    assert page["events"][4]["data"]["reason"] == "the kill switch was pulled"
    assert (page["last_seq"], page["status"], page["done"]) == (5, "paused", False)
    later = client.get(f"/v1/deployments/{did}/events?wait=0&after=5", headers=api.alice).json()
    assert later["events"] == [] and later["last_seq"] == 5
    assert client.post(f"/v1/deployments/{did}/retire", headers=api.alice).status_code == 200
    with client.stream("GET", f"/v1/deployments/{did}/events", headers=api.alice) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        messages = parse_sse(list(response.iter_lines()))
    assert [(m["id"], m["event"]) for m in messages[:-1]] == [
        (str(e["seq"]), e["type"]) for e in page["events"]
    ] + [("6", "status_changed")]
    assert json.loads(messages[0]["data"]) == page["events"][0]
    assert (messages[-1]["event"], json.loads(messages[-1]["data"])) == (
        "end",
        {"status": "retired"},
    )
    resumed_headers = {**api.alice, "Last-Event-ID": "4"}
    with client.stream("GET", f"/v1/deployments/{did}/events", headers=resumed_headers) as again:
        resumed = parse_sse(list(again.iter_lines()))
    assert [m.get("id") for m in resumed] == ["5", "6", None]
    bad = client.get(f"/v1/deployments/{did}/events", headers={**api.alice, "Last-Event-ID": "x"})
    assert_error(bad, 400, "BAD_REQUEST", "header.last-event-id")
    assert_error(client.get(f"/v1/deployments/{did}/events", headers=api.bob), 404, "NOT_FOUND")


def _with_ledger(api: Api) -> tuple[str, list[LedgerEntry]]:
    """A deployment of alice's whose ledger holds `hard_entries()`, and those entries."""
    did = _create(api).json()["id"]
    api.store.append_ledger("alice", did, hard_entries())
    return did, api.store.ledger("alice", did)


def test_the_ledger_downloads_as_parquet_and_csv_with_the_same_rows_exactly(api: Api) -> None:
    did, entries = _with_ledger(api)
    client = api.client
    parquet = client.get(f"/v1/deployments/{did}/ledger?format=parquet", headers=api.alice)
    assert parquet.status_code == 200, parquet.text
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert parquet.headers["content-disposition"] == (
        f'attachment; filename="{did}-ledger.parquet"'
    )
    assert_parquet_holds(parquet.content, entries)
    csv_file = client.get(f"/v1/deployments/{did}/ledger?format=csv", headers=api.alice)
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert_csv_holds(csv_file.text, entries)
    rows = client.get(f"/v1/deployments/{did}/ledger", headers=api.alice).json()["entries"]
    assert [r["entry_id"] for r in rows] == [e.entry_id for e in entries]
    unknown = client.get(f"/v1/deployments/{did}/ledger?format=xlsx", headers=api.alice)
    assert_error(unknown, 422, "VALIDATION_ERROR", "query.format")
    theirs = client.get(f"/v1/deployments/{did}/ledger?format=parquet", headers=api.bob)
    assert_error(theirs, 404, "NOT_FOUND")
    documented = client.get("/v1/openapi.json").json()["paths"][
        "/v1/deployments/{deployment_id}/ledger"
    ]
    content = documented["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv", "application/vnd.apache.parquet"}


def test_a_stored_export_is_created_listed_downloaded_exactly_deleted_and_kept_from_others(
    api: Api,
) -> None:
    did, entries = _with_ledger(api)
    client = api.client
    base = f"/v1/deployments/{did}/ledger/exports"
    created = client.post(base, json={"format": "parquet"}, headers=api.alice)
    assert created.status_code == 201, created.text
    export = created.json()
    download = f"{base}/{export['id']}"
    assert created.headers["location"] == export["links"]["download"] == download
    assert export["id"].startswith("exp_") and export["deployment_id"] == did
    assert (export["format"], export["rows"]) == ("parquet", len(entries))
    got = client.get(download, headers=api.alice)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/vnd.apache.parquet"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="{did}-ledger-{export["id"]}.parquet"'
    )
    assert hashlib.sha256(got.content).hexdigest() == export["sha256"]
    assert len(got.content) == export["size_bytes"]
    assert got.headers["etag"] == f'"{export["sha256"]}"'
    digest = base64.b64encode(hashlib.sha256(got.content).digest()).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert_parquet_holds(got.content, entries)
    as_csv = client.post(base, json={"format": "csv"}, headers=api.alice).json()
    csv_file = client.get(as_csv["links"]["download"], headers=api.alice)
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert_csv_holds(csv_file.text, entries)
    listed = client.get(base, headers=api.alice).json()["items"]
    assert [e["id"] for e in listed] == [export["id"], as_csv["id"]]
    assert listed[0] == export
    # errors name the field; other owners and other deployments see nothing
    unknown = client.post(base, json={"format": "xlsx"}, headers=api.alice)
    assert_error(unknown, 422, "VALIDATION_ERROR", "body.format")
    assert_error(
        client.post(base, json={}, headers=api.alice), 422, "VALIDATION_ERROR", "body.format"
    )
    for response in (
        client.post(base, json={"format": "csv"}, headers=api.bob),
        client.get(base, headers=api.bob),
        client.get(download, headers=api.bob),
    ):
        assert_error(response, 404, "NOT_FOUND")
    other = _create(api).json()["id"]
    elsewhere = client.get(
        f"/v1/deployments/{other}/ledger/exports/{export['id']}", headers=api.alice
    )
    assert "export" in assert_error(elsewhere, 404, "NOT_FOUND")["message"]
    assert_error(client.get(f"{base}/exp_none", headers=api.alice), 404, "NOT_FOUND")
    assert client.get(f"/v1/deployments/{other}/ledger/exports", headers=api.alice).json() == {
        "items": []
    }
    assert_error(client.delete(download, headers=api.bob), 404, "NOT_FOUND")
    assert client.delete(download, headers=api.alice).status_code == 204
    assert_error(client.get(download, headers=api.alice), 404, "NOT_FOUND")
    assert_error(client.delete(download, headers=api.alice), 404, "NOT_FOUND")
    listed = client.get(base, headers=api.alice).json()["items"]
    assert [e["id"] for e in listed] == [as_csv["id"]]
    paths = client.get("/v1/openapi.json").json()["paths"]
    content = paths["/v1/deployments/{deployment_id}/ledger/exports/{export_id}"]["get"]
    assert set(content["responses"]["200"]["content"]) == {
        "text/csv", "application/vnd.apache.parquet",
    }  # fmt: skip


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
            alpaca={
                "key_id": alpaca.key_id,
                "secret_key": alpaca.secret_key,
                "base_url": alpaca.url,
                "owner": "alice",
            },
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
