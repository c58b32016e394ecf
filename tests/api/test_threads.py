"""Chat over HTTP: threads, a message streamed as SSE, approve / edit / reject, tenancy."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest

from tests.api.conftest import Api, assert_error, parse_sse, slow

ASK = "find the target-vol setting that holds up in a bear market"
JSON = {"accept": "application/json"}


def new_thread(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    response = api.client.post("/v1/threads", json={"title": "bear market"}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/threads/{response.json()['id']}"
    return dict(response.json())


def stream(api: Api, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    with api.client.stream("POST", path, json=body, headers=api.alice) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(list(response.iter_lines()))


def test_a_message_streams_its_trace_and_pauses_for_approval(api: Api) -> None:
    thread = new_thread(api, api.alice)
    messages = stream(api, f"/v1/threads/{thread['id']}/messages", {"content": ASK})
    kinds = [m["event"] for m in messages]
    assert kinds[-2:] == ["turn", "end"]
    trace = [json.loads(m["data"]) for m in messages[:-2]]
    assert [int(m["id"]) for m in messages[:-2]] == [e["seq"] for e in trace]
    assert trace[0]["type"] == "run_started"
    assert {"node_started", "tool_call"} <= {e["type"] for e in trace}
    turn = json.loads(messages[-2]["data"])
    assert turn["pending"]["request"]["scenarios"]  # the drafted OptimizationRequest
    assert json.loads(messages[-1]["data"]) == {"status": "interrupted"}
    detail = api.client.get(f"/v1/threads/{thread['id']}", headers=api.alice).json()
    assert detail["messages"][0] == {
        "role": "user",
        "content": ASK,
        "tool_calls": [],
        "name": None,
    }
    assert detail["pending"] == turn["pending"]


def test_edit_then_approve_runs_the_edited_request(api: Api) -> None:
    thread = new_thread(api, api.alice)
    api.client.post(
        f"/v1/threads/{thread['id']}/messages", json={"content": ASK}, headers={**api.alice, **JSON}
    )
    changes = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 20}
    messages = stream(
        api, f"/v1/threads/{thread['id']}/approve", {"action": "edit", "changes": changes}
    )
    trace = [json.loads(m["data"]) for m in messages if m["event"] not in ("turn", "end")]
    progress = [e for e in trace if e["type"] == "progress" and e["data"].get("unit") == "trials"]
    assert progress and progress[-1]["data"]["done"] == 20
    turn = json.loads(next(m["data"] for m in messages if m["event"] == "turn"))
    assert turn["pending"] is None and any("succeeded" in r for r in turn["replies"])
    detail = api.client.get(f"/v1/threads/{thread['id']}", headers=api.alice).json()
    assert detail["pending"] is None
    assert detail["messages"][-1]["role"] == "assistant"
    assert_error(
        api.client.post(
            f"/v1/threads/{thread['id']}/approve", json={"action": "approve"}, headers=api.alice
        ),
        409,
        "CONFLICT",
    )


def test_reject_in_json_mode_drops_the_proposal(api: Api) -> None:
    thread = new_thread(api, api.alice)
    first = api.client.post(
        f"/v1/threads/{thread['id']}/messages", json={"content": ASK}, headers={**api.alice, **JSON}
    ).json()
    assert first["pending"] is not None and first["events"]
    rejected = api.client.post(
        f"/v1/threads/{thread['id']}/approve",
        json={"action": "reject"},
        headers={**api.alice, **JSON},
    ).json()
    assert rejected["pending"] is None
    assert (
        api.client.get(f"/v1/threads/{thread['id']}", headers=api.alice).json()["pending"] is None
    )


def test_threads_belong_to_their_owner(api: Api) -> None:
    thread = new_thread(api, api.alice)
    base = f"/v1/threads/{thread['id']}"
    assert thread["id"] in [
        t["id"] for t in api.client.get("/v1/threads", headers=api.alice).json()
    ]
    assert thread["id"] not in [
        t["id"] for t in api.client.get("/v1/threads", headers=api.bob).json()
    ]
    for method, path, body in [
        ("GET", base, None),
        ("POST", f"{base}/messages", {"content": ASK}),
        ("POST", f"{base}/approve", {"action": "approve"}),
        ("DELETE", base, None),
    ]:
        assert_error(api.client.request(method, path, json=body, headers=api.bob), 404, "NOT_FOUND")
    from graphs.chat import ChatSession

    api.client.post(f"{base}/messages", json={"content": ASK}, headers={**api.alice, **JSON})
    key = api.store.get_thread("alice", thread["id"]).checkpoint  # the conversation's own key
    session = ChatSession(thread["id"], settings=api.settings, checkpoint=key)
    assert session.history() and (session.directory / "events.jsonl").is_file()
    assert api.client.delete(base, headers=api.alice).status_code == 204
    assert_error(api.client.get(base, headers=api.alice), 404, "NOT_FOUND")
    assert not session.directory.exists()
    # the conversation is gone too, not only the thread's entry: at once on SQLite, with the
    # cleanup's purge on AWS (the API deletes nothing there)
    api.store.purge_deleted()
    assert session.history() == []


def test_bad_chat_input_names_the_field(api: Api) -> None:
    thread = new_thread(api, api.alice)
    base = f"/v1/threads/{thread['id']}"
    assert_error(
        api.client.post(f"{base}/messages", json={"content": ""}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.content",
    )
    assert_error(
        api.client.post(f"{base}/messages", json={"content": "   "}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.content",
    )
    assert_error(
        api.client.post(f"{base}/approve", json={"action": "maybe"}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.action",
    )
    assert_error(
        api.client.post("/v1/threads", json={"title": ""}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.title",
    )


def test_an_invalid_edit_is_422_and_keeps_the_proposal(api: Api) -> None:
    thread = new_thread(api, api.alice)
    first = api.client.post(
        f"/v1/threads/{thread['id']}/messages", json={"content": ASK}, headers={**api.alice, **JSON}
    ).json()
    assert first["pending"] is not None
    response = api.client.post(
        f"/v1/threads/{thread['id']}/approve",
        json={"action": "edit", "changes": {"n_paths": "abc"}},
        headers=api.alice,
    )
    assert_error(response, 422, "VALIDATION_ERROR", "body.n_paths")
    detail = api.client.get(f"/v1/threads/{thread['id']}", headers=api.alice).json()
    assert detail["pending"] == first["pending"]


def test_busy_threads_are_409_and_a_full_server_is_429(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import thread_turns

    thread = new_thread(api, api.alice)
    url = f"/v1/threads/{thread['id']}/messages"
    # a turn of this thread runs in another process: it holds the thread's lease in the store
    key = thread_turns.turn_key(thread["id"])
    assert api.store.hold_lease("alice", key, "another process", 60)
    assert_error(api.client.post(url, json={"content": ASK}, headers=api.alice), 409, "CONFLICT")
    api.store.release_lease("alice", key, "another process")
    # the process is answering its maximum
    monkeypatch.setattr(thread_turns.TURNS, "running", thread_turns.MAX_CONCURRENT_TURNS)
    response = api.client.post(url, json={"content": ASK}, headers=api.alice)
    assert_error(response, 429, "RATE_LIMITED", "thread")
    assert response.headers["Retry-After"] == "5"
    monkeypatch.setattr(thread_turns.TURNS, "running", 0)
    answered = api.client.post(url, json={"content": ASK}, headers={**api.alice, **JSON})
    assert answered.status_code == 200, answered.text
    assert api.store.cache_get("alice", key) is None  # the turn's hold ended with it


def test_the_thread_is_free_when_its_turn_s_answer_arrives(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sends its next message as soon as a turn's `turn` event arrives is
    answered, not refused as busy, even when the store is slow to free the thread: the turn's
    hold ends before its answer is sent."""
    from api import thread_turns

    monkeypatch.setattr(api.store, "release_lease", slow(api.store.release_lease))
    thread = new_thread(api, api.alice)
    path = f"/v1/threads/{thread['id']}/messages"
    for ask in ("what is risk parity?", "and HRP?", "which of them is cheaper to run?"):
        with api.client.stream("POST", path, json={"content": ask}, headers=api.alice) as response:
            assert response.status_code == 200, response.read()
            for line in response.iter_lines():
                if line == "event: turn":
                    assert not thread_turns.thread_busy(api.store, "alice", thread["id"])
                    break
            else:
                raise AssertionError("the stream ended without its turn")


def test_a_chat_portfolio_is_saved_to_its_owner_s_portfolios(api: Api) -> None:
    """The portfolio the assistant builds is on the Portfolios page (`/v1/portfolios`) of the
    thread's owner, with the weights the chat reported, once; other owners never see it."""
    thread = new_thread(api, api.alice)
    path = f"/v1/threads/{thread['id']}/messages"
    ask = {"content": "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018"}
    turn = api.client.post(path, json=ask, headers={**api.alice, **JSON}).json()
    (saved,) = turn["saved_portfolios"]
    assert saved["chat_id"] in " ".join(turn["replies"])  # the id the conversation uses
    portfolio = api.client.get(f"/v1/portfolios/{saved['portfolio_id']}", headers=api.alice)
    assert portfolio.status_code == 200, portfolio.text
    body = portfolio.json()
    weights = {w["asset"]: w["weight"] for w in body["weights"]}
    assert set(weights) == {"AAPL", "MSFT", "JNJ"} and abs(sum(weights.values()) - 1) < 1e-9
    for asset, weight in weights.items():  # as the reply states them, in percent
        assert f"{asset} {100 * weight:.1f}%" in " ".join(turn["replies"])
    assert body["name"] == saved["name"] and body["name"].startswith("hrp portfolio of")
    assert thread["id"] in body["notes"] and saved["chat_id"] in body["notes"]
    mine = [p["id"] for p in api.client.get("/v1/portfolios", headers=api.alice).json()["items"]]
    assert mine.count(saved["portfolio_id"]) == 1
    theirs = api.client.get("/v1/portfolios", headers=api.bob).json()["items"]
    assert saved["portfolio_id"] not in [p["id"] for p in theirs]
    assert_error(
        api.client.get(f"/v1/portfolios/{saved['portfolio_id']}", headers=api.bob), 404, "NOT_FOUND"
    )
    # a follow-up that builds nothing saves nothing
    follow = {"content": "what is its 95% VaR?"}
    again = api.client.post(path, json=follow, headers={**api.alice, **JSON}).json()
    assert again["saved_portfolios"] == [] and again["replies"]
    after = api.client.get("/v1/portfolios", headers=api.alice).json()["items"]
    assert [p["id"] for p in after].count(saved["portfolio_id"]) == 1


def test_an_approved_chat_run_is_one_of_the_owner_s_jobs(api: Api) -> None:
    """The run a thread approves is an optimization job of the thread's owner: in their jobs
    list with its stored result, named in the reply; other owners never see it."""
    thread = new_thread(api, api.alice)
    base = f"/v1/threads/{thread['id']}"
    ask = {"content": "search the target vol that holds up in a bear market with 10 trials for KO"}
    first = api.client.post(f"{base}/messages", json=ask, headers={**api.alice, **JSON}).json()
    assert first["pending"] is not None
    done = api.client.post(
        f"{base}/approve", json={"action": "approve"}, headers={**api.alice, **JSON}
    ).json()
    reply = " ".join(done["replies"])
    job_id = reply.split("Run ", 1)[1].split(" ", 1)[0]
    assert job_id.startswith("job_") and f"Run {job_id} succeeded." in reply
    job = api.client.get(f"/v1/optimizations/{job_id}", headers=api.alice).json()
    assert job["status"] == "succeeded"
    listed = api.client.get("/v1/optimizations", headers=api.alice).json()
    assert job_id in [j["id"] for j in listed]
    results = api.client.get(f"/v1/optimizations/{job_id}/results", headers=api.alice).json()
    assert results["job_id"] == job_id and results["best"]["config"]
    assert results["manifest"]["usage"]["trials"] == 10
    assert_error(api.client.get(f"/v1/optimizations/{job_id}", headers=api.bob), 404, "NOT_FOUND")


def _about(reply: str, portfolio_id: str) -> str:
    """What `reply` says after naming `portfolio_id` ("pf_...: ", or a saved one's "Name
    (pf_...): ")."""
    return re.split(rf"{portfolio_id}\)?: ", reply, maxsplit=1)[1]


def _risk_of(reply: str, portfolio_id: str, weights: dict[str, float], level: float) -> None:
    """The reply states, for `portfolio_id`, the historical VaR and CVaR of `weights` over the
    date range it names (computed here with `quant.risk_report`)."""
    from quant import load_sp500_prices, risk_report, to_returns

    said = _about(reply, portfolio_id)
    start, end = said.split(" from ", 1)[1].split(" (", 1)[0].split(".", 1)[0].split(" to ")
    returns = to_returns(load_sp500_prices()[list(weights)]).loc[start:end]
    report = risk_report(pd.Series(weights), returns, level=level)
    assert f"VaR is {report.var_historical:.2%} and the CVaR {report.cvar_historical:.2%}" in said


def test_a_saved_portfolio_is_understood_by_its_id_in_any_of_its_owner_s_threads(
    api: Api,
) -> None:
    """A follow-up may name a portfolio by its saved id (the Portfolios page's, or the one a chat
    saved it under) in any thread of its owner; another owner's id is unknown to them, and a
    portfolio on an uploaded dataset is refused with the reason."""
    made = api.client.post(
        "/v1/portfolios",
        json={
            "name": "Defensive",
            "weights": [{"asset": "JNJ", "weight": 0.6}, {"asset": "KO", "weight": 0.4}],
        },
        headers=api.alice,
    ).json()
    first = new_thread(api, api.alice)
    ask = {"content": "build me an HRP portfolio of AAPL, MSFT and JNJ from 2015 to 2019"}
    built = api.client.post(
        f"/v1/threads/{first['id']}/messages", json=ask, headers={**api.alice, **JSON}
    ).json()
    (saved,) = built["saved_portfolios"]
    chat_weights = {
        w["asset"]: w["weight"]
        for w in api.client.get(
            f"/v1/portfolios/{saved['portfolio_id']}", headers=api.alice
        ).json()["weights"]
    }

    second = new_thread(api, api.alice)
    question = f"what is the 99% VaR of {made['id']} and {saved['portfolio_id']}?"
    turn = api.client.post(
        f"/v1/threads/{second['id']}/messages",
        json={"content": question},
        headers={**api.alice, **JSON},
    ).json()
    reply = " ".join(turn["replies"])
    _risk_of(reply, made["id"], {"JNJ": 0.6, "KO": 0.4}, 0.99)
    _risk_of(reply, saved["portfolio_id"], chat_weights, 0.99)
    assert "from 2015-01-02 to 2019-12-31" in _about(reply, saved["portfolio_id"])
    assert reply.startswith(f"Defensive ({made['id']}): ")  # named as its owner named it
    assert turn["saved_portfolios"] == []  # naming a saved portfolio saves nothing new

    theirs = new_thread(api, api.bob)
    peek = api.client.post(
        f"/v1/threads/{theirs['id']}/messages",
        json={"content": f"what is the 95% VaR of {made['id']}?"},
        headers={**api.bob, **JSON},
    ).json()
    answer = " ".join(peek["replies"])
    assert "no portfolio" in answer and "VaR is" not in answer

    csv = b"date,AAA,BBB\n2024-01-02,10,20\n2024-01-03,11,19\n2024-01-04,12.1,21\n"
    dataset = api.client.post(
        "/v1/market-data/datasets",
        files={"file": ("mine.csv", csv, "application/octet-stream")},
        headers=api.alice,
    ).json()
    on_upload = api.client.post(
        "/v1/portfolios",
        json={
            "name": "Uploaded",
            "weights": [{"asset": "AAA", "weight": 0.5}, {"asset": "BBB", "weight": 0.5}],
            "dataset_id": dataset["id"],
        },
        headers=api.alice,
    ).json()
    refused = api.client.post(
        f"/v1/threads/{second['id']}/messages",
        json={"content": f"what is the 95% VaR of {on_upload['id']}?"},
        headers={**api.alice, **JSON},
    ).json()
    assert f"uploaded dataset {dataset['id']}" in " ".join(refused["replies"])


REFUSAL = "User: arn:aws:iam::123456789012:role/stratigos-api is not authorized to invoke"
"""A model service's refusal that names the operator's account and role."""


def test_a_model_the_service_fails_is_said_by_its_code_without_the_service_s_words(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents.errors import ModelCallError
    from graphs import assistant

    def refused(*args: object, **kwargs: object) -> None:
        raise ModelCallError("supervisor", "AccessDeniedException", REFUSAL)

    monkeypatch.setattr(assistant, "route_message", refused)
    thread = new_thread(api, api.alice)
    messages = stream(api, f"/v1/threads/{thread['id']}/messages", {"content": "hello"})
    failed = [json.loads(m["data"]) for m in messages if m["event"] == "error"]
    assert len(failed) == 1, messages
    error = failed[0]["error"]
    assert error["code"] == "BAD_GATEWAY"
    assert "(AccessDeniedException)" in error["message"] and "will not help" in error["message"]
    assert "123456789012" not in json.dumps(messages)  # the account is the operator's
    assert "internal error" not in error["message"]


def test_the_operations_that_call_a_model_document_its_failure(api: Api) -> None:
    """A chat turn, the Agent Protocol's runs and the strategy estimates can end in 502
    `BAD_GATEWAY` (a model or estimates service failed): their documents say so, in the error
    format."""
    document = api.client.get("/v1/openapi.json", headers=api.alice).json()
    for path, method in (
        ("/v1/threads/{thread_id}/messages", "post"),
        ("/v1/threads/{thread_id}/approve", "post"),
        ("/agent/runs/wait", "post"),
        ("/v1/strategy-estimates", "post"),
    ):
        documented = document["paths"][path][method]["responses"]
        assert "502" in documented, (path, documented.keys())
        schema = documented["502"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, schema
