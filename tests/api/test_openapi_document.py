"""The app's OpenAPI document is built once: callers that ask at the same time (the app's warm-up
and a first `GET /v1/openapi.json`) share one build and one document, and the apps of one
process with the same operations share one build (each its own copy) and one contract; they
share their routes too, built once a process when their modules are imported (no request builds
them again)."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.contract
import api.openapi_cache
from api.app import create_app
from api.contract import contract_of, contract_openapi
from api.errors import ERROR_RESPONSES
from api.routes import ROUTES
from tests.api.conftest import make_settings

CALLERS = 4


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[FastAPI]:
    """The apps whose document is built from here on, in order (nothing built in this process
    before, nor kept on disk: `api.openapi_cache` keeps them in a directory of the test's)."""
    built: list[FastAPI] = []
    build = api.contract._documented

    def counted(app: FastAPI) -> dict[str, Any]:
        built.append(app)
        return build(app)

    monkeypatch.setattr(api.contract, "_documented", counted)
    monkeypatch.setattr(api.contract, "_DOCUMENTS", {})
    monkeypatch.setattr(api.contract, "_CONTRACTS", {})
    monkeypatch.setattr(api.openapi_cache, "CACHE_DIR", tmp_path / "kept")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(api.openapi_cache, "STARTED_NS", time.time_ns())  # no source edited since
    return built


def test_callers_at_the_same_time_share_one_build(tmp_path: Path, builds: list[FastAPI]) -> None:
    app = create_app(make_settings(tmp_path / "data", api={"job_workers": 0}))
    start = threading.Barrier(CALLERS)

    def ask(_: int) -> dict[str, Any]:
        start.wait()
        return contract_openapi(app)

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            documents = list(pool.map(ask, range(CALLERS)))
        assert builds == [app]
        assert all(document is documents[0] for document in documents)
        assert "/v1/portfolios" in documents[0]["paths"]
        # the contract the requests are checked against, and the route, read the same document
        assert ("POST", "/v1/portfolios") in contract_of(app).validators
        assert TestClient(app).get("/v1/openapi.json").json() == documents[0]
        assert builds == [app]
    finally:
        app.state.context.close()


def test_apps_of_one_process_share_one_build_each_with_its_own_copy(
    tmp_path: Path, builds: list[FastAPI]
) -> None:
    first, second = (
        create_app(make_settings(tmp_path / name, api={"job_workers": 0})) for name in "ab"
    )
    other = create_app(make_settings(tmp_path / "c", api={"job_workers": 0}))

    @other.get("/v1/only-here")
    def only_here() -> dict[str, str]:
        return {}

    try:
        one, two = contract_openapi(first), contract_openapi(second)
        assert builds == [first] and one == two and one is not two
        assert contract_of(first) is contract_of(second)
        assert ("POST", "/v1/portfolios") in contract_of(second).validators
        one["paths"].pop("/v1/portfolios")  # a change to one app's copy stays there
        assert "/v1/portfolios" in two["paths"]
        assert TestClient(second).get("/v1/openapi.json").json() == two
        # an app with other operations has a document of its own
        assert "/v1/only-here" in contract_openapi(other)["paths"] and builds == [first, other]
        assert contract_of(other) is not contract_of(first)
    finally:
        for app in (first, second, other):
            app.state.context.close()


def test_the_routes_are_built_once_and_no_request_builds_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The routes are made, with their final settings, when their modules are imported and
    mounted as made: the first request to each of them (in each app) builds none again, as an
    included router's routes would be (`_EffectiveRouteContext.from_api_route`), and the error
    responses every route documents share one field each."""
    built: list[str] = []
    build = fastapi.routing._EffectiveRouteContext.from_api_route
    make_route = fastapi.routing.APIRoute.__init__

    def counted(**kwargs: Any) -> Any:
        built.append(kwargs["original_route"].path)
        return build(**kwargs)

    def made(route: fastapi.routing.APIRoute, path: str, *args: Any, **kwargs: Any) -> None:
        built.append(path)
        make_route(route, path, *args, **kwargs)

    paths = ("/v1/portfolios", "/v1/optimizations", "/agent/threads/search", "/v1/health")
    first, second = (
        create_app(make_settings(tmp_path / name, api={"job_workers": 0})) for name in "ab"
    )
    monkeypatch.setattr(
        fastapi.routing._EffectiveRouteContext, "from_api_route", staticmethod(counted)
    )
    monkeypatch.setattr(fastapi.routing.APIRoute, "__init__", made)
    try:
        answers = [
            [TestClient(app).get(path).status_code for path in paths] for app in (first, second)
        ]
        assert answers == [[401, 401, 401, 200]] * 2  # each reached its route (and its checks)
        assert built == []  # no request built a route's validators
        assert not any(
            isinstance(route, fastapi.routing._IncludedRouter) for route in ROUTES.routes
        )
        documented = [
            route for route in ROUTES.routes if isinstance(route, fastapi.routing.APIRoute)
        ]
        assert len(documented) > 100
        errors = [route for route in documented if route.responses[404] is ERROR_RESPONSES[404]]
        assert len(errors) > 100 and len({id(route.response_fields[404]) for route in errors}) == 1
    finally:
        for app in (first, second):
            app.state.context.close()


def test_a_process_keeps_the_documents_of_its_latest_route_sets(builds: list[FastAPI]) -> None:
    """Past `KEPT_BUILDS` distinct route sets the oldest document is dropped from the process:
    an app of that set asking again reads it from where it was kept (`api.openapi_cache`), not
    built again; the latest are still shared."""

    def endpoint() -> dict[str, str]:
        return {}

    def app_with_route(number: int) -> FastAPI:
        app = FastAPI(title="routes")
        app.add_api_route(f"/route-{number}", endpoint, methods=["GET"])
        return app

    apps = [app_with_route(number) for number in range(api.contract.KEPT_BUILDS + 1)]
    for number, app in enumerate(apps):
        assert f"/route-{number}" in contract_openapi(app)["paths"]
    assert builds == apps and len(api.contract._DOCUMENTS) == api.contract.KEPT_BUILDS
    oldest, latest = app_with_route(0), app_with_route(len(apps) - 1)
    assert "/route-0" in contract_openapi(oldest)["paths"]
    assert contract_openapi(latest) == contract_openapi(apps[-1])
    assert builds == apps and len(api.contract._DOCUMENTS) == api.contract.KEPT_BUILDS
