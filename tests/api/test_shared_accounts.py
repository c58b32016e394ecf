"""Deployments sharing a paper account through the API: created with an account name, their
netted orders listed with each one's part, the account's runs with the conflicts netted, owner
scoped, and what cannot share an account refused naming `account`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Api, assert_error, wait_job
from trading.account_names import owner_tag
from trading.scheduling import REBALANCE_KIND

FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)
NEXT_FIRE = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)
ACCOUNT = f"paper-shared-{owner_tag('alice')}-book"
"""Alice's account named `book` (the name is hers: `trading.account_names`)."""


def _create(api: Api, name: str, weights: dict[str, float], **extra: Any) -> Any:
    portfolio = api.client.post(
        "/v1/portfolios",
        json={"name": name, "weights": [{"asset": a, "weight": w} for a, w in weights.items()]},
        headers=api.alice,
    )
    assert portfolio.status_code == 201, portfolio.text
    body = {
        "name": name,
        "source": {"kind": "portfolio", "id": portfolio.json()["id"]},
        "capital": 50_000,
        "schedule": {"every": "session", "at": "15:45"},
        "limits": {"cash_buffer": 0.02},
        "account": "book",
        **extra,
    }
    return api.client.post("/v1/deployments", json=body, headers=api.alice)


def _run(api: Api, ids: list[str], fire: datetime) -> list[dict[str, Any]]:
    """Each deployment's rebalance job at `fire`, run by the app's workers; their results."""
    results = []
    for deployment_id in ids:
        job, _ = api.store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": deployment_id, "fire": fire.isoformat()}
        )
        found = wait_job(api, f"/v1/deployments/{deployment_id}/runs/{job.id}")
        assert found["job"]["status"] == "succeeded", found
        results.append(found["result"])
    return results


def test_two_deployments_share_an_account_and_show_its_netted_orders(api: Api) -> None:
    client = api.client
    first = _create(api, "staples", {"JNJ": 0.3, "KO": 0.3, "PG": 0.4})
    second = _create(api, "energy", {"KO": 0.5, "XOM": 0.5})
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    ids = [first.json()["id"], second.json()["id"]]
    specs = [client.get(f"/v1/deployments/{i}", headers=api.alice).json()["spec"] for i in ids]
    assert {(s["account"], s["account_name"]) for s in specs} == {(ACCOUNT, "book")}
    for deployment_id in ids:
        activated = client.post(f"/v1/deployments/{deployment_id}/activate", headers=api.alice)
        assert activated.status_code == 200, activated.text
    assert {r["outcome"] for r in _run(api, ids, FIRE)} == {"filled"}
    # the next decision time: the energy strategy sells all its KO, the staples one buys more
    for deployment_id, weights in zip(
        ids, ({"JNJ": 0.2, "KO": 0.5, "PG": 0.25}, {"KO": 0.0, "XOM": 0.95}), strict=True
    ):
        current = api.store.get_deployment("alice", deployment_id)
        spec = {**current.spec, "strategy": {"kind": "weights", "weights": weights}}
        api.store.update_deployment(
            "alice", deployment_id, expected_version=current.version, spec=spec
        )
    results = _run(api, ids, NEXT_FIRE)
    assert {r["outcome"] for r in results} == {"filled"}
    [conflict] = results[0]["account"]["conflicts"]
    assert conflict["symbol"] == "KO" and set(conflict["sellers"]) == {ids[1]}

    accounts = client.get("/v1/accounts", headers=api.alice).json()["items"]
    [shared] = [a for a in accounts if a["account"] == ACCOUNT]
    assert [d["id"] for d in shared["deployments"]] == ids and shared["opened"] and shared["shared"]
    runs = client.get(f"/v1/accounts/{ACCOUNT}/runs", headers=api.alice).json()["items"]
    assert len(runs) == 2 and runs[0]["conflicts"] == []
    [ko] = runs[1]["conflicts"]
    assert ko == conflict
    crossed = [o for o in runs[1]["orders"] if o["crossed"]]
    assert sorted((o["symbol"], o["side"], o["status"]) for o in crossed) == [
        ("KO", "buy", "filled"),
        ("KO", "sell", "filled"),
    ]
    # each deployment's orders: the account's orders it has a part of, with every part
    for deployment_id in ids:
        orders = client.get(f"/v1/deployments/{deployment_id}/orders", headers=api.alice).json()
        assert orders and all(deployment_id in o["allocations"] for o in orders)
        assert all(o["account"] == ACCOUNT for o in orders)
        crossings = [o for o in orders if o["internal_price"] is not None]
        assert [o["side"] for o in crossings] == (["buy"] if deployment_id == ids[0] else ["sell"])
    first_run_ko = [o for o in runs[0]["orders"] if o["symbol"] == "KO"]
    assert len(first_run_ko) == 1 and set(first_run_ko[0]["allocations"]) == set(ids)
    assert_error(client.get(f"/v1/accounts/{ACCOUNT}/runs", headers=api.bob), 404, "NOT_FOUND")


def test_what_cannot_share_an_account_is_refused_naming_it(api: Api) -> None:
    bad_name = _create(api, "loud", {"KO": 1.0}, account="Main Book")
    assert_error(bad_name, 422, "VALIDATION_ERROR", "body.account")
    new_york = _create(api, "new york", {"KO": 1.0}, account="calendars")
    assert new_york.status_code == 201, new_york.text
    other_calendar = _create(
        api, "london", {"KO": 1.0}, account="calendars",
        schedule={"every": "session", "at": "15:45", "calendar": "XLON"},
    )  # fmt: skip
    refused = assert_error(other_calendar, 422, "VALIDATION_ERROR", "account")
    [problem] = [d["problem"] for d in refused["details"] if d["field"] == "body.account"]
    assert "trade on the XNYS calendar and this one's schedule.calendar is XLON" in problem
    assert "decide and trade together at each decision time" in problem
