"""Every number a request may hold is bounded, and the schema says so: each number and integer
of every request body and parameter in the OpenAPI document states a finite minimum and
maximum (`services.bounds`), a number past one is refused with 422 naming its field and the
bound, and a query parameter the operation does not declare is refused naming it."""

from __future__ import annotations

from typing import Any

from api.app import create_app
from services.bounds import MAX_COUNT, MAX_MONEY, MAX_SEQUENCE
from tests.api.conftest import Api, assert_error, make_settings


def numbers(node: Any, where: str, schemas: dict[str, Any], seen: set[str]) -> list[str]:
    """The places of the numbers and integers reachable from `node` that lack a finite
    minimum or maximum (each named component walked once)."""
    if isinstance(node, list):
        return [
            p for i, item in enumerate(node) for p in numbers(item, f"{where}[{i}]", schemas, seen)
        ]
    if not isinstance(node, dict):
        return []
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return numbers(schemas[name], name, schemas, seen)
    found = []
    if node.get("type") in ("number", "integer"):
        low = any(isinstance(node.get(k), int | float) for k in ("minimum", "exclusiveMinimum"))
        high = any(isinstance(node.get(k), int | float) for k in ("maximum", "exclusiveMaximum"))
        if not (low and high):
            found.append(where)
    for key, value in node.items():
        found += numbers(value, f"{where}.{key}", schemas, seen)
    return found


def test_every_number_a_request_may_hold_has_a_finite_minimum_and_maximum(tmp_path: Any) -> None:
    document = create_app(make_settings(tmp_path / "data")).openapi()
    schemas = document["components"]["schemas"]
    seen: set[str] = set()
    unbounded: list[str] = []
    walked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                unbounded += numbers(
                    parameter["schema"], f"{where} {parameter['name']}", schemas, seen
                )
                walked += 1
            if "requestBody" in operation:
                unbounded += numbers(operation["requestBody"], f"{where} body", schemas, seen)
                walked += 1
    assert walked > 150 and len(seen) >= 60  # the walk reached the API, not an empty document
    assert unbounded == []


def refused(response: Any, field: str, problem: str) -> None:
    error = assert_error(response, 422, "VALIDATION_ERROR", field)
    assert {"field": field, "problem": problem} in error["details"], error


def test_numbers_past_their_bounds_are_refused_naming_field_and_bound(api: Api) -> None:
    post = api.client.post
    deployment = {
        "name": "d",
        "source": {"kind": "portfolio", "id": "pf_0123456789ab"},
        "capital": 1000,
        "limits": {"min_trade_value": 1e300},
    }
    refused(
        post("/v1/deployments", json=deployment, headers=api.alice),
        "body.limits.min_trade_value",
        f"must be at most {MAX_MONEY:,.0f}".replace(",", ""),
    )
    frontier = {"assets": ["AAPL", "KO"], "bounds": {"lower": 0, "upper": 1e300}}
    response = post("/v1/optimization/efficient-frontier", json=frontier, headers=api.alice)
    refused(response, "body.bounds.upper", "must be at most 10")
    returns = {"returns": {"data": {"A": [0.01, 11.0], "B": [0.0, 0.01]}}}
    response = post("/v1/optimization/hrp", json=returns, headers=api.alice)
    refused(response, "body.returns.data.A.1", "must be at most 10")
    search = {"scenario_weights": {"bear": -1}}
    refused(
        post("/v1/optimizations", json=search, headers=api.alice),
        "body.scenario_weights.bear",
        "must be at least 0",
    )
    hedge = {"name": "d", "source": {"kind": "portfolio", "id": "pf_x"}, "capital": 1000,
             "hedge": {"underlying": "SPY", "vol_model": {"min_volatility": 1e300}}}  # fmt: skip
    response = post("/v1/deployments", json=hedge, headers=api.alice)
    refused(response, "body.hedge.vol_model.min_volatility", "must be less than 100")
    response = api.client.get(
        f"/v1/optimizations/job_x/events?after={MAX_SEQUENCE + 1}", headers=api.alice
    )
    assert_error(response, 422, "VALIDATION_ERROR", "query.after")
    response = post("/agent/threads/search", json={"offset": MAX_COUNT + 1}, headers=api.alice)
    assert response.status_code == 422, response.text


def test_query_parameters_an_operation_does_not_declare_are_refused_naming_them(api: Api) -> None:
    response = api.client.get("/v1/portfolios?offset=false&sort=name", headers=api.alice)
    error = assert_error(response, 422, "VALIDATION_ERROR", "query.offset")
    fields = [detail["field"] for detail in error["details"]]
    assert fields == ["query.offset", "query.sort"]
    assert "is not a parameter here" in error["details"][0]["problem"]
    misspelt = api.client.get("/v1/optimizations?limt=1", headers=api.alice)
    error = assert_error(misspelt, 422, "VALIDATION_ERROR", "query.limt")
    assert "limit" in error["details"][0]["problem"]  # the parameters it takes are listed
    assert api.client.get("/v1/optimizations?limit=1", headers=api.alice).status_code == 200
    assert api.client.get("/v1/portfolios", headers=api.alice).status_code == 200
