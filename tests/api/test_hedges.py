"""Hedges through the API: a hedged deployment's positions, premiums and dead letters, its
option entries in the ledger (JSON and CSV), the hedging kill switch sending the closing order
of every option and halting hedges (audited), errors naming the field, and tenancy."""

from __future__ import annotations

import csv
import io

import pytest

from execution.hedge import HedgeMarket, model_price
from execution.options import parse_occ
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from store import NewOrder
from tests.api.conftest import Api, assert_error, wait_job
from tests.support.dollars import dollars
from tests.support.hedged import hedged_deployment, hedged_spec
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.queue import dispatch


def test_the_hedge_its_ledger_and_its_dead_letters_are_read_back(api: Api) -> None:
    deployment, bought = hedged_deployment(api.store, "alice")
    api.store.enqueue_orders(
        "alice",
        f"hedge-{deployment.id}",
        deployment.id,
        "poisoned",
        [NewOrder("hdg-0000000000000000-00-bo", "NOT-AN-OPTION", "buy", 1.0)],
    )
    account = StoredPaperOptionsAccount(api.store, deployment, sp500_prices()[["AAPL"]])
    dispatch(api.store, "alice", f"hedge-{deployment.id}", account)
    response = api.client.get(f"/v1/deployments/{deployment.id}/hedges", headers=api.alice)
    assert response.status_code == 200, response.text
    hedge = response.json()
    assert hedge["positions"] == bought.positions and len(hedge["positions"]) == 2
    assert hedge["premiums_paid"] > 0 and hedge["premiums_received"] > 0
    last = sp500_prices()["AAPL"]  # the app's today is after the data's last close
    market = HedgeMarket(last.index[-1].date(), last)
    assert hedge["priced_on"] == last.index[-1].date().isoformat()
    for mark in hedge["marks"]:
        price = model_price(parse_occ(mark["symbol"]), market, ImpliedVolModel())
        assert mark["price"] == pytest.approx(price, rel=1e-12)
        assert mark["market_value"] == pytest.approx(mark["contracts"] * 100 * price)
    total = sum(m["market_value"] for m in hedge["marks"])
    assert hedge["pnl"] == pytest.approx(hedge["cash"] + total)
    [dead] = hedge["dead_letters"]
    assert dead["symbol"] == "NOT-AN-OPTION" and "not an OCC option symbol" in dead["reason"]
    orders = api.client.get(f"/v1/deployments/{deployment.id}/orders", headers=api.alice).json()
    assert {o["account"] for o in orders} == {f"hedge-{deployment.id}"}
    assert "dead" in {o["status"] for o in orders}
    ledger = api.client.get(f"/v1/deployments/{deployment.id}/ledger", headers=api.alice).json()
    options = [row for row in ledger["entries"] if row["note"] == "option trade"]
    assert {row["symbol"] for row in options} == set(bought.positions)
    text = api.client.get(
        f"/v1/deployments/{deployment.id}/ledger?format=csv", headers=api.alice
    ).text
    assert {row["symbol"] for row in csv.DictReader(io.StringIO(text))} == set(bought.positions)
    other = api.client.get(f"/v1/deployments/{deployment.id}/hedges", headers=api.bob)
    assert other.status_code == 404


def test_the_hedging_kill_switch_halts_the_caller_s_hedges_and_closes_their_options(
    api: Api,
) -> None:
    """The app's clock is today's, after the embedded data's last close: the closing orders
    are sent and stay working (nothing can fill past the data); pulling again replaces them."""
    mine, bought = hedged_deployment(api.store, "alice")
    theirs, _ = hedged_deployment(api.store, "bob")
    pulled = api.client.post("/v1/hedge-kill-switch", json={}, headers=api.alice)
    assert pulled.status_code == 200, pulled.text
    report = pulled.json()
    assert mine.id in report["halted"] and theirs.id not in report["halted"]
    assert report["failures"] == []
    closed = [row for row in report["closed"] if row["deployment_id"] == mine.id]
    expected = sorted(
        ("sell" if n > 0 else "buy", symbol, abs(n)) for symbol, n in bought.positions.items()
    )
    assert sorted((r["side"], r["symbol"], r["contracts"]) for r in closed) == expected
    assert {row["status"] for row in closed} == {"submitted"}
    hedge = api.client.get(f"/v1/deployments/{mine.id}/hedges", headers=api.alice).json()
    assert hedge["halted"] is True and hedge["positions"] == bought.positions
    closing = [o for o in hedge["orders"] if o["run_id"].startswith("hedge-kill-")]
    assert len(closing) == 2 and {o["status"] for o in closing} == {"submitted"}
    theirs_hedge = api.client.get(f"/v1/deployments/{theirs.id}/hedges", headers=api.bob).json()
    assert theirs_hedge["halted"] is False
    events = api.store.deployment_events("alice", mine.id)
    assert [e.data["by"] for e in events if e.type == "hedges_closed"] == ["api"]
    assert any(e.data.get("reason") == "the hedging kill switch was pulled" for e in events)
    again = api.client.post(
        "/v1/hedge-kill-switch", json={"deployment_id": mine.id}, headers=api.alice
    ).json()
    assert sorted(again["canceled_orders"]) == sorted(o["client_order_id"] for o in closing)
    assert len(again["closed"]) == 2
    released = api.client.post("/v1/hedge-kill-switch/release", json={}, headers=api.alice)
    assert mine.id in released.json()["released"]
    bobs = api.client.post(
        "/v1/hedge-kill-switch", json={"deployment_id": theirs.id}, headers=api.alice
    )
    assert bobs.status_code == 404


def test_a_hedge_on_a_strategy_without_an_overlay_is_refused_naming_the_field(api: Api) -> None:
    portfolio = api.client.post(
        "/v1/portfolios",
        json={"name": "p", "weights": [{"asset": "KO", "weight": 1.0}]},
        headers=api.alice,
    ).json()["id"]
    created = api.client.post(
        "/v1/deployments",
        json={
            "name": "x",
            "source": {"kind": "portfolio", "id": portfolio},
            "capital": 1000,
            "hedge": {"underlying": "KO"},
        },
        headers=api.alice,
    )
    assert (
        "no option overlay"
        in assert_error(created, 422, "VALIDATION_ERROR", "body.hedge")["message"]
    )
    unhedged = api.client.post(
        "/v1/deployments",
        json={"name": "y", "source": {"kind": "portfolio", "id": portfolio}, "capital": 1000},
        headers=api.alice,
    ).json()["id"]
    refused = api.client.post(
        "/v1/hedge-kill-switch", json={"deployment_id": unhedged}, headers=api.alice
    )
    assert_error(refused, 422, "VALIDATION_ERROR", "body.deployment_id")


def test_a_forward_test_of_a_hedged_deployment_returns_its_hedge(api: Api) -> None:
    """The forward-test job's result holds the hedge's summary (the options it traded, their
    value at the end, its runs) and the performance of the test deployment values it too."""
    deployment = api.store.create_deployment("alice", "collared", "draft", hedged_spec())
    client = api.client
    submitted = client.post(
        f"/v1/deployments/{deployment.id}/forward-tests",
        json={"start": "2022-01-03", "end": "2022-03-31"},
        headers=api.alice,
    )
    assert submitted.status_code == 202, submitted.text
    done = wait_job(api, submitted.headers["location"])
    assert done["job"]["status"] == "succeeded", done["job"]["error"]
    result = done["result"]
    hedge = result["hedge"]
    test_id = result["forward_test_deployment_id"]
    assert hedge["account"] == f"hedge-{test_id}" and hedge["underlying"] == "AAPL"
    assert hedge["premiums_paid"] > 0 and hedge["premiums_received"] > 0  # a collar
    assert hedge["runs"] == result["runs"] and sum(hedge["run_statuses"].values()) == hedge["runs"]
    assert "whole contracts and a beta of 1" in hedge["note"]
    assert hedge["value"] == pytest.approx(hedge["cash"] + hedge["market_value"])
    ledger = client.get(f"/v1/deployments/{test_id}/ledger", headers=api.alice).json()["entries"]
    assert sum(1 for e in ledger if e["note"] == "option trade") == hedge["trades"] > 0
    report = client.get(f"/v1/deployments/{test_id}/performance", headers=api.alice).json()
    assert report["values"]["paper"] == pytest.approx(result["values"]["paper"], rel=1e-12)
    assert report["hedge"]["value"] == pytest.approx(hedge["value"], rel=1e-12)
    page = client.get(f"/v1/deployments/{test_id}/report", headers=api.alice).text
    assert "Option hedge (in the paper values)" in page
    assert f"{dollars(report['hedge']['value'])} on {report['hedge']['priced_on']}" in page
    # the hedge view of the ended test is priced at its window's end, as the test and its
    # performance are (not at the data's last close, months after its options expired)
    view = client.get(f"/v1/deployments/{test_id}/hedges", headers=api.alice).json()
    assert view["priced_on"] == report["hedge"]["priced_on"] == hedge["priced_on"] == "2022-03-31"
    assert view["pnl"] == pytest.approx(hedge["value"], rel=1e-12)
    assert view["market_value"] == pytest.approx(hedge["market_value"], rel=1e-12)
    # each names the volatility that priced it: the paper broker has no option quotes
    realised = "the paper broker has no option quotes: priced on realised volatility"
    for named in (view, report["hedge"], hedge):
        assert named["volatility"]["source"] == "realised"
        assert named["volatility"]["words"] == realised
    assert realised in page
    other = client.get(submitted.headers["location"], headers=api.bob)
    assert_error(other, 404, "NOT_FOUND")


def test_an_empty_implied_volatility_history_says_why(api: Api) -> None:
    """A hedge on the paper broker records no implied volatility (no option quotes): the
    empty history says so to its owner; of an underlying they hedge nowhere, they are told
    that."""
    hedged_deployment(api.store, "alice")
    mine = api.client.get("/v1/iv-history/AAPL", headers=api.alice)
    assert mine.status_code == 200 and mine.json()["items"] == []
    assert mine.json()["reason"] == (
        "your deployments hedging AAPL trade on the paper broker, which has no option quotes: "
        "nothing is recorded, and their hedges are priced on realised volatility"
    )
    other = api.client.get("/v1/iv-history/KO", headers=api.alice).json()
    assert other["items"] == []
    assert other["reason"].startswith("no active or paused deployment of yours hedges KO")
