"""`/v1/portfolios`: CRUD, weight validation, optimistic versions and tenancy."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, assert_error


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Defensive",
        "weights": [
            {"asset": "JNJ", "weight": 0.3},
            {"asset": "KO", "weight": 0.3},
            {"asset": "PG", "weight": 0.4},
        ],
        "notes": "staples",
    }
    values.update(overrides)
    return values


def create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.client.post("/v1/portfolios", json=body(**overrides), headers=api.alice)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_get_list_update_delete(api: Api) -> None:
    client = api.client
    response = client.post("/v1/portfolios", json=body(), headers=api.alice)
    assert response.status_code == 201, response.text
    created = response.json()
    pid = created["id"]
    assert pid.startswith("pf_")
    assert response.headers["location"] == f"/v1/portfolios/{pid}"
    assert response.headers["etag"] == '"1"'
    assert created["version"] == 1 and created["dataset_id"] is None
    assert created["weights"] == body()["weights"] and created["notes"] == "staples"
    # the store holds what the API says
    stored = api.store.get_portfolio("alice", pid)
    assert stored.data["weights"] == body()["weights"]

    got = client.get(f"/v1/portfolios/{pid}", headers=api.alice)
    assert got.status_code == 200 and got.json() == created
    listed = client.get("/v1/portfolios", headers=api.alice).json()["items"]
    assert pid in [p["id"] for p in listed]

    new_weights = [{"asset": "KO", "weight": 0.5}, {"asset": "XOM", "weight": 0.5}]
    put = client.put(
        f"/v1/portfolios/{pid}",
        json=body(name="Renamed", weights=new_weights),
        headers={**api.alice, "If-Match": '"1"'},
    )
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2 and put.json()["name"] == "Renamed"
    assert put.json()["weights"] == new_weights
    assert put.headers["etag"] == '"2"'

    deleted = client.delete(f"/v1/portfolios/{pid}", headers=api.alice)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(client.get(f"/v1/portfolios/{pid}", headers=api.alice), 404, "NOT_FOUND")
    assert_error(client.delete(f"/v1/portfolios/{pid}", headers=api.alice), 404, "NOT_FOUND")


def test_version_conflict_is_409_and_writes_nothing(api: Api) -> None:
    pid = create(api)["id"]
    first = api.client.put(f"/v1/portfolios/{pid}", json=body(version=1), headers=api.alice)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api.client.put(
        f"/v1/portfolios/{pid}", json=body(name="Lost update", version=1), headers=api.alice
    )
    assert_error(stale, 409, "CONFLICT")
    stale_header = api.client.put(
        f"/v1/portfolios/{pid}", json=body(name="Lost"), headers={**api.alice, "If-Match": "1"}
    )
    assert_error(stale_header, 409, "CONFLICT")
    current = api.client.get(f"/v1/portfolios/{pid}", headers=api.alice).json()
    assert current["version"] == 2 and current["name"] == "Defensive"
    mismatch = api.client.put(
        f"/v1/portfolios/{pid}", json=body(version=2), headers={**api.alice, "If-Match": '"3"'}
    )
    assert_error(mismatch, 422, "VALIDATION_ERROR", "header.if-match")
    garbage = api.client.put(
        f"/v1/portfolios/{pid}", json=body(), headers={**api.alice, "If-Match": "abc"}
    )
    assert_error(garbage, 422, "VALIDATION_ERROR", "header.if-match")


def test_tenancy(api: Api) -> None:
    pid = create(api)["id"]
    client = api.client
    assert_error(client.get(f"/v1/portfolios/{pid}", headers=api.bob), 404, "NOT_FOUND")
    assert_error(
        client.put(f"/v1/portfolios/{pid}", json=body(), headers=api.bob), 404, "NOT_FOUND"
    )
    assert_error(client.delete(f"/v1/portfolios/{pid}", headers=api.bob), 404, "NOT_FOUND")
    assert pid not in [
        p["id"] for p in client.get("/v1/portfolios", headers=api.bob).json()["items"]
    ]
    # alice's portfolio is untouched
    assert client.get(f"/v1/portfolios/{pid}", headers=api.alice).json()["version"] == 1


def test_requires_an_api_key(api: Api) -> None:
    client = api.client
    assert_error(client.get("/v1/portfolios"), 401, "UNAUTHENTICATED")
    assert_error(client.post("/v1/portfolios", json=body()), 401, "UNAUTHENTICATED")
    assert_error(
        client.get("/v1/portfolios/pf_x", headers={"x-api-key": "nope"}), 401, "UNAUTHENTICATED"
    )
    assert_error(client.delete("/v1/portfolios/pf_x"), 401, "UNAUTHENTICATED")


def test_weight_validation(api: Api) -> None:
    client = api.client

    def post(weights: Any, **extra: Any) -> Any:
        return client.post("/v1/portfolios", json=body(weights=weights, **extra), headers=api.alice)

    off = post([{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.4}])
    err = assert_error(off, 422, "VALIDATION_ERROR", "body.weights")
    assert "0.9" in err["message"]
    # within the tolerance of 1e-6 is fine, outside it is not
    assert (
        post([{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.5 + 5e-7}]).status_code
        == 201
    )
    assert (
        post([{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.5 + 5e-6}]).status_code
        == 422
    )
    dup = post([{"asset": "KO", "weight": 0.5}, {"asset": "KO", "weight": 0.5}])
    assert_error(dup, 422, "VALIDATION_ERROR", "body.weights.1.asset")
    unknown = post([{"asset": "KO", "weight": 0.5}, {"asset": "NOPE", "weight": 0.5}])
    err = assert_error(unknown, 422, "VALIDATION_ERROR", "body.weights.1.asset")
    assert "NOPE" in err["message"]
    short = [{"asset": "KO", "weight": 1.5}, {"asset": "PG", "weight": -0.5}]
    assert_error(post(short), 422, "VALIDATION_ERROR", "body.weights.1.weight")
    allowed = post(short, allow_short=True)
    assert allowed.status_code == 201 and allowed.json()["allow_short"] is True
    # gross leverage (sum of |weights|) is bounded even when shorting
    huge = [{"asset": "KO", "weight": 6.0}, {"asset": "PG", "weight": -5.0}]  # gross 11
    err = assert_error(post(huge, allow_short=True), 422, "VALIDATION_ERROR", "body.weights")
    assert "gross leverage" in err["message"] and "at most 10" in err["message"], err
    eleven = [{"asset": "KO", "weight": 6.0}, {"asset": "PG", "weight": -5.0}]
    assert_error(post(eleven, allow_short=True), 422, "VALIDATION_ERROR", "body.weights")
    ten = [{"asset": "KO", "weight": 5.5}, {"asset": "PG", "weight": -4.5}]
    assert post(ten, allow_short=True).status_code == 201
    # NaN is accepted by the JSON parser, so it must be refused by the API
    nan_body = (
        '{"name": "x", "weights": [{"asset": "KO", "weight": NaN}, {"asset": "PG", "weight": 1}]}'
    )
    nan = client.post(
        "/v1/portfolios",
        content=nan_body,
        headers={**api.alice, "content-type": "application/json"},
    )
    assert_error(nan, 422, "VALIDATION_ERROR", "body.weights.0.weight")
    assert_error(post([]), 422, "VALIDATION_ERROR", "body.weights")
    assert_error(
        client.post("/v1/portfolios", json={"weights": body()["weights"]}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.name",
    )


def test_dataset_reference(api: Api) -> None:
    csv = "date,AAA,BBB\n2024-01-02,10,20\n2024-01-03,11,19\n2024-01-04,12,21\n"
    up = api.client.post(
        "/v1/market-data/datasets",
        files={"file": ("mine.csv", csv.encode(), "text/csv")},
        headers=api.alice,
    )
    assert up.status_code == 201, up.text
    ds = up.json()["id"]
    weights = [{"asset": "AAA", "weight": 0.6}, {"asset": "BBB", "weight": 0.4}]
    ok = api.client.post(
        "/v1/portfolios", json=body(weights=weights, dataset_id=ds), headers=api.alice
    )
    assert ok.status_code == 201 and ok.json()["dataset_id"] == ds
    # S&P 500 tickers are not in this dataset
    bad = api.client.post("/v1/portfolios", json=body(dataset_id=ds), headers=api.alice)
    assert_error(bad, 422, "VALIDATION_ERROR", "body.weights.0.asset")
    # bob cannot reference alice's dataset
    theirs = api.client.post(
        "/v1/portfolios", json=body(weights=weights, dataset_id=ds), headers=api.bob
    )
    assert_error(theirs, 404, "NOT_FOUND", "body.dataset_id")
