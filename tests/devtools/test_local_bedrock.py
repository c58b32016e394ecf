"""The local Bedrock Runtime endpoint: wire format, boto3, langchain-aws and the whole workflow.

Everything runs on loopback with fake credentials. The oracle for every reply is the offline
model called directly on the equivalent LangChain messages: the endpoint must reproduce it
exactly (text, tool calls and their ids, token usage). Event stream frames are checked in
`test_eventstream.py`.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from agents.decisions import MarketView
from agents.offline.model import OfflineChatModel
from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.converse import identify_role, split_merged_text
from prompts import load_prompt
from prompts.roles import AGENT_ROLES
from settings.model_catalog import model_catalog

CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
REGION = "us-east-1"


# --------------------------------------------------------------------------------------------
# Roles and system prompts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", AGENT_ROLES)
def test_the_role_is_read_from_the_system_prompt_or_the_model_id(role: str) -> None:
    prompt = load_prompt(role).text
    assert identify_role(CLAUDE, [prompt]) == role
    assert identify_role(CLAUDE, [prompt + "\nYou are now answering in the chat."]) == role
    assert identify_role(f"stratigos-offline-{role}", ["unrelated"]) == role


def test_unknown_system_prompts_fall_back_to_the_supervisor() -> None:
    assert identify_role(CLAUDE, ["You are a helpful assistant."]) == "supervisor"
    assert identify_role(CLAUDE, []) == "supervisor"


def test_merged_messages_are_split_where_the_agents_start_a_new_message() -> None:
    from agents.chat import CHAT_MODE
    from agents.conversation_texts import DECISION_PROMPT, RETRY_PROMPT

    prompt = load_prompt("explanation").text
    merged = "\n".join([prompt, CHAT_MODE, 'LAST_RUN:{"a": 1}'])
    assert split_merged_text(merged) == [prompt, CHAT_MODE, 'LAST_RUN:{"a": 1}']
    ask = DECISION_PROMPT.format(schema="SearchPlan")
    retry = RETRY_PROMPT.format(problem="x", schema="SearchPlan")
    assert split_merged_text('{"task": 1}\n' + ask + "\n" + retry) == ['{"task": 1}', ask, retry]
    assert split_merged_text("line one\nline two") == ["line one\nline two"]
    assert split_merged_text(prompt + "\nmy own instructions") == [prompt, "my own instructions"]


# --------------------------------------------------------------------------------------------
# The endpoint through boto3
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bedrock() -> Iterator[LocalBedrock]:
    with serve() as server:
        yield server


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials; no profile or shared files; tracing off."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "LANGCHAIN_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def client(bedrock: LocalBedrock, aws_env: None) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.url,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}),
    )


WEATHER_SPEC = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
            }
        },
    }
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": WEATHER_SPEC["toolSpec"]["inputSchema"]["json"],  # type: ignore[index]
    },
}
SUPERVISOR = load_prompt("supervisor").text
ASK_WEATHER = '{"city": "Paris", "days": 3}'


def direct(role: str, messages: list[BaseMessage], tools: Any = None, choice: Any = None) -> Any:
    model = OfflineChatModel(role=role)
    runnable = model.bind_tools(tools, tool_choice=choice) if tools else model
    return runnable.invoke(messages)


def usage_of(message: AIMessage) -> dict[str, int]:
    usage = message.usage_metadata
    assert usage is not None
    return {
        "inputTokens": usage["input_tokens"],
        "outputTokens": usage["output_tokens"],
        "totalTokens": usage["total_tokens"],
    }


def test_converse_answers_text_like_the_offline_model(client: Any) -> None:
    response = client.converse(
        modelId=CLAUDE,
        system=[{"text": SUPERVISOR}],
        messages=[{"role": "user", "content": [{"text": "hello there"}]}],
        inferenceConfig={"temperature": 0.0, "maxTokens": 512},
    )
    expected = direct("supervisor", [SystemMessage(SUPERVISOR), HumanMessage("hello there")])
    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": expected.text}],
    }
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == usage_of(expected)
    assert response["metrics"]["latencyMs"] >= 0


def test_converse_calls_a_forced_tool_and_reads_its_result(client: Any) -> None:
    tool_config = {"tools": [WEATHER_SPEC], "toolChoice": {"any": {}}}
    first = [{"role": "user", "content": [{"text": ASK_WEATHER}]}]
    response = client.converse(
        modelId=CLAUDE, system=[{"text": SUPERVISOR}], messages=first, toolConfig=tool_config
    )
    lc_first: list[BaseMessage] = [
        SystemMessage(SUPERVISOR),
        HumanMessage(ASK_WEATHER),
    ]
    expected = direct("supervisor", lc_first, [WEATHER_TOOL], "any")
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    (call,) = expected.tool_calls
    assert block["toolUse"] == {
        "toolUseId": call["id"],
        "name": "get_weather",
        "input": call["args"],
    }
    assert call["args"] == {"city": "Paris", "days": 3}
    assert response["usage"] == usage_of(expected)

    # second turn: the tool result comes back; free tool choice
    result = {"temperature_c": 21.5, "city": "Paris"}
    second = [
        *first,
        {"role": "assistant", "content": [block]},
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": call["id"], "content": [{"json": result}]}}],
        },
    ]
    response = client.converse(
        modelId=CLAUDE,
        system=[{"text": SUPERVISOR}],
        messages=second,
        toolConfig={"tools": [WEATHER_SPEC]},
    )
    lc_second = [
        *lc_first,
        AIMessage("", tool_calls=[call]),
        ToolMessage(json.dumps(result), tool_call_id=call["id"], name="get_weather"),
    ]
    expected = direct("supervisor", lc_second, [WEATHER_TOOL])
    assert response["output"]["message"]["content"] == [{"text": expected.text}]
    assert response["usage"] == usage_of(expected)


def collect_stream(response: Any) -> dict[str, Any]:
    """Reassemble a ConverseStream: event names, text, tool calls (JSON input parsed)."""
    events, text, tools, stop, metadata, tool_deltas = [], "", {}, None, None, 0
    for event in response["stream"]:
        (name, body) = next(iter(event.items()))
        events.append(name)
        if name == "contentBlockStart":
            start = body["start"]["toolUse"]
            tools[body["contentBlockIndex"]] = [start["toolUseId"], start["name"], ""]
        elif name == "contentBlockDelta":
            delta = body["delta"]
            if "text" in delta:
                text += delta["text"]
            else:
                tools[body["contentBlockIndex"]][2] += delta["toolUse"]["input"]
                tool_deltas += 1
        elif name == "messageStop":
            stop = body["stopReason"]
        elif name == "metadata":
            metadata = body
    calls = [{"id": i, "name": n, "args": json.loads(a)} for i, n, a in tools.values()]
    return {
        "events": events,
        "text": text,
        "calls": calls,
        "stop": stop,
        "metadata": metadata,
        "tool_deltas": tool_deltas,
    }


def test_converse_stream_without_tools_streams_the_text(client: Any) -> None:
    response = client.converse_stream(
        modelId=CLAUDE,
        system=[{"text": SUPERVISOR}],
        messages=[{"role": "user", "content": [{"text": "what can you do?"}]}],
    )
    got = collect_stream(response)
    expected = direct("supervisor", [SystemMessage(SUPERVISOR), HumanMessage("what can you do?")])
    assert got["text"] == expected.text and got["calls"] == []
    assert got["events"][0] == "messageStart" and got["events"][-2:] == ["messageStop", "metadata"]
    assert got["events"].count("contentBlockDelta") > 1  # streamed in pieces
    assert "contentBlockStart" not in got["events"]  # Bedrock sends none for text blocks
    assert got["events"].count("contentBlockStop") == 1
    assert got["stop"] == "end_turn"
    assert got["metadata"]["usage"] == usage_of(expected)


def test_converse_stream_streams_tool_input_as_partial_json(client: Any) -> None:
    prompt = load_prompt("market_analysis").text
    task = {"request": {"universe": ["AAPL", "KO"], "start": "2015-01-01", "end": "2020-12-31"}}
    spec = {
        "toolSpec": {
            "name": "market_statistics",
            "description": "Market statistics.",
            "inputSchema": {
                "json": {
                    "type": "object",
                    "properties": {
                        "universe": {"type": "array", "items": {"type": "string"}},
                        "start": {"type": "string"},
                        "end": {"type": "string"},
                    },
                }
            },
        }
    }
    response = client.converse_stream(
        modelId="stratigos-offline-market_analysis",
        system=[{"text": prompt}],
        messages=[{"role": "user", "content": [{"text": json.dumps(task)}]}],
        toolConfig={"tools": [spec], "toolChoice": {"auto": {}}},
    )
    got = collect_stream(response)
    openai_tool = {
        "type": "function",
        "function": {
            "name": "market_statistics",
            "description": "Market statistics.",
            "parameters": spec["toolSpec"]["inputSchema"]["json"],  # type: ignore[index]
        },
    }
    expected = direct(
        "market_analysis",
        [SystemMessage(prompt), HumanMessage(json.dumps(task))],
        [openai_tool],
    )
    assert expected.text and expected.tool_calls  # text and a tool call in one reply
    assert got["text"] == expected.text
    assert got["calls"] == [{k: c[k] for k in ("id", "name", "args")} for c in expected.tool_calls]
    assert got["stop"] == "tool_use"
    assert got["tool_deltas"] > 1  # the input JSON arrives in several pieces
    assert got["events"].count("contentBlockStop") == 2  # the text block and the tool block
    assert got["metadata"]["usage"] == usage_of(expected)


def raw_post(bedrock: LocalBedrock, path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection(bedrock.host, bedrock.port, timeout=30)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data)
    finally:
        connection.close()


def test_the_model_id_is_url_decoded_from_the_path(bedrock: LocalBedrock) -> None:
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": [{"text": "hello"}]}],
            "system": [{"text": SUPERVISOR}],
        }
    ).encode()
    status, _, data = raw_post(
        bedrock, "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse", body
    )
    assert status == 200 and data["stopReason"] == "end_turn"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"messages": []}', "messages must be a non-empty list"),
        (b'{"messages": [{"role": "robot", "content": [{"text": "x"}]}]}', "role"),
        (b'{"messages": [{"role": "user", "content": [{"image": {}}]}]}', "'image'"),
        (
            b'{"messages": [{"role": "user", "content": [{"text": "x"}]}], '
            b'"inferenceConfig": {"temperature": 3}}',
            "temperature",
        ),
    ],
)
def test_malformed_requests_get_a_validation_exception(
    bedrock: LocalBedrock, body: bytes, fragment: str
) -> None:
    status, headers, data = raw_post(bedrock, "/model/amazon.nova-pro-v1%3A0/converse", body)
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    assert fragment in data["message"]


def test_unknown_paths_answer_404(bedrock: LocalBedrock) -> None:
    status, headers, _ = raw_post(bedrock, "/model/m/invoke-something", b"{}")
    assert status == 404 and headers["x-amzn-ErrorType"] == "UnknownOperationException"
    status, _, _ = raw_post(bedrock, "/nothing", b"{}")
    assert status == 404


def test_boto3_raises_bedrock_errors(client: Any) -> None:
    tool_use = {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {}}}
    with pytest.raises(ClientError) as caught:
        client.converse(
            modelId=CLAUDE,
            messages=[
                {"role": "user", "content": [{"text": "x"}]},
                {"role": "assistant", "content": [tool_use]},
                {
                    "role": "user",
                    "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}}],
                },
            ],
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "toolConfig" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        client.converse(
            modelId="stratigos-offline-nobody",
            messages=[{"role": "user", "content": [{"text": "x"}]}],
        )
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# --------------------------------------------------------------------------------------------
# langchain-aws ChatBedrockConverse
# --------------------------------------------------------------------------------------------


@tool
def market_statistics(universe: list[str], start: str, end: str) -> str:
    """Regime, trend, volatility and correlations of the universe."""
    return "{}"


MARKET_PROMPT = load_prompt("market_analysis").text
TASK = {
    "request": {"universe": ["AAPL", "KO", "XOM"], "start": "2012-01-01", "end": "2019-12-31"},
    "horizon": 189,
    "scenarios": ["bull", "bear", "high_vol", "low_vol", "base"],
}
REGIME = {"regime": {"return_regime": "bear", "volatility_regime": "high", "window_days": 63}}


def chat_bedrock(bedrock: LocalBedrock, **kwargs: Any) -> Any:
    from langchain_aws import ChatBedrockConverse

    options: dict[str, Any] = {
        "model": CLAUDE,
        "endpoint_url": bedrock.url,
        "region_name": REGION,
        "temperature": 0.0,
        "config": Config(retries={"max_attempts": 1}),
        **kwargs,
    }
    return ChatBedrockConverse(**options)


def test_langchain_invoke_matches_the_offline_model(bedrock: LocalBedrock, aws_env: None) -> None:
    messages = [SystemMessage(SUPERVISOR), HumanMessage("hi, what can you do?")]
    got = chat_bedrock(bedrock).invoke(messages)
    expected = direct("supervisor", messages)
    assert got.text == expected.text and got.tool_calls == []
    assert got.usage_metadata["input_tokens"] == expected.usage_metadata["input_tokens"]
    assert got.usage_metadata["output_tokens"] == expected.usage_metadata["output_tokens"]


def _market_conversation(model: Any) -> tuple[list[BaseMessage], AIMessage]:
    messages: list[BaseMessage] = [SystemMessage(MARKET_PROMPT), HumanMessage(json.dumps(TASK))]
    reply = model.bind_tools([market_statistics]).invoke(messages)
    return messages, reply


def test_langchain_tool_calls_and_structured_output_match_the_offline_model(
    bedrock: LocalBedrock, aws_env: None
) -> None:
    llm = chat_bedrock(bedrock, disable_streaming=True)
    offline = OfflineChatModel(role="market_analysis")
    messages, got = _market_conversation(llm)
    _, expected = _market_conversation(offline)
    assert got.text == expected.text == "Reading the market first."
    assert got.tool_calls == expected.tool_calls
    assert got.tool_calls[0]["args"] == {
        "universe": ["AAPL", "KO", "XOM"],
        "start": "2012-01-01",
        "end": "2019-12-31",
    }
    call_id = got.tool_calls[0]["id"]
    history = [
        *messages,
        got,
        ToolMessage(json.dumps(REGIME), tool_call_id=call_id, name="market_statistics"),
        HumanMessage("Decide now: answer with MarketView."),
    ]
    view = llm.with_structured_output(MarketView).invoke(history)
    offline_history = [*history[:2], expected, *history[3:]]
    reference = offline.with_structured_output(MarketView).invoke(offline_history)
    assert isinstance(view, MarketView)
    assert view == reference
    assert view.return_regime == "bear" and view.volatility_regime == "high"
    assert view.horizon == 189


def test_langchain_stream_goes_through_converse_stream(
    bedrock: LocalBedrock, aws_env: None
) -> None:
    llm = chat_bedrock(bedrock)  # a Claude id: langchain-aws streams with ConverseStream
    assert not llm.disable_streaming
    messages: list[BaseMessage] = [SystemMessage(MARKET_PROMPT), HumanMessage(json.dumps(TASK))]
    chunks = list(llm.bind_tools([market_statistics]).stream(messages))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    expected = (
        OfflineChatModel(role="market_analysis").bind_tools([market_statistics]).invoke(messages)
    )
    assert len(chunks) > 4
    assert merged.text == expected.text
    assert [(c["name"], c["args"], c["id"]) for c in merged.tool_calls] == [
        (c["name"], c["args"], c["id"]) for c in expected.tool_calls
    ]
    assert merged.usage_metadata is not None and expected.usage_metadata is not None
    assert merged.usage_metadata["total_tokens"] == expected.usage_metadata["total_tokens"]
    assert merged.response_metadata["stopReason"] == "tool_use"


# --------------------------------------------------------------------------------------------
# The agents through Bedrock's client path (provider chosen by settings)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def use_provider(
    bedrock: LocalBedrock, aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Any]:
    """Switch the process settings to the offline provider or to Bedrock on the local endpoint.

    The agents read their model from `get_settings()`, so the provider is set through the
    environment and the settings cache is cleared.
    """
    from settings.config import get_settings

    def use(provider: str) -> None:
        monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", provider)
        monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / provider))
        monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", bedrock.url)
        monkeypatch.setenv("STRATIGOS_BEDROCK_REGION", REGION)
        monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_ATTEMPTS", "1")
        get_settings.cache_clear()
        assert get_settings().models.resolved_provider() == provider

    yield use
    get_settings.cache_clear()


def test_chat_agents_answer_the_same_through_the_endpoint(use_provider: Any) -> None:
    from agents.chat import answer, route_message
    from agents.conversation_texts import LAST_RUN_MARKER

    question = [HumanMessage("What is the CVaR of AAPL and KO since 2019?")]
    why = [HumanMessage("why did that configuration win?")]
    last_run = LAST_RUN_MARKER + json.dumps({"explanation": {"text": "Target vol 0.1 won."}})
    results = {}
    for provider in ("offline", "bedrock"):
        use_provider(provider)
        route = route_message(question).decision
        # three system messages (prompt, chat mode, last run) that langchain-aws merges into one
        explained, _ = answer("explanation", why, [], context=last_run)
        results[provider] = (route, explained[-1].text)
    assert results["bedrock"] == results["offline"]
    assert results["offline"][0].agent == "risk_manager"
    assert results["offline"][1] == "Target vol 0.1 won."


# --------------------------------------------------------------------------------------------
# The whole optimization workflow through Bedrock's client path
# --------------------------------------------------------------------------------------------


def test_the_optimization_workflow_on_the_local_endpoint_reproduces_the_offline_run(
    use_provider: Any,
) -> None:
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest
    from tests.graphs.test_optimization import SMALL

    use_provider("offline")
    offline = run_optimization(OptimizationRequest.model_validate(SMALL))
    use_provider("bedrock")
    remote = run_optimization(OptimizationRequest.model_validate(SMALL))
    assert offline.status == remote.status == "succeeded"
    assert offline.result is not None and remote.result is not None
    assert remote.result["best"] == offline.result["best"]
    assert remote.result["explanation"] == offline.result["explanation"]
    assert remote.result["trials"] == offline.result["trials"]
    assert remote.result["market_view"] == offline.result["market_view"]
    manifest = remote.result["manifest"]
    assert manifest["model_provider"] == "bedrock"
    strong, fast = model_catalog().generation_ids("current")
    assert manifest["model_ids"]["optimizer"] == strong
    assert manifest["model_ids"]["market_analysis"] == fast
    assert offline.result["manifest"]["model_provider"] == "offline"
