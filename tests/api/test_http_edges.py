"""The HTTP edges of every body route (`api.contract.RequestContract`): a body sent as another
type than JSON is refused with 415 naming `header.content-type` (not read as something else);
a body with no content type is read as JSON, as documented; a whole number too long to read is a
422 naming its field in our words; a credential header given twice is a 400 naming it, whether
or not the keys are valid or the same."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.contract import contract_of
from quant.problems import MAX_INTEGER_DIGITS
from tests.api.conftest import Api, assert_error
from tests.support.hostile import assert_our_words

NOT_JSON = st.sampled_from(
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/octet-stream",
    ]
)
"""Content types of bodies that are not JSON."""


def _body_routes(api: Api) -> list[tuple[str, str]]:
    """(method, URL with its path parameters filled) of every operation with a JSON body."""
    contract = contract_of(api.client.app)  # type: ignore[arg-type]
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "nothing", path)) for method, path in contract.validators
    )


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=NOT_JSON)
def test_a_body_sent_as_another_type_is_415_on_every_body_route(api: Api, kind: str) -> None:
    routes = _body_routes(api)
    assert len(routes) > 50 and ("POST", "/v1/portfolios") in routes
    for method, url in routes:
        response = api.client.request(
            method,
            url,
            content=b'{"name": "x", "weights": {"AAPL": 1}}',
            headers={**api.alice, "content-type": kind},
        )
        error = assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE", "header.content-type")
        assert error["details"][0]["problem"].startswith(f"is {kind.split(';')[0]}")
        assert "application/json" in error["message"]


def test_a_body_without_a_content_type_is_read_as_json(api: Api) -> None:
    weights = [{"asset": "AAPL", "weight": 0.5}, {"asset": "KO", "weight": 0.5}]
    body = json.dumps({"name": "untyped", "weights": weights}).encode()
    created = api.client.post("/v1/portfolios", content=body, headers=api.alice)
    assert "content-type" not in created.request.headers
    assert created.status_code == 201, created.text
    thread = api.client.post(
        "/agent/threads", content=b'{"metadata": {"title": "t"}}', headers=api.alice
    )
    assert thread.status_code == 200 and thread.json()["metadata"]["title"] == "t", thread.text
    refused = api.client.post("/v1/portfolios", content=b'{"name": 5}', headers=api.alice)
    assert_error(refused, 422, "VALIDATION_ERROR", "body.name")


def test_an_empty_body_of_another_type_is_the_route_s_to_judge(api: Api) -> None:
    """No body is no body whatever its declared type: the route says what it needs."""
    response = api.client.post(
        "/v1/portfolios", content=b"", headers={**api.alice, "content-type": "text/plain"}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("url", "template", "field"),
    [
        (
            "/v1/portfolios",
            '{{"name": "x", "weights": [{{"asset": "AAPL", "weight": {}}}]}}',
            "body.weights.0.weight",
        ),
        ("/v1/portfolios", '{{"name": {}, "weights": []}}', "body.name"),
        (
            "/portfolios",
            '{{"portfolio": {{"name": "x", "assets": [{}]}}}}',
            "body.portfolio.assets.0",
        ),
        ("/agent/threads", '{{"metadata": {{"n": {}}}}}', "body.metadata.n"),
    ],
)
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(digits=st.integers(MAX_INTEGER_DIGITS + 1, 20_000), sign=st.sampled_from(["", "-"]))
def test_a_whole_number_too_long_to_read_is_422_naming_its_field(
    api: Api, url: str, template: str, field: str, digits: int, sign: str
) -> None:
    number = sign + "9" * digits
    response = api.client.post(
        url,
        content=template.format(number).encode(),
        headers={**api.alice, "content-type": "application/json"},
    )
    error = assert_error(response, 422, "VALIDATION_ERROR", field)
    assert error["details"] == [
        {
            "field": field,
            "problem": f"is a whole number of {digits} digits, too long to read (at most "
            f"{MAX_INTEGER_DIGITS} digits)",
        }
    ]
    assert_our_words(response.text)
    assert "error parsing the body" not in response.text


def test_a_whole_number_as_long_as_can_be_read_meets_the_field_s_bound(api: Api) -> None:
    number = "9" * MAX_INTEGER_DIGITS
    response = api.client.post(
        "/v1/portfolios",
        content=f'{{"name": "x", "weights": [{{"asset": "AAPL", "weight": {number}}}]}}'.encode(),
        headers={**api.alice, "content-type": "application/json"},
    )
    error = assert_error(response, 422, "VALIDATION_ERROR", "body.weights.0.weight")
    assert "at most" in error["details"][0]["problem"]


def _headers(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return [*pairs, ("content-type", "application/json")]


@pytest.mark.parametrize("twice", ["same", "other", "invalid"])
def test_a_repeated_credential_header_is_400_naming_it(api: Api, twice: str) -> None:
    alice, bob = api.alice["x-api-key"], api.bob["x-api-key"]
    second = {"same": alice, "other": bob, "invalid": "sk-nothing"}[twice]
    requests: list[tuple[list[tuple[str, str]], str]] = [
        (_headers(("x-api-key", alice), ("x-api-key", second)), "header.x-api-key"),
        (_headers(("X-Api-Key", second), ("x-api-key", alice)), "header.x-api-key"),
        (
            _headers(("authorization", f"Bearer {alice}"), ("authorization", f"Bearer {second}")),
            "header.authorization",
        ),
    ]
    for headers, field in requests:
        for method, url, content in (
            ("GET", "/v1/portfolios", None),
            ("POST", "/v1/portfolios", b'{"name": "x", "weights": {"AAPL": 1}}'),
            ("POST", "/mcp", b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'),
            ("GET", "/agent/threads/nothing", None),
        ):
            response = api.client.request(method, url, content=content, headers=headers)
            error: dict[str, Any] = assert_error(response, 400, "BAD_REQUEST", field)
            assert error["details"] == [
                {"field": field, "problem": "is given 2 times; send one credential, once"}
            ]
    alone = api.client.get("/v1/portfolios", headers=[("x-api-key", alice)])
    assert alone.status_code == 200
    both = api.client.get(
        "/v1/portfolios", headers=[("x-api-key", alice), ("authorization", f"Bearer {bob}")]
    )
    assert both.status_code != 400  # one of each is not a repetition (auth decides)
