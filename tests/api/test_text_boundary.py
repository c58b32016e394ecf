"""One text boundary at every door: a lone surrogate (`"\\ud800"` in JSON), a control or
bidirectional character and nesting past `MAX_DEPTH` are refused the same way on every route of
the OpenAPI document (/v1, the founding API's paths, /agent), in uploads and in dataset column
names: 4xx in the project's format naming the field, never a server error, never a library's
words, and nothing stored. (MCP: `tests/api/test_mcp_frames.py` for frames,
`tests/api/test_mcp_tools.py` for tool arguments.)

The sweep walks each operation's request schema for the places a value can be (properties,
items, map keys), puts hostile text at each in turn, and expects the refusal to name it."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant.problems import TEXT_PATTERN, shown
from tests.api.conftest import Api, assert_error, make_settings
from tests.support.hostile import (
    BIDI,
    CONTROLS,
    LONE_SURROGATE_TEXT,
    PLAIN,
    assert_our_words,
    body,
    nested,
    too_deep,
    with_char,
)

MAX_SCHEMA_DEPTH = 4
"""How deep the sweep follows a request schema."""


def _document() -> dict[str, Any]:
    """The app's OpenAPI document (an app on a data dir of its own, removed after)."""
    from api.app import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        return dict(create_app(make_settings(Path(data_dir))).openapi())


def _resolved(schema: Any, components: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema if isinstance(schema, dict) else {}


def _states_rule(schema: Any, components: dict[str, Any]) -> bool:
    """Whether `schema` (or a branch of it) holds its text to the text rule."""
    schema = _resolved(schema, components)
    branches = schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", [])
    return schema.get("pattern") == TEXT_PATTERN or any(
        _states_rule(b, components) for b in branches
    )


def _places(
    schema: Any, components: dict[str, Any], depth: int = 0
) -> Iterator[tuple[list[Any], bool]]:
    """Paths (lists of keys and indices) to each place a value can be in `schema`'s documents
    (a map's place is the key `"k"`), with whether the contract holds the text there to the
    text rule."""
    schema = _resolved(schema, components)
    if depth >= MAX_SCHEMA_DEPTH:
        return
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        yield from _places(branch, components, depth)
    for name, inner in (schema.get("properties") or {}).items():
        yield [name], _states_rule(inner, components)
        yield from (([name, *rest], kept) for rest, kept in _places(inner, components, depth + 1))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield ["k"], _states_rule(extra, components)
        yield from ((["k", *rest], kept) for rest, kept in _places(extra, components, depth + 1))
    if "items" in schema:
        yield [0], _states_rule(schema["items"], components)
        inner_places = _places(schema["items"], components, depth + 1)
        yield from (([0, *rest], kept) for rest, kept in inner_places)


def _placed(path: list[Any], value: Any) -> Any:
    """A document holding `value` at `path` (and nothing else)."""
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


def _operations() -> list[tuple[str, str, str, list[Any], bool]]:
    """(method, URL, field, place, whether text there is kept to the text rule before the route
    runs) of every place of every JSON request body: every place of a `/v1` or unversioned body
    and the typed text of the Agent Protocol's (whose free-form parts a route may still hold to
    the rule: a run's user message, `test_a_message_s_content_is_refused_in_our_words`)."""
    document = _document()
    components = document.get("components", {}).get("schemas", {})
    found: dict[tuple[str, str, str], tuple[list[Any], bool]] = {}
    for template, operations in document["paths"].items():
        url = re.sub(r"\{[^}]+\}", "nothing", template)
        for method, operation in operations.items():
            schema = (
                (operation.get("requestBody") or {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            if schema is None:
                continue
            for place, typed in _places(schema, components):
                field = ".".join(map(str, place))
                whole = not url.startswith("/agent/")
                key = (method.upper(), url, field)
                kept = found.get(key, (place, False))[1] or typed or whole
                found[key] = (place, kept)
    return [(m, u, f, p, kept) for (m, u, f), (p, kept) in found.items()]


OPERATIONS = _operations()
ROUTES = sorted({(m, u) for m, u, _, _, _ in OPERATIONS})


def test_the_sweep_covers_every_door_s_bodies() -> None:
    urls = {u for _, u in ROUTES}
    for door in ("/v1/portfolios", "/v1/ideas", "/v1/memories", "/v1/threads", "/v1/profile"):
        assert door in urls
    assert "/portfolios" in urls and "/agent/runs/wait" in urls  # founding paths, /agent
    assert "/v1/threads/nothing/messages" in urls
    assert len(OPERATIONS) > 150


def _refusal(response: Any, field: str) -> dict[str, Any]:
    """The 422 of `response` in our words, with its details on `field` only."""
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert_our_words(response.text)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    named = [d for d in error["details"] if d["field"] == field]
    assert named, error
    return {**error, "details": named}


def _send(api: Api, method: str, url: str, content: bytes) -> Any:
    headers = {**api.alice, "content-type": "application/json"}
    return api.client.request(method, url, content=content, headers=headers)


@pytest.mark.parametrize(("method", "url", "field", "place", "kept"), OPERATIONS, ids=str)
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=LONE_SURROGATE_TEXT)
def test_a_lone_surrogate_anywhere_is_refused_naming_its_field(
    api: Api, method: str, url: str, field: str, place: list[Any], kept: bool, text: str
) -> None:
    response = _send(api, method, url, body(_placed(place, text)))
    _refusal(response, f"body.{field}")
    if place[-1] == "k":  # the key itself
        keyed = _send(api, method, url, body(_placed([*place[:-1], text], 1)))
        _refusal(keyed, f"body.{'.'.join(map(str, [*place[:-1], shown(text)]))}")


@pytest.mark.parametrize(("method", "url", "field", "place", "kept"), OPERATIONS, ids=str)
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=with_char(st.one_of(CONTROLS, BIDI)))
def test_a_control_or_bidi_character_is_refused_wherever_text_is_kept(
    api: Api, method: str, url: str, field: str, place: list[Any], kept: bool, text: str
) -> None:
    response = _send(api, method, url, body(_placed(place, text)))
    if not kept:
        assert response.status_code < 500 and "holds" not in response.text, response.text[:300]
        assert_our_words(response.text)
    else:
        error = _refusal(response, f"body.{field}")
        assert "holds" in error["details"][0]["problem"]


@pytest.mark.parametrize(("method", "url"), ROUTES, ids=lambda x: str(x))
def test_nesting_past_the_limit_is_refused_not_a_server_error(
    api: Api, method: str, url: str
) -> None:
    field = next(place[0] for m, u, _, place, _ in OPERATIONS if (m, u) == (method, url))
    deep = _send(api, method, url, body({field: nested(100)}))
    assert deep.status_code == 422, deep.text[:300]
    error = assert_error(deep, 422, "VALIDATION_ERROR")
    (detail,) = error["details"]
    assert detail["field"].startswith(f"body.{field}.") and detail["field"].count(".") == 64
    assert detail["problem"] == "is nested deeper than 64 levels of arrays and objects"
    _refusal(_send(api, method, url, too_deep(100_000)), "body")


LISTINGS = (
    "/v1/portfolios",
    "/v1/ideas",
    "/v1/threads",
    "/v1/optimizations",
    "/v1/deployments",
    "/portfolios",
    "/agent/threads/search",
)
"""Where an owner's records are listed."""


def _listed(api: Api, headers: dict[str, str], url: str) -> list[Any]:
    if url.endswith("/search"):
        answer = api.client.post(url, json={}, headers=headers)
    else:
        answer = api.client.get(url, headers=headers)
    assert answer.status_code == 200, (url, answer.text)
    data = answer.json()
    return list(data.get("items", data.get("data", [])) if isinstance(data, dict) else data)


def test_nothing_a_refused_request_carried_is_stored(api: Api) -> None:
    key, _ = api.store.create_api_key("mallory", "sweep")
    mallory = {"x-api-key": key, "content-type": "application/json"}
    for method, url, _, place, kept in OPERATIONS:
        for text in ("\ud800", "\x1b[2J" if kept else "\udfff"):
            answer = api.client.request(
                method, url, content=body(_placed(place, text)), headers=mallory
            )
            assert 400 <= answer.status_code < 500, (method, url, place, answer.text[:200])
    for url in LISTINGS:
        assert _listed(api, mallory, url) == [], url
    memories = api.client.get("/v1/memories", headers=mallory).json()
    assert memories.get("memories", memories.get("items")) == [], memories


def test_the_agent_protocol_keeps_free_form_parts_free_but_never_a_lone_surrogate(
    api: Api,
) -> None:
    search = {"metadata": {"note": "tab\tbell\x07"}, "limit": 1}
    free = _send(api, "POST", "/agent/threads/search", body(search))
    assert free.status_code == 200, free.text
    search = {"metadata": {"note": "\ud800"}}
    refused = _send(api, "POST", "/agent/threads/search", body(search))
    _refusal(refused, "body.metadata.note")
    # a thread's title is kept and shown: its text is held to the rule
    titled = _send(api, "POST", "/agent/threads", body({"metadata": {"title": "a\x07"}}))
    _refusal(titled, "body.metadata.title")


def test_a_run_s_answer_and_optimization_input_keep_the_text_rule(api: Api) -> None:
    thread = api.client.post("/agent/threads", json={}, headers=api.alice).json()["thread_id"]
    answer = {
        "assistant_id": "assistant",
        "command": {"resume": {"type": "response", "args": "ok\x07"}},
    }
    _refusal(
        _send(api, "POST", f"/agent/threads/{thread}/runs/wait", body(answer)),
        "body.command.resume.args",
    )
    run = {"assistant_id": "optimization", "input": {"universe": ["KO", "P\u202eG"]}}
    _refusal(_send(api, "POST", "/agent/runs/wait", body(run)), "body.input.universe.1")
    assert _listed(api, api.alice, "/v1/optimizations") == []


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"role": "user", "content": "hi\ud800"}, "body.input.messages.0.content"),
        ({"role": "user", "content": "hi\x1b[2J"}, "body.input.messages.0.content"),
        ({"role": "user", "content": "\u202egnp.exe"}, "body.input.messages.0.content"),
        ({"role": "user", "content": 5}, "body.input.messages.0.content"),
        ({"role": "robot", "content": "hi"}, "body.input.messages.0"),
    ],
)
def test_a_message_s_content_is_refused_in_our_words(
    api: Api, message: dict[str, Any], field: str
) -> None:
    run = {"assistant_id": "assistant", "input": {"messages": [message]}}
    for url in ("/agent/runs/wait", "/agent/runs/stream"):
        _refusal(_send(api, "POST", url, body(run)), field)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=with_char(st.one_of(CONTROLS, BIDI)), good=PLAIN.filter(lambda t: t.strip() != ""))
def test_a_dataset_column_name_holding_refused_text_is_refused_and_not_stored(
    api: Api, name: str, good: str
) -> None:
    column = re.sub(r'[",\r\n]', "", f"X{good}{name}")  # one CSV field, never blank
    csv = f"date,AAPL,{column}\n2020-01-02,1,2\n2020-01-03,1.1,2.1\n"
    response = api.client.post(
        "/v1/market-data/datasets",
        files={"file": ("prices.csv", csv.encode(), "text/csv")},
        headers=api.alice,
    )
    error = assert_error(response, 422, "VALIDATION_ERROR", "file")
    assert "asset column 2" in error["message"] and "holds" in error["message"]
    assert_our_words(response.text)
    listed = api.client.get("/v1/market-data/datasets", headers=api.alice).json()
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (too_deep(100_000), "nested deeper than 64 levels"),
        (body({"a": nested(70, "x")}), "nested deeper than 64 levels"),
        (body({"view": "bullish\ud800"}), "lone UTF-16 surrogate"),
    ],
)
def test_a_json_document_upload_is_refused_not_a_server_error(
    api: Api, content: bytes, problem: str
) -> None:
    response = api.client.post(
        "/v1/documents",
        files={"file": ("notes.json", content, "application/json")},
        headers=api.alice,
    )
    error = assert_error(response, 422, "VALIDATION_ERROR", "file")
    assert problem in error["message"]
    assert_our_words(response.text)
    assert api.client.get("/v1/documents", headers=api.alice).json()["items"] == []


def test_a_valid_body_still_passes(api: Api) -> None:
    saved = api.client.post(
        "/v1/portfolios",
        content=json.dumps({"name": "Tabs\tare fine", "weights": [{"asset": "KO", "weight": 1.0}]}),
        headers={**api.bob, "content-type": "application/json"},
    )
    assert saved.status_code in (200, 201), saved.text
