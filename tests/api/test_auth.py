"""Authentication, limits and the error format of the HTTP API, end to end through the app.

API keys live in the real SQLite store; Cognito tokens are real RS256 JWTs signed with keys made
here, whose JWKS a small HTTP server on 127.0.0.1 serves (`tests.support.cognito`; the app
fetches it as it would the user pool's). Every error is checked against the one error format
(`assert_error`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ApiError
from api.limits import RateLimiter
from settings import Settings
from store import Job, StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.api.conftest import assert_error, make_settings
from tests.support.cognito import CLIENT_ID, GROUP, KID, Jwks, bearer
from tests.support.live_server import closed_port

# --------------------------------------------------------------------------- fixtures


def _client(settings: Settings, store: Any = None) -> TestClient:
    return TestClient(create_app(settings, store), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def settings(api_env: Path) -> Settings:
    """A test app's settings: no in-process job workers (submitted jobs stay pending)."""
    return make_settings(api_env, api={"job_workers": 0})


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with _client(settings) as c:
        yield c


@pytest.fixture(scope="module")
def key(client: TestClient) -> dict[str, str]:
    raw, _ = client.app.state.context.store.create_api_key("carol", "tests")  # type: ignore[attr-defined]
    return {"x-api-key": raw}


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def jwt_client(api_env: Path, jwks: Jwks) -> Iterator[TestClient]:
    """An app accepting Cognito tokens of `jwks.issuer` for CLIENT_ID in GROUP (and keys)."""
    settings = make_settings(
        api_env,
        api={
            "job_workers": 0,
            "cognito": {"issuer": jwks.issuer, "audience": CLIENT_ID, "required_group": GROUP},
        },
    )
    with _client(settings) as c:
        yield c


# --------------------------------------------------------------------------- API keys


def test_no_credentials_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/v1/optimizations")
    error = assert_error(response, 401, "UNAUTHENTICATED")
    assert "x-api-key" in error["message"]
    assert "x-api-key" in response.headers["WWW-Authenticate"]
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_unknown_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/optimizations", headers={"x-api-key": "sk_not_a_real_key"})
    assert_error(response, 401, "UNAUTHENTICATED")
    assert "WWW-Authenticate" in response.headers


def test_a_valid_key_is_accepted(client: TestClient, key: dict[str, str]) -> None:
    response = client.get("/v1/optimizations", headers=key)
    assert response.status_code == 200, response.text
    assert response.json() == []


def test_a_revoked_key_is_refused_by_a_fresh_app_and_cached_for_a_while_by_the_old_one(
    client: TestClient, settings: Settings
) -> None:
    store = client.app.state.context.store  # type: ignore[attr-defined]
    raw, meta = store.create_api_key("dave", "to revoke")
    headers = {"x-api-key": raw}
    assert client.get("/v1/optimizations", headers=headers).status_code == 200
    store.revoke_api_key("dave", meta.id)
    # documented behaviour: a verified key is remembered for KEY_CACHE_SECONDS per process
    assert client.get("/v1/optimizations", headers=headers).status_code == 200
    with _client(settings) as fresh:
        assert_error(fresh.get("/v1/optimizations", headers=headers), 401, "UNAUTHENTICATED")
    # and forgetting the cache (what a revocation in this process does) ends it here too
    client.app.state.context.authenticator.forget_keys()  # type: ignore[attr-defined]
    assert_error(client.get("/v1/optimizations", headers=headers), 401, "UNAUTHENTICATED")


def test_bearer_token_without_a_configured_issuer_is_401_pointing_to_api_keys(
    client: TestClient, jwks: Jwks
) -> None:
    response = client.get("/v1/optimizations", headers=bearer(jwks.token()))
    error = assert_error(response, 401, "UNAUTHENTICATED")
    assert "x-api-key" in error["message"]


def test_a_non_bearer_authorization_header_is_401(client: TestClient) -> None:
    response = client.get("/v1/optimizations", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_error(response, 401, "UNAUTHENTICATED")


# --------------------------------------------------------------------------- Cognito JWT


@pytest.mark.parametrize("use", ["id", "access"])
def test_valid_cognito_tokens_authenticate_as_cognito_sub(
    jwt_client: TestClient, jwks: Jwks, use: str
) -> None:
    sub = f"sub-{use}"
    headers = bearer(jwks.token(use, sub=sub))
    submitted = jwt_client.post("/v1/optimizations", json={}, headers=headers)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    store = jwt_client.app.state.context.store  # type: ignore[attr-defined]
    job: Job = store.get_job(f"cognito:{sub}", job_id)
    assert job.owner == f"cognito:{sub}" and job.status == "pending"
    listed = jwt_client.get("/v1/optimizations", headers=headers)
    assert [j["id"] for j in listed.json()] == [job_id]
    # an API-key caller of the same app does not see the token user's job
    raw, _ = store.create_api_key(f"keyuser-{use}", "tests")
    other = jwt_client.get(f"/v1/optimizations/{job_id}", headers={"x-api-key": raw})
    assert_error(other, 404, "NOT_FOUND")
    assert jwt_client.get("/v1/optimizations", headers={"x-api-key": raw}).json() == []


def test_a_bearer_token_wins_over_a_gateway_usage_plan_key(
    jwt_client: TestClient, jwks: Jwks
) -> None:
    # behind API Gateway, x-api-key carries a usage-plan key the app does not know
    headers = {**bearer(jwks.token("access", sub="sub-both")), "x-api-key": "usage-plan-key"}
    submitted = jwt_client.post("/v1/optimizations", json={}, headers=headers)
    assert submitted.status_code == 202, submitted.text
    store = jwt_client.app.state.context.store  # type: ignore[attr-defined]
    assert store.get_job("cognito:sub-both", submitted.json()["id"]).owner == "cognito:sub-both"


def test_the_jwks_is_fetched_once_and_cached(jwt_client: TestClient, jwks: Jwks) -> None:
    before = jwks.requests
    for i in range(3):
        token = jwks.token("access", sub=f"cached-{i}")
        assert jwt_client.get("/v1/optimizations", headers=bearer(token)).status_code == 200
    assert jwks.requests - before <= 1


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("expired", "expired"),
        ("wrong_issuer", "issuer"),
        ("wrong_audience", "another app client"),
        ("wrong_client_id", "another app client"),
        ("wrong_token_use", "token_use"),
        ("missing_token_use", "token_use"),
        ("bad_signature", "signature"),
        ("unknown_kid", "signing key"),
        ("garbage", "invalid bearer token"),
    ],
)
def test_invalid_tokens_are_401(jwt_client: TestClient, jwks: Jwks, case: str, expect: str) -> None:
    now = int(time.time())
    tokens = {
        "expired": lambda: jwks.token(exp=now - 3600, iat=now - 7200),
        "wrong_issuer": lambda: jwks.token(iss="https://cognito-idp.us-east-1.amazonaws.com/x"),
        "wrong_audience": lambda: jwks.token("id", aud="another-client"),
        "wrong_client_id": lambda: jwks.token("access", client_id="another-client"),
        "wrong_token_use": lambda: jwks.token(token_use="refresh"),
        "missing_token_use": lambda: jwks.token(token_use=None),
        "bad_signature": lambda: jwks.token(key=jwks.other_key),
        "unknown_kid": lambda: jwks.token(key=jwks.other_key, kid="not-published"),
        "garbage": lambda: "not.a.jwt",
    }
    response = jwt_client.get("/v1/optimizations", headers=bearer(tokens[case]()))
    error = assert_error(response, 401, "UNAUTHENTICATED")
    assert expect in error["message"].lower(), error


def test_alg_none_token_is_401(jwt_client: TestClient, jwks: Jwks) -> None:
    now = int(time.time())
    claims = {
        "sub": "intruder",
        "iss": jwks.issuer,
        "aud": CLIENT_ID,
        "token_use": "id",
        "exp": now + 600,
        "cognito:groups": [GROUP],
    }
    token = jwt.encode(claims, None, algorithm="none", headers={"kid": KID})  # type: ignore[arg-type]
    response = jwt_client.get("/v1/optimizations", headers=bearer(token))
    assert_error(response, 401, "UNAUTHENTICATED")


def test_a_user_outside_the_required_group_is_403(jwt_client: TestClient, jwks: Jwks) -> None:
    token = jwks.token("access", sub="outsider", groups=["readers"])
    response = jwt_client.get("/v1/optimizations", headers=bearer(token))
    error = assert_error(response, 403, "FORBIDDEN", field="header.authorization")
    assert GROUP in error["message"]
    no_groups = jwks.token("id", sub="outsider2", groups=[])
    assert_error(jwt_client.get("/v1/optimizations", headers=bearer(no_groups)), 403, "FORBIDDEN")


def test_jwks_server_down_is_503(api_env: Path, jwks: Jwks) -> None:
    with closed_port() as port:
        issuer = f"http://127.0.0.1:{port}/us-east-1_Gone"
        settings = make_settings(api_env, api={"job_workers": 0, "cognito": {"issuer": issuer}})
        with _client(settings) as c:
            response = c.get("/v1/optimizations", headers=bearer(jwks.token(iss=issuer)))
    assert_error(response, 503, "UNAVAILABLE")


# --------------------------------------------------------------------------- rate limit


def test_rate_limit_429_with_retry_after_per_caller(api_env: Path) -> None:
    # 6 per minute refills one token every 10 s: the four requests below take far less
    settings = make_settings(
        api_env, api={"job_workers": 0, "rate_limit_per_minute": 6, "rate_limit_burst": 3}
    )
    with _client(settings) as c:
        store = c.app.state.context.store  # type: ignore[attr-defined]
        first = {"x-api-key": store.create_api_key("erin", "a")[0]}
        second = {"x-api-key": store.create_api_key("erin", "b")[0]}
        for _ in range(3):
            assert c.get("/v1/optimizations", headers=first).status_code == 200
        limited = c.get("/v1/optimizations", headers=first)
        assert_error(limited, 429, "RATE_LIMITED")
        assert int(limited.headers["Retry-After"]) >= 1
        # another key (a separate caller) has its own bucket
        assert c.get("/v1/optimizations", headers=second).status_code == 200
        # unauthenticated health checks are not counted
        assert c.get("/v1/health").status_code == 200


def test_failed_authentications_are_rate_limited_by_client_address(api_env: Path) -> None:
    settings = make_settings(
        api_env, api={"job_workers": 0, "rate_limit_per_minute": 6, "rate_limit_burst": 3}
    )
    with _client(settings) as c:
        for attempt in range(3):
            assert_error(
                c.get("/v1/optimizations", headers={"x-api-key": f"guess-{attempt}"}),
                401,
                "UNAUTHENTICATED",
            )
        blocked = c.get("/v1/optimizations", headers={"x-api-key": "guess-4"})
        assert_error(blocked, 429, "RATE_LIMITED")
        assert int(blocked.headers["Retry-After"]) >= 1


def test_rate_limiter_refills_at_the_configured_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("k")
    with pytest.raises(ApiError) as caught:
        limiter.check("k")
    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "1"}
    limiter.check("other")
    now[0] += 1.0  # one token per second at 60 per minute
    limiter.check("k")
    with pytest.raises(ApiError):
        limiter.check("k")


# --------------------------------------------------------------------------- body size


@pytest.fixture(scope="module")
def small_body_client(api_env: Path) -> Iterator[TestClient]:
    settings = make_settings(api_env, api={"job_workers": 0, "max_body_bytes": 1024})
    with _client(settings) as c:
        yield c


def _big_request() -> bytes:
    body = json.dumps({"universe": ["AAPL"], "search_space": {"x" * 2000: 1.0}}).encode()
    assert len(body) > 1024
    return body


def test_a_declared_body_above_the_limit_is_413_and_nothing_is_created(
    small_body_client: TestClient,
) -> None:
    c = small_body_client
    headers = {"x-api-key": c.app.state.context.store.create_api_key("frank", "t")[0]}  # type: ignore[attr-defined]
    response = c.post(
        "/v1/optimizations",
        content=_big_request(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert "content-length" in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE", field="body")
    assert c.get("/v1/optimizations", headers=headers).json() == []


def test_a_chunked_body_above_the_limit_is_413_and_nothing_is_created(
    small_body_client: TestClient,
) -> None:
    c = small_body_client
    headers = {"x-api-key": c.app.state.context.store.create_api_key("grace", "t")[0]}  # type: ignore[attr-defined]
    body = _big_request()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 256):
            yield body[i : i + 256]

    response = c.post(
        "/v1/optimizations",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers.get("transfer-encoding") == "chunked"
    error = assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert "1024" in error["message"]
    assert c.get("/v1/optimizations", headers=headers).json() == []
    # a small chunked body still goes through
    ok = c.post(
        "/v1/optimizations",
        content=iter([b"{", b"}"]),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert ok.status_code == 202, ok.text


def test_an_invalid_content_length_is_400(small_body_client: TestClient) -> None:
    import asyncio

    app = small_body_client.app
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/optimizations",
        "raw_path": b"/v1/optimizations",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", b"-5"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 400
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "BAD_REQUEST"


# --------------------------------------------------------------------------- error format


def test_unknown_route_is_404_in_the_error_format(client: TestClient) -> None:
    error = assert_error(client.get("/v1/no-such-thing"), 404, "NOT_FOUND")
    assert "/v1/no-such-thing" in error["message"]


def test_wrong_method_is_405(client: TestClient) -> None:
    assert_error(client.patch("/v1/health"), 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_400(client: TestClient, key: dict[str, str]) -> None:
    response = client.post(
        "/v1/optimizations",
        content=b'{"n_paths": 20,',
        headers={**key, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "BAD_REQUEST", field="body")


def test_a_schema_violation_is_422_naming_the_field(
    client: TestClient, key: dict[str, str]
) -> None:
    response = client.post("/v1/optimizations", json={"n_paths": 5}, headers=key)
    error = assert_error(response, 422, "VALIDATION_ERROR", field="body.n_paths")
    assert "n_paths" in error["message"]
    response = client.get("/v1/optimizations?limit=0", headers=key)
    assert_error(response, 422, "VALIDATION_ERROR", field="query.limit")


class FaultyStore(SQLiteStore):
    """The real SQLite store with one injected fault: reading a job raises a bug."""

    def get_job(self, owner: str, job_id: str) -> Job:
        raise RuntimeError("secret internal detail /srv/stratigos/store.py line 42")


def test_an_internal_error_is_500_without_a_traceback(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FaultyStore(tmp_path / "faulty.sqlite", api_key_pepper="p")
    raw, _ = store.create_api_key("henry", "t")
    try:
        with _client(settings, store) as c:
            response = c.get("/v1/optimizations/job_x", headers={"x-api-key": raw})
            listed = c.get("/v1/optimizations", headers={"x-api-key": raw})
    finally:
        store.close()
    error = assert_error(response, 500, "INTERNAL")
    assert "secret internal detail" not in response.text
    assert "RuntimeError" not in response.text
    assert error["details"] == []
    assert listed.status_code == 200  # the fault is local to the failing call
    # the server log has the traceback
    assert any(
        r.exc_info and "secret internal detail" in str(r.exc_info[1]) for r in caplog.records
    )


class UnreachableStore(SQLiteStore):
    """The real SQLite store whose job listing fails as an unreachable backend does."""

    def list_jobs(self, owner: str, **kwargs: Any) -> list[Job]:
        raise StoreUnavailableError("DynamoDB endpoint http://10.0.0.1 timed out")


def test_an_unavailable_store_is_503_without_details(settings: Settings, tmp_path: Path) -> None:
    store = UnreachableStore(tmp_path / "unreachable.sqlite", api_key_pepper="p")
    raw, _ = store.create_api_key("ivy", "t")
    try:
        with _client(settings, store) as c:
            response = c.get("/v1/optimizations", headers={"x-api-key": raw})
    finally:
        store.close()
    assert_error(response, 503, "UNAVAILABLE")
    assert "10.0.0.1" not in response.text


def test_the_openapi_schema_documents_the_error_format(client: TestClient) -> None:
    schema = client.get("/v1/openapi.json").json()
    responses = schema["paths"]["/v1/optimizations"]["get"]["responses"]
    for status in ("401", "403", "404", "422", "429", "500", "503"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse"), (status, ref)
    security = schema["components"]["securitySchemes"]
    assert security["APIKeyHeader"]["name"] == "x-api-key"
    assert security["HTTPBearer"]["scheme"] == "bearer"


def test_every_405_lists_every_method_of_its_path(client: TestClient) -> None:
    """Paths served by several routes (one per method) once listed only the first route's; a
    URL that several paths match (`/agent/threads/search`, `/agent/threads/{thread_id}`) lists
    the methods of the most specific one, as the schema does (not those of the others)."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    allowed = {path: {m.upper() for m in ops} for path, ops in paths.items()}
    assert sum(len(methods) > 1 for methods in allowed.values()) >= 5
    templates = {path: re.compile(re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in paths}
    for path in allowed:
        url = path.replace("{", "").replace("}", "")  # any value fills a path parameter
        served = set().union(*(allowed[p] for p, t in templates.items() if t.match(url)))
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} - served):
            response = client.request(method, url)
            assert_error(response, 405, "METHOD_NOT_ALLOWED")
            listed = {m.strip() for m in response.headers["allow"].split(",")}
            assert listed == allowed[path], (method, path, listed)
