"""The local OpenAI-compatible endpoint: wire format (checked with the openai package's own types),
langchain-openai, errors, faults and retries.

The oracle for every reply is the offline model called directly on the same LangChain messages:
the endpoint must reproduce it (text, tool calls, structured output, token usage).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agents.decisions import MarketView
from agents.models import structured_model
from agents.offline.model import OfflineChatModel
from devtools.local_bedrock.faults import FaultPlan
from devtools.local_openai import LocalOpenAI, serve
from settings import OpenAISettings, Settings
from tests.devtools.test_local_bedrock import (
    MARKET_PROMPT,
    REGIME,
    TASK,
    market_statistics,
)

if TYPE_CHECKING:  # openai's client is imported by the tests that use it (~0.7 s to collect)
    from langchain_openai import ChatOpenAI


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOpenAI]:
    with serve() as running:
        yield running


def chat(server: LocalOpenAI, **kwargs: Any) -> ChatOpenAI:
    from langchain_openai import ChatOpenAI

    options: dict[str, Any] = {
        "model": "gpt-test",
        "base_url": server.url,
        "api_key": "not-needed",
        "temperature": 0.0,
        "max_retries": 0,
        "stream_usage": True,
        "use_responses_api": False,
        **kwargs,
    }
    return ChatOpenAI(**options)


def post(server: LocalOpenAI, body: Any, path: str = "/v1/chat/completions") -> tuple[int, Any]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request("POST", path, raw, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def market_messages() -> list[BaseMessage]:
    return [SystemMessage(MARKET_PROMPT), HumanMessage(json.dumps(TASK))]


def test_a_tool_call_reply_is_a_valid_chat_completion(server: LocalOpenAI) -> None:
    from openai.types.chat import ChatCompletion

    tool = {"type": "function", "function": {"name": "market_statistics",
            "parameters": {"type": "object", "properties": {}}}}  # fmt: skip
    body = {
        "model": "gpt-test",
        "messages": [{"role": "system", "content": MARKET_PROMPT},
                     {"role": "user", "content": json.dumps(TASK)}],
        "tools": [tool],
    }  # fmt: skip
    status, data = post(server, body)
    assert status == 200
    parsed = ChatCompletion.model_validate_json(data)
    choice = parsed.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "market_statistics"
    assert json.loads(call.function.arguments)["universe"] == ["AAPL", "KO", "XOM"]
    assert parsed.usage is not None and parsed.usage.total_tokens > 0


def test_a_streamed_reply_is_valid_chunks_with_a_usage_chunk_and_done(server: LocalOpenAI) -> None:
    from openai.types.chat import ChatCompletionChunk

    body = {
        "model": "gpt-test",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": MARKET_PROMPT},
                     {"role": "user", "content": json.dumps(TASK)}],
        "tools": [{"type": "function", "function": {"name": "market_statistics"}}],
    }  # fmt: skip
    status, data = post(server, body)
    assert status == 200
    frames = [line[len("data: ") :] for line in data.decode().split("\n\n") if line]
    assert frames[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate_json(frame) for frame in frames[:-1]]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    argument_pieces = [
        call.function.arguments
        for chunk in chunks[:-1]
        for call in chunk.choices[0].delta.tool_calls or []
        if call.function is not None and call.function.arguments
    ]
    assert len(argument_pieces) > 1  # the arguments arrive in several deltas
    assert json.loads("".join(argument_pieces))["start"] == "2012-01-01"


def test_langchain_tool_calls_and_structured_output_match_the_offline_model(
    server: LocalOpenAI,
) -> None:
    offline = OfflineChatModel(role="market_analysis")
    for streaming in (False, True):
        llm = chat(server, streaming=streaming)
        got = llm.bind_tools([market_statistics]).invoke(market_messages())
        expected = offline.bind_tools([market_statistics]).invoke(market_messages())
        assert got.text == expected.text == "Reading the market first."
        assert [(c["name"], c["args"]) for c in got.tool_calls] == [
            (c["name"], c["args"]) for c in expected.tool_calls
        ]
        assert got.usage_metadata is not None and expected.usage_metadata is not None
        assert got.usage_metadata["total_tokens"] == expected.usage_metadata["total_tokens"]
        history = [
            *market_messages(),
            got,
            ToolMessage(json.dumps(REGIME), tool_call_id=got.tool_calls[0]["id"] or ""),
            HumanMessage("Decide now: answer with MarketView."),
        ]
        reference = offline.with_structured_output(MarketView).invoke(
            [*market_messages(), expected, *history[3:]]
        )
        for method in ("json_schema", "function_calling"):
            settings = Settings(openai=OpenAISettings(structured_output=method))
            reply = structured_model(llm, MarketView, settings)[0].invoke(history)
            assert reply["parsed"] == reference, (streaming, method)
        assert reference.return_regime == "bear" and reference.horizon == 189


def test_models_are_listed(server: LocalOpenAI) -> None:
    import openai

    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)
    ids = [model.id for model in client.models.list()]
    assert "stratigos-offline-optimizer" in ids and len(ids) == 5


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m", "messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "m", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0]"),
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}],
          "tool_choice": {"type": "function", "function": {"name": "nope"}},
          "tools": [{"type": "function", "function": {"name": "f"}}]}, "tool_choice"),
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}],
          "response_format": {"type": "xml"}}, "response_format"),
    ],
)  # fmt: skip
def test_malformed_requests_get_openai_errors_naming_the_parameter(
    server: LocalOpenAI, body: dict[str, Any], param: str
) -> None:
    status, data = post(server, body)
    assert status == 400
    error = json.loads(data)["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert set(error) == {"message", "type", "param", "code"}


def test_unknown_models_paths_and_bad_json_are_refused(server: LocalOpenAI) -> None:
    import openai

    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(
            model="stratigos-offline-nobody", messages=[{"role": "user", "content": "hi"}]
        )
    assert missing.value.code == "model_not_found"
    status, data = post(server, {"model": "m"}, "/v1/embeddings")
    assert status == 404 and json.loads(data)["error"]["code"] == "unknown_url"
    status, data = post(server, b"{not json")
    assert status == 400 and "not valid JSON" in json.loads(data)["error"]["message"]


def test_a_keyed_endpoint_refuses_a_wrong_key() -> None:
    import openai

    with serve(api_key="sk-right") as keyed:
        wrong = openai.OpenAI(base_url=keyed.url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.models.list()
        assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"
        right = openai.OpenAI(base_url=keyed.url, api_key="sk-right", max_retries=0)
        assert len(right.models.list().data) == 5


@pytest.mark.parametrize("kind", ["throttle", "unavailable"])
def test_the_client_retries_injected_429_and_500(kind: str) -> None:
    import openai

    with serve(faults=FaultPlan.parse(f"{kind}@1,2")) as faulty:
        reply = chat(faulty, max_retries=2).invoke(market_messages())
        assert faulty.faults.calls == 3
        assert reply.text
    with serve(faults=FaultPlan.parse(f"{kind}@1,2")) as faulty:
        error = openai.RateLimitError if kind == "throttle" else openai.InternalServerError
        with pytest.raises(error):
            chat(faulty, max_retries=1).invoke(market_messages())
        assert faulty.faults.calls == 2


def test_a_broken_stream_raises_an_api_error() -> None:
    import openai

    with (
        serve(faults=FaultPlan.parse("stream_error@1:2")) as faulty,
        pytest.raises(openai.APIError, match="fault injected at call 1"),
    ):
        list(chat(faulty, streaming=True).stream(market_messages()))
