"""Two owners using the same names through /v1 (two API keys on one app): each names a shared
paper account `book` (and another `ldn`, on another exchange calendar than the other owner's
`ldn`), deploys the same strategies under the same names, is rebalanced at the same fire times
by the app's job worker, submits optimizations under the same idempotency key and opens chat
threads titled alike. Both rebalances succeed; each owner's accounts, runs, orders, ledgers and
deployment runs, ids written as what they stand for, are what alice saw before bob did
anything; the accounts' names are the owners' own (each with its owner's tag, the other's
never in sight); and bob's asking for alice's account is answered as for one that never
existed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Api, assert_error
from tests.support.owner_views import betrayed, written
from trading.account_names import owner_tag
from trading.scheduling import REBALANCE_KIND

FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)
NEXT_FIRE = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)
STRATEGIES = (
    ("staples", {"JNJ": 0.3, "KO": 0.3, "PG": 0.4}, "book"),
    ("energy", {"KO": 0.5, "XOM": 0.5}, "book"),
    ("alone", {"AAPL": 0.6, "KO": 0.4}, None),
)
"""(name, weights, account name: None for its own account) of each owner's deployments."""
WALL_CLOCK = (
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "time",
    "heartbeat_at",
    "last_snapshot",
    "anchor",
)
"""Fields holding when a request was answered, or what the app's own clock did meanwhile (the
trading day's snapshots, the day a schedule was activated on): not part of what an owner
did."""
OWNERS = ("alice", "bob")


def _headers(api: Api, owner: str) -> dict[str, str]:
    return api.alice if owner == "alice" else api.bob


def _deploy(api: Api, owner: str) -> dict[str, str]:
    """The owner's deployments of `STRATEGIES`, active: their ids by name."""
    headers, ids = _headers(api, owner), {}
    for name, weights, account in STRATEGIES:
        portfolio = api.client.post(
            "/v1/portfolios",
            json={"name": name, "weights": [{"asset": a, "weight": w} for a, w in weights.items()]},
            headers=headers,
        )
        assert portfolio.status_code == 201, portfolio.text
        body: dict[str, Any] = {
            "name": name,
            "source": {"kind": "portfolio", "id": portfolio.json()["id"]},
            "capital": 50_000,
            "schedule": {"every": "session", "at": "15:45"},
            "limits": {"cash_buffer": 0.02},
        }
        if account is not None:
            body["account"] = account
        created = api.client.post("/v1/deployments", json=body, headers=headers)
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
        activated = api.client.post(f"/v1/deployments/{ids[name]}/activate", headers=headers)
        assert activated.status_code == 200, activated.text
    return ids


def _rebalance(api: Api, runs: list[tuple[str, str]], fire: datetime) -> None:
    """The rebalance jobs of `runs` ((owner, deployment id)) at `fire`, submitted together (the
    schedules firing at once) and run by the app's worker: each must succeed."""
    jobs = []
    for owner, deployment_id in runs:
        request = {"deployment_id": deployment_id, "fire": fire.isoformat()}
        job, _ = api.store.submit_job(owner, REBALANCE_KIND, request)
        jobs.append((owner, deployment_id, job.id))
    for owner, deployment_id, job_id in jobs:
        path = f"/v1/deployments/{deployment_id}/runs/{job_id}"
        deadline = time.monotonic() + 120
        found = api.client.get(path, headers=_headers(api, owner)).json()
        while found["job"]["status"] not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() < deadline, f"{path} did not finish"
            time.sleep(0.2)
            found = api.client.get(path, headers=_headers(api, owner)).json()
        assert found["job"]["status"] == "succeeded", found
        assert found["result"]["outcome"] == "filled", found["result"]


def _view(api: Api, owner: str, ids: dict[str, str]) -> dict[str, Any]:
    """What the owner reads of their accounts and deployments."""
    headers = _headers(api, owner)

    def get(path: str) -> Any:
        response = api.client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    accounts = get("/v1/accounts")["items"]
    return {
        "accounts": accounts,
        "runs": {a["account"]: get(f"/v1/accounts/{a['account']}/runs") for a in accounts},
        "deployments": {
            name: {
                "deployment": get(f"/v1/deployments/{i}"),
                "orders": get(f"/v1/deployments/{i}/orders"),
                "ledger": get(f"/v1/deployments/{i}/ledger"),
                "runs": [
                    get(f"/v1/deployments/{i}/runs/{run['id']}")
                    for run in get(f"/v1/deployments/{i}/runs")
                ],
            }
            for name, i in ids.items()
        },
    }


def _written(view: dict[str, Any], owner: str, ids: dict[str, str]) -> str:
    return written(view, owner, {i: name for name, i in ids.items()}, left_out=WALL_CLOCK)


def test_two_owners_naming_alike_trade_apart_and_learn_nothing_of_each_other(api: Api) -> None:
    client = api.client
    alices = _deploy(api, "alice")
    _rebalance(api, [("alice", i) for i in alices.values()], FIRE)
    alone = _view(api, "alice", alices)
    bobs = _deploy(api, "bob")
    _rebalance(api, [("bob", i) for i in bobs.values()], FIRE)
    # alice untouched by bob, and bob's view what alice's was
    assert _written(_view(api, "alice", alices), "alice", alices) == _written(
        alone, "alice", alices
    )
    assert _written(_view(api, "bob", bobs), "bob", bobs) == _written(alone, "alice", alices)

    # the next decision time, both owners' schedules firing at once
    _rebalance(api, [(o, i) for o, ids in (("alice", alices), ("bob", bobs)) for i in ids.values()], NEXT_FIRE)  # fmt: skip
    both = {"alice": _view(api, "alice", alices), "bob": _view(api, "bob", bobs)}
    assert _written(both["bob"], "bob", bobs) == _written(both["alice"], "alice", alices)

    # the accounts are the owners' own, each named with its owner's tag; neither sees the other
    book = {owner: f"paper-shared-{owner_tag(owner)}-book" for owner in OWNERS}
    assert book["alice"] != book["bob"]
    for owner, other, other_ids in (("alice", "bob", bobs), ("bob", "alice", alices)):
        assert book[owner] in {a["account"] for a in both[owner]["accounts"]}
        marks = [*other_ids.values(), book[other]]
        assert not betrayed(both[owner], other, marks), (owner, betrayed(both[owner], other, marks))
    made_up = "paper-shared-00000000-book"
    asked = assert_error(client.get(f"/v1/accounts/{book['alice']}/runs", headers=api.bob), 404, "NOT_FOUND")  # fmt: skip
    never = assert_error(client.get(f"/v1/accounts/{made_up}/runs", headers=api.bob), 404, "NOT_FOUND")  # fmt: skip
    assert asked["details"] == never["details"]
    assert asked["message"].replace(book["alice"], "?") == never["message"].replace(made_up, "?")


def test_names_another_owner_uses_refuse_nothing(api: Api) -> None:
    """An account name, an idempotency key and a thread title alice uses first are bob's to use
    as if she did not exist: his `ldn` account is on the London calendar though hers is on New
    York's; his submission under her key is his own job; his thread lists alone."""
    for owner, calendar in (("alice", "XNYS"), ("bob", "XLON")):
        headers = _headers(api, owner)
        portfolio = api.client.post(
            "/v1/portfolios",
            json={"name": "ldn", "weights": [{"asset": "KO", "weight": 1.0}]},
            headers=headers,
        ).json()
        created = api.client.post(
            "/v1/deployments",
            json={
                "name": "ldn",
                "source": {"kind": "portfolio", "id": portfolio["id"]},
                "capital": 20_000,
                "schedule": {"every": "session", "at": "15:45", "calendar": calendar},
                "account": "ldn",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["spec"]["account"] == f"paper-shared-{owner_tag(owner)}-ldn"
    jobs = {}
    for owner, trials in (("alice", 4), ("bob", 6)):
        request = {"universe": ["AAPL", "KO"], "n_paths": 20, "budget": {"max_trials": trials, "batch_size": trials}}  # fmt: skip
        headers = {**_headers(api, owner), "Idempotency-Key": "nightly"}
        first = api.client.post("/v1/optimizations", json=request, headers=headers)
        again = api.client.post("/v1/optimizations", json=request, headers=headers)
        assert first.status_code == again.status_code == 202, (first.text, again.text)
        assert first.json()["id"] == again.json()["id"]
        jobs[owner] = first.json()["id"]
    assert jobs["alice"] != jobs["bob"]
    for owner, job_id in jobs.items():
        api.client.delete(f"/v1/optimizations/{job_id}", headers=_headers(api, owner))
        assert api.client.get(f"/v1/optimizations/{job_id}", headers=_headers(api, owner)).status_code == 200  # fmt: skip
    assert_error(api.client.get(f"/v1/optimizations/{jobs['alice']}", headers=api.bob), 404, "NOT_FOUND")  # fmt: skip
    threads = {}
    for owner in OWNERS:
        made = api.client.post("/v1/threads", json={"title": "main"}, headers=_headers(api, owner))
        assert made.status_code == 201, made.text
        threads[owner] = made.json()["id"]
    for owner in OWNERS:
        listed = api.client.get("/v1/threads", headers=_headers(api, owner)).json()
        assert [t["id"] for t in listed if t["title"] == "main"] == [threads[owner]]
