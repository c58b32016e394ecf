"""Spans of `stratigos optimize` and of a chat turn, received by a loopback OTLP receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from devtools.otlp_receiver import OtlpReceiver, ReceivedSpan
from settings import Settings, TracingSettings
from settings.tracing import configure_tracing, tracing_installed
from tests.support.aws import local_endpoint_env
from tests.support.requests import SMALL_REQUEST

CONTENT_KEYS = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
}
VAR_QUESTION = "what is the 95% VaR of AAPL and XOM?"
CLIENT = 3  # the OTLP span kind of a model call


@pytest.fixture
def receiver(offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A receiver, with the process settings tracing to it over OTLP/HTTP protobuf."""
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("STRATIGOS_TRACING", "otlp")
        monkeypatch.setenv("STRATIGOS_OTLP_ENDPOINT", receiver.url)
        yield receiver
        configure_tracing(
            Settings(data_dir=offline_data_dir, tracing=TracingSettings(exporter="off"))
        )  # uninstall while the receiver still takes the final export


def _chain(receiver: OtlpReceiver, span: ReceivedSpan) -> list[str]:
    """`span`'s name and its ancestors' names, innermost first."""
    names = [span.name]
    while (parent := receiver.parent(span)) is not None:
        names.append(parent.name)
        span = parent
    return names


def _values(spans: list[ReceivedSpan]) -> str:
    return json.dumps([[s.attributes, s.events] for s in spans])


def test_a_trace_of_stratigos_optimize_arrives_with_its_structure_and_genai_attributes(
    receiver: OtlpReceiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(SMALL_REQUEST))
    assert main(["optimize", "--request", str(request), "--json", "--quiet"]) == 0
    run_id = json.loads(capsys.readouterr().out)["manifest"]["run_id"]

    spans = receiver.spans
    assert len({s.trace_id for s in spans}) == 1  # one trace: the command's
    [root] = [s for s in spans if s.parent_id == ""]
    assert root.name == "stratigos optimize"
    assert root.resource["service.name"] == "stratigos"
    [job] = [s for s in receiver.named("job optimization") if s.name == "job optimization"]
    assert receiver.parent(job) is root and job.attributes["stratigos.job_id"] == run_id
    # the learning after the answer (issue 63) starts in the job's trace, below the job
    [learning] = receiver.named("job optimization follow-up")
    assert receiver.parent(learning) is job and learning.attributes["stratigos.job_id"] == run_id
    nodes = {s.attributes["langgraph.node"] for s in receiver.named("node ")}
    assert {"validate", "market_analysis", "plan", "evaluate", "risk_gate", "finalize"} <= nodes
    # every span below the job carries the job's and the run's id
    for span in spans:
        if span not in (root, job, learning):
            assert span.attributes["stratigos.job_id"] == run_id
            assert span.attributes["stratigos.run_id"] == run_id

    # run -> graph node -> agent turn -> the agent's model node -> the model call
    [agent_call, *_] = [
        s
        for s in receiver.named("chat ")
        if receiver.parent(s).name == "node model"  # type: ignore[union-attr]
    ]
    assert _chain(receiver, agent_call)[1:] == [
        "node model",
        "invoke_agent market_analysis",
        "node market_analysis",
        "run optimization",
        "job optimization",
        "stratigos optimize",
    ]
    for call in receiver.named("chat "):
        a = call.attributes
        assert a["gen_ai.operation.name"] == "chat"
        assert a["gen_ai.provider.name"] == "offline"
        assert call.name == f"chat {a['gen_ai.request.model']}"
        assert a["gen_ai.response.model"] == a["gen_ai.request.model"]
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
        assert set(a["gen_ai.response.finish_reasons"]) <= {"stop", "tool_calls"}
        assert call.kind == CLIENT
        assert a["gen_ai.conversation.id"] == run_id  # a run without a thread: the run's id
        assert "server.address" not in a  # the offline model calls no server
    # the GenAI client metrics, one duration point set per model and tokens by type
    durations = receiver.metric("gen_ai.client.operation.duration")
    assert durations and all(p.unit == "s" and p.count >= 1 for p in durations)
    assert sum(p.count for p in durations) == len(receiver.named("chat "))
    tokens = receiver.metric("gen_ai.client.token.usage")
    assert {p.attributes["gen_ai.token.type"] for p in tokens} == {"input", "output"}
    assert sum(p.sum for p in tokens if p.attributes["gen_ai.token.type"] == "input") == sum(
        c.attributes["gen_ai.usage.input_tokens"] for c in receiver.named("chat ")
    )
    [tool] = receiver.named("execute_tool market_statistics")
    assert tool.attributes["gen_ai.tool.name"] == "market_statistics"
    assert tool.attributes["gen_ai.tool.call.id"].startswith("call_market_analysis_")
    assert _chain(receiver, tool)[1:3] == ["node tools", "invoke_agent market_analysis"]
    # no prompt, completion or tool content by default
    assert not any(CONTENT_KEYS & set(s.attributes) for s in spans)
    assert "AAPL" not in _values(spans)  # the request's universe reaches prompts and tools only


def test_a_chat_turn_keeps_the_user_s_words_and_tool_results_out_of_spans(
    receiver: OtlpReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--thread", "t1", "-m", VAR_QUESTION, "--quiet"]) == 0
    reply = capsys.readouterr().out
    assert "one-day VaR" in reply
    spans = receiver.spans
    [turn] = receiver.named("assistant turn")
    assert turn.attributes["stratigos.thread_id"] == "t1"
    assert receiver.parent(turn).name == "stratigos chat"  # type: ignore[union-attr]
    tools = receiver.named("execute_tool ")
    assert tools and all("assistant turn" in _chain(receiver, t) for t in tools)
    text = _values(spans)
    assert VAR_QUESTION not in text and "VaR" not in text and "AAPL" not in text
    assert not any(CONTENT_KEYS & set(s.attributes) for s in spans)


def test_with_trace_content_on_prompts_and_tool_results_are_in_spans(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from settings import get_settings

    monkeypatch.setenv("STRATIGOS_TRACE_CONTENT", "true")
    get_settings.cache_clear()
    assert main(["chat", "--thread", "t2", "-m", VAR_QUESTION, "--quiet"]) == 0
    capsys.readouterr()
    first_call = receiver.named("chat ")[0]
    assert VAR_QUESTION in first_call.attributes["gen_ai.input.messages"]
    tool = receiver.named("execute_tool ")[0]
    assert "AAPL" in tool.attributes["gen_ai.tool.call.arguments"]
    assert tool.attributes["gen_ai.tool.call.result"]


def test_tracing_off_installs_no_provider_and_sends_nothing(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url)  # SDK's own
        assert main(["chat", "--thread", "t3", "-m", VAR_QUESTION, "--quiet"]) == 0
    assert "one-day VaR" in capsys.readouterr().out
    assert not tracing_installed()
    assert receiver.requests == []


def test_bedrock_converse_calls_carry_its_provider_model_tokens_and_stop_reasons(
    receiver: OtlpReceiver,
    offline_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same chat turn through ChatBedrockConverse on the local Bedrock endpoint."""
    from devtools.local_bedrock import serve
    from settings import get_settings

    local_endpoint_env(monkeypatch, offline_data_dir)
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "bedrock")
    monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_ATTEMPTS", "1")
    with serve() as bedrock:
        monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", bedrock.url)
        get_settings.cache_clear()
        assert main(["chat", "--thread", "tb", "-m", VAR_QUESTION, "--quiet"]) == 0
    assert "one-day VaR" in capsys.readouterr().out
    calls = receiver.named("chat ")
    assert calls
    models = set(get_settings().bedrock.model_ids.values()) | {
        get_settings().bedrock.strong_model_id,
        get_settings().bedrock.fast_model_id,
    }
    for call in calls:
        a = call.attributes
        assert a["gen_ai.provider.name"] == "aws.bedrock"
        assert a["gen_ai.request.model"] in models
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
        assert set(a["gen_ai.response.finish_reasons"]) <= {"end_turn", "tool_use"}
        assert call.kind == CLIENT
        assert a["server.address"] == "127.0.0.1"  # the endpoint the client was given
        assert a["gen_ai.conversation.id"] == "tb"
        assert a["gen_ai.request.max_tokens"] > 0
        # the prompt in full, with what the cache read and wrote named apart
        read = a["gen_ai.usage.cache_read.input_tokens"]
        written = a["gen_ai.usage.cache_creation.input_tokens"]
        assert a["gen_ai.usage.input_tokens"] >= read + written
    # the turn's later calls read the system prompt and tools the first one cached
    assert sum(c.attributes["gen_ai.usage.cache_read.input_tokens"] for c in calls) > 0
    reasons = {r for c in calls for r in c.attributes["gen_ai.response.finish_reasons"]}
    assert reasons == {"end_turn", "tool_use"}
    assert VAR_QUESTION not in _values(receiver.spans)
