"""The Agent Protocol's store under /agent, driven by the real `langgraph-sdk` against uvicorn on
loopback: items put, read, searched, listed and deleted within the caller's own root; two
owners using the same namespaces and keys never meet; hostile text at each door."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import make_settings
from tests.api.test_agent_protocol import Server
from tests.support.hostile import HOSTILE_TEXT, LIBRARY_WORDS
from tests.support.live_server import TLS, running_server


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[Server]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "store"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "store")
    bob, _ = store.create_api_key("bob", "store")
    with running_server(app) as base:
        yield Server(f"{base}/agent", alice, bob, store)


def _refused(call: Any, status: int = 422) -> dict[str, Any]:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        call()
    assert refused.value.response.status_code == status, refused.value.response.text
    assert not any(word in refused.value.response.text for word in LIBRARY_WORDS)
    error: dict[str, Any] = refused.value.response.json()["error"]
    return error


def test_two_owners_with_the_same_names_never_meet(server: Server) -> None:
    alice, bob = server.sync(server.alice), server.sync(server.bob)
    for client, who in ((alice, "alice"), (bob, "bob")):
        client.store.put_item(["prefs"], key="colour", value={"colour": f"{who}'s blue"})
        client.store.put_item(["prefs", "ui"], key="theme", value={"dark": who == "alice"})
    item = alice.store.get_item(["prefs"], key="colour")
    assert item["namespace"] == ["prefs"] and item["value"] == {"colour": "alice's blue"}
    assert item["created_at"] and item["updated_at"]
    assert bob.store.get_item(["prefs"], key="colour")["value"] == {"colour": "bob's blue"}
    found = alice.store.search_items(["prefs"])["items"]
    assert {(tuple(i["namespace"]), i["key"]) for i in found} == {
        (("prefs",), "colour"),
        (("prefs", "ui"), "theme"),
    }
    assert all("alice" in json.dumps(i["value"]) or i["value"] == {"dark": True} for i in found)
    assert alice.store.search_items(["prefs"], filter={"dark": True})["items"][0]["key"] == "theme"
    assert bob.store.search_items(["prefs"], filter={"dark": True})["items"] == []
    assert alice.store.list_namespaces()["namespaces"] == [["prefs"], ["prefs", "ui"]]
    assert alice.store.list_namespaces(max_depth=1)["namespaces"] == [["prefs"]]
    assert alice.store.list_namespaces(suffix=["ui"])["namespaces"] == [["prefs", "ui"]]
    # bob deleting his item leaves alice's
    bob.store.delete_item(["prefs"], key="colour")
    assert _refused(lambda: bob.store.get_item(["prefs"], key="colour"), 404)["code"] == "NOT_FOUND"
    assert alice.store.get_item(["prefs"], key="colour")["value"] == {"colour": "alice's blue"}
    # a write replaces the item
    alice.store.put_item(["prefs"], key="colour", value={"colour": "green"})
    assert alice.store.get_item(["prefs"], key="colour")["value"] == {"colour": "green"}
    # the assistant's memories are elsewhere: nothing here shows in /v1/memories
    known = httpx.get(
        server.url.replace("/agent", "/v1/memories"),
        headers={"x-api-key": server.alice},
        verify=TLS,
    ).json()
    assert known["memories"] == []


def test_what_the_store_does_not_keep_is_refused(server: Server) -> None:
    client = server.sync()
    cases = [
        (lambda: client.store.put_item(["a"], key="k", value={"v": 1}, ttl=5), "body.ttl"),
        (lambda: client.store.put_item(["a"], key="k", value={"v": 1}, index=["v"]), "body.index"),
        (lambda: client.store.search_items(["a"], query="something like"), "body.query"),
        (lambda: client.store.put_item([], key="k", value={"v": 1}), "body.namespace"),
        (lambda: client.store.put_item(["a"] * 11, key="k", value={"v": 1}), "body.namespace"),
        (lambda: client.store.put_item(["x" * 101], key="k", value={"v": 1}), "body.namespace.0"),
        (lambda: client.store.get_item(["a"], key=""), "query.key"),
    ]
    for call, field in cases:
        assert _refused(call)["details"][0]["field"] == field
    response = httpx.put(
        f"{server.url}/store/items",
        json={"namespace": ["a.b"], "key": "k", "value": {}},
        headers={"x-api-key": server.alice},
        verify=TLS,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.namespace.0"
    assert (
        httpx.get(
            f"{server.url}/store/items", params={"key": "k", "namespace": "a"}, verify=TLS
        ).status_code
        == 401
    )


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=HOSTILE_TEXT,
    door=st.sampled_from(["label", "key", "value", "filter", "prefix", "get"]),
)
def test_hostile_text_at_the_store_doors(server: Server, text: str, door: str) -> None:
    headers = {"x-api-key": server.alice, "content-type": "application/json"}
    requests = {
        "label": ("PUT", "/store/items", {"namespace": [text], "key": "k", "value": {}}),
        "key": ("PUT", "/store/items", {"namespace": ["a"], "key": text, "value": {}}),
        "value": ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {"v": text}}),
        "filter": ("POST", "/store/items/search", {"filter": {"v": text}}),
        "prefix": ("POST", "/store/namespaces", {"prefix": [text]}),
    }
    if door == "get":  # a URL's text: no lone surrogate (its bytes are no UTF-8 at all)
        text = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF) + "\u202e"
        response = httpx.get(
            f"{server.url}/store/items",
            params={"namespace": "a", "key": text},
            headers=headers,
            verify=TLS,
        )
    else:
        method, path, body = requests[door]
        response = httpx.request(
            method, f"{server.url}{path}", content=json.dumps(body), headers=headers, verify=TLS
        )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"].split(".")[0] in ("body", "query")
    assert not any(word in response.text for word in LIBRARY_WORDS)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    key=st.one_of(st.text(max_size=8), st.from_regex(r"\A[A-Za-z0-9_.-]{1,8}\Z")),
    wanted=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.sampled_from(["$eq", "$gt", "x", ""]), st.integers(), max_size=2),
    ),
)
def test_a_filter_key_is_a_path_the_store_can_look_up_or_is_refused(
    server: Server, key: str, wanted: Any
) -> None:
    """A key of letters, digits, `_`, `-` and `.` with a value to equal searches; any other key,
    or an object as the value, is refused naming the filter, never a server error."""
    response = httpx.post(
        f"{server.url}/store/items/search",
        content=json.dumps({"namespace_prefix": ["prefs"], "filter": {key: wanted}}),
        headers={"x-api-key": server.alice, "content-type": "application/json"},
        verify=TLS,
    )
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,200}", key) and not isinstance(wanted, dict):
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"][0]["field"] in (
            "body.filter",
            f"body.filter.{key}",
        )
        assert not any(word in response.text for word in LIBRARY_WORDS)
