"""`/mcp` answers every frame it refuses with a JSON-RPC error in our words: our message, and the
project's error document (the same message, our code, the fields) as its data; never a
library's text, never a server error. Malformed frames (a batch, no method, `jsonrpc` "1.0",
params as a list, 100,000-deep arguments, lone surrogates) and any JSON value hypothesis makes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.support.hostile import (
    LONE_SURROGATE_TEXT,
    assert_our_words,
    body,
    too_deep,
)

HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
OUR_CODES = {
    "BAD_REQUEST",
    "VALIDATION_ERROR",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "UNSUPPORTED_MEDIA_TYPE",
}
CALL = {"jsonrpc": "2.0", "id": 7, "method": "tools/call"}


def post(api: Api, content: bytes, headers: dict[str, str] | None = None) -> Any:
    return api.client.post(
        "/mcp", content=content, headers={**HEADERS, **api.alice, **(headers or {})}
    )


def refusal(response: Any) -> dict[str, Any]:
    """The JSON-RPC error of an answer, checked to be in our words."""
    assert response.status_code < 500, response.text
    assert_our_words(response.text)
    answer = response.json()
    assert set(answer) == {"jsonrpc", "id", "error"} and answer["jsonrpc"] == "2.0", answer
    error = answer["error"]
    assert isinstance(error["code"], int) and error["code"] < 0
    document = error["data"]["error"]
    assert document["message"] == error["message"] and document["code"] in OUR_CODES
    assert all(set(d) == {"field", "problem"} for d in document["details"])
    return dict(answer)


@pytest.mark.parametrize(
    ("content", "status", "rpc_code", "code", "field"),
    [
        (body([{**CALL, "params": {"name": "x"}}]), 400, -32600, "VALIDATION_ERROR", "body"),
        (body({"jsonrpc": "2.0", "id": 1}), 400, -32600, "VALIDATION_ERROR", "method"),
        (body({**CALL, "jsonrpc": "1.0"}), 200, -32600, "VALIDATION_ERROR", "jsonrpc"),
        (body({**CALL, "params": [1, 2]}), 200, -32600, "VALIDATION_ERROR", "params"),
        (body({**CALL, "id": True}), 400, -32600, "VALIDATION_ERROR", "id"),
        (body({**CALL, "id": 1.5}), 400, -32600, "VALIDATION_ERROR", "id"),
        (body({**CALL, "params": {"name": 5}}), 200, -32602, "VALIDATION_ERROR", "params.name"),
        (body({**CALL, "params": {}}), 200, -32602, "VALIDATION_ERROR", "params.name"),
        (body({**CALL, "method": "tasks/list"}), 200, -32601, "NOT_FOUND", "method"),
        (body({"jsonrpc": "2.0", "method": "notifications/nothing"}), 400, -32601, "NOT_FOUND", "method"),
        (body({**CALL, "params": {"name": "x", "arguments": {"\ud800": 1}}}), 200, -32600, "VALIDATION_ERROR", "params.arguments.\\ud800"),
        (body({**CALL, "id": "\udc00"}), 400, -32600, "VALIDATION_ERROR", "id"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x", "arguments": ' + too_deep(100_000) + b"}}", 400, -32600, "VALIDATION_ERROR", "body"),
        (body({**CALL, "params": {"name": "x", "arguments": json.loads(too_deep(70))}}), 200, -32600, "VALIDATION_ERROR", "params.arguments"),
        (b"{not json", 400, -32700, "BAD_REQUEST", "body"),
        (b"\xff\xfe", 400, -32700, "BAD_REQUEST", "body"),
        (body(42), 400, -32600, "VALIDATION_ERROR", "body"),
    ],
)  # fmt: skip
def test_a_malformed_frame_is_a_json_rpc_error_in_our_words(
    api: Api, content: bytes, status: int, rpc_code: int, code: str, field: str
) -> None:
    response = post(api, content)
    answer = refusal(response)
    assert response.status_code == status, response.text
    assert answer["error"]["code"] == rpc_code
    document = answer["error"]["data"]["error"]
    assert document["code"] == code
    assert document["details"][0]["field"].startswith(field), document
    assert answer["id"] == (7 if status == 200 else None)


@pytest.mark.parametrize(
    ("headers", "status", "code", "field"),
    [
        ({"accept": "application/json"}, 406, "NOT_ACCEPTABLE", "header.accept"),
        ({"content-type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE", "header.content-type"),
        ({"mcp-protocol-version": "1999-01-01"}, 400, "BAD_REQUEST", "header.mcp-protocol-version"),
    ],
)
def test_a_header_the_transport_needs_is_named_in_our_words(
    api: Api, headers: dict[str, str], status: int, code: str, field: str
) -> None:
    response = post(api, body({**CALL, "params": {"name": "draft_status"}}), headers)
    assert response.status_code == status
    document = refusal(response)["error"]["data"]["error"]
    assert document["code"] == code and document["details"][0]["field"] == field


def test_a_well_formed_request_still_reaches_the_tools(api: Api) -> None:
    call = {**CALL, "params": {"name": "draft_status", "arguments": {"draft_id": "th_none"}}}
    response = post(api, body(call))
    assert response.status_code == 200, response.text
    (line,) = [x for x in response.text.splitlines() if x.startswith("data:")]
    result = json.loads(line.removeprefix("data:"))["result"]
    assert result["isError"] and result["structuredContent"]["error"]["code"] == "NOT_FOUND"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | LONE_SURROGATE_TEXT
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
"""Any JSON value, lone surrogates included."""


@settings(max_examples=60, deadline=None)
@given(
    frame=st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"jsonrpc": st.sampled_from(["2.0", "1.0"]), "method": JSON},
            optional={"id": JSON, "params": JSON},
        ),
        st.fixed_dictionaries(
            {
                "jsonrpc": st.just("2.0"),
                "id": st.integers(),
                "method": st.sampled_from(["tools/call", "resources/read", "prompts/get"]),
                "params": st.dictionaries(st.sampled_from(["name", "uri", "arguments"]), JSON),
            }
        ),
    )
)
def test_no_frame_is_answered_with_a_server_error_or_a_library_s_words(
    api: Api, frame: Any
) -> None:
    response = post(api, body(frame))
    assert response.status_code < 500, response.text
    assert_our_words(response.text)
    if response.headers["content-type"].startswith("application/json"):
        refusal(response)


def _answer_of(response: Any) -> dict[str, Any]:
    """The JSON-RPC answer an event stream carries."""
    assert response.status_code == 200, response.text
    (line,) = [x for x in response.text.splitlines() if x.startswith("data:")]
    return dict(json.loads(line.removeprefix("data:")))


def test_tool_arguments_and_prompt_arguments_keep_the_text_rule_over_http(api: Api) -> None:
    idea = {"title": "Staples\u202e", "thesis": "Defensive.", "tickers": ["KO", "PG"]}
    call = {**CALL, "params": {"name": "save_idea", "arguments": idea}}
    result = _answer_of(post(api, body(call)))["result"]
    document = result["structuredContent"]["error"]
    assert result["isError"] and document["code"] == "VALIDATION_ERROR"
    assert document["details"][0]["field"] == "arguments.title"
    assert api.store.list_ideas("alice").items == []  # nothing kept
    prompt = {**CALL, "method": "prompts/get"}
    prompt["params"] = {"name": "research_view", "arguments": {"subject": "KO\x1b[2J"}}
    answer = _answer_of(post(api, body(prompt)))
    assert_our_words(json.dumps(answer))
    assert answer["error"]["code"] == -32602
    assert answer["error"]["data"]["error"]["details"][0]["field"] == "arguments.subject"
