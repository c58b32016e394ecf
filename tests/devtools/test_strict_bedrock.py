"""The local endpoint is as strict as Bedrock, injects faults, and the agents cope.

Requests Bedrock refuses are refused with its error shapes (checked through boto3, whose
parsing of the error is the contract); faults (throttling, an unavailable service, a broken
stream) come from a `FaultPlan`; the agents retry what botocore retries, never leave a toolUse
without its toolResult, and a run the service fails ends failed with a typed error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from devtools.local_bedrock import serve
from devtools.local_bedrock.faults import FaultPlan
from devtools.local_bedrock.server import LocalBedrock
from tests.support.requests import TINY

CLAUDE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "LANGSMITH_TRACING": "false",
    }.items():
        monkeypatch.setenv(name, value)


def client(bedrock: LocalBedrock, attempts: int = 1) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.url,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def refusal(call: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response["Error"]) | {
        "status": str(caught.value.response["ResponseMetadata"]["HTTPStatusCode"])
    }


@pytest.fixture
def bedrock(aws_env: None) -> Iterator[LocalBedrock]:
    with serve(faults=FaultPlan()) as server:
        yield server


def test_what_bedrock_refuses_is_refused_with_its_error_shapes(bedrock: LocalBedrock) -> None:
    runtime = client(bedrock)
    use = {"toolUse": {"toolUseId": "t1", "name": "market_statistics", "input": {}}}
    tools = {
        "tools": [
            {"toolSpec": {"name": "market_statistics", "inputSchema": {"json": {"type": "object"}}}}
        ]
    }
    cases = {
        "The provided model identifier is invalid.": {
            "modelId": "no-such-model",
            "messages": [user("hi")],
        },
        "must alternate between user and assistant roles": {
            "modelId": CLAUDE,
            "messages": [user("hi"), user("again")],
        },
        "Expected toolResult blocks at messages.2.content for the following Ids: t1": {
            "modelId": CLAUDE,
            "messages": [
                user("hi"),
                {"role": "assistant", "content": [use]},
                user("never mind"),
            ],
            "toolConfig": tools,
        },
        "messages.0.content.0 is blank": {"modelId": CLAUDE, "messages": [user("  ")]},
    }
    for fragment, request in cases.items():
        error = refusal(lambda request=request: runtime.converse(**request))
        assert error["Code"] == "ValidationException", error
        assert error["status"] == "400" and fragment in error["Message"], error


def test_max_tokens_cuts_the_reply_and_says_so(bedrock: LocalBedrock) -> None:
    runtime = client(bedrock)
    request = {"modelId": CLAUDE, "messages": [user("what can you do?")]}
    whole = runtime.converse(**request)
    assert whole["stopReason"] == "end_turn" and whole["usage"]["outputTokens"] > 8
    cut = runtime.converse(**request, inferenceConfig={"maxTokens": 8})
    assert cut["stopReason"] == "max_tokens" and cut["usage"]["outputTokens"] == 8
    text = cut["output"]["message"]["content"][0]["text"]
    assert whole["output"]["message"]["content"][0]["text"].startswith(text) and len(text) <= 32
    streamed = runtime.converse_stream(**request, inferenceConfig={"maxTokens": 8})
    events = list(streamed["stream"])
    assert {"messageStop": {"stopReason": "max_tokens"}} in events


def test_throttled_calls_are_retried_by_botocore(
    aws_env: None, botocore_waits: list[float]
) -> None:
    plan = FaultPlan.parse("throttle@1,2")
    with serve(faults=plan) as bedrock:
        retrying = client(bedrock, attempts=3)
        assert retrying.converse(modelId=CLAUDE, messages=[user("hi")])["stopReason"]
        assert plan.calls == 3  # two throttled attempts, then the answer
        assert len(botocore_waits) == 2  # a backoff before each retry


def test_an_unavailable_service_and_a_broken_stream_are_errors(aws_env: None) -> None:
    plan = FaultPlan.parse("unavailable@1;stream_error@2:2")
    with serve(faults=plan) as bedrock:
        runtime = client(bedrock, attempts=1)
        error = refusal(lambda: runtime.converse(modelId=CLAUDE, messages=[user("hi")]))
        assert error["Code"] == "ServiceUnavailableException" and error["status"] == "503"
        stream = runtime.converse_stream(modelId=CLAUDE, messages=[user("hi")])["stream"]
        with pytest.raises(EventStreamError, match="modelStreamErrorException"):
            list(stream)
    with pytest.raises(ValueError, match="KIND@N"):
        FaultPlan.parse("explode@1")


# --------------------------------------------------------------------------------------------
# The agents against the strict endpoint
# --------------------------------------------------------------------------------------------


@pytest.fixture
def on_bedrock(aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Point the process settings at a local endpoint with a fault plan (Bedrock provider)."""
    from settings.config import get_settings

    servers: list[LocalBedrock] = []

    def start(faults: str = "", attempts: int = 1) -> tuple[LocalBedrock, FaultPlan]:
        plan = FaultPlan.parse(faults)
        server = serve(faults=plan)
        servers.append(server)
        monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "bedrock")
        monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", server.url)
        monkeypatch.setenv("STRATIGOS_BEDROCK_REGION", REGION)
        monkeypatch.setenv("STRATIGOS_BEDROCK_STREAMING", "false")
        monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_ATTEMPTS", str(attempts))
        monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
        get_settings.cache_clear()
        return server, plan

    yield start
    for server in servers:
        server.close()
    get_settings.cache_clear()


@pytest.fixture
def stubborn_risk_manager() -> Iterator[None]:
    """A risk manager that calls a tool on every turn (a model that never stops)."""
    from agents.offline.policies import get_policy, register_policy, reply, tool_call

    saved = get_policy("risk_manager")
    register_policy("risk_manager")(
        lambda inp: reply("", tool_call("portfolio_risk_report", {"weights": {"AAPL": 1.0}}))
    )
    yield
    register_policy("risk_manager")(saved)


def test_at_the_tool_round_cap_every_tool_use_gets_its_result(
    on_bedrock: Any, stubborn_risk_manager: None
) -> None:
    from agents.agent_loop import BUDGET_EXHAUSTED, MAX_TOOL_ROUNDS
    from agents.chat import answer
    from agents.models import chat_model
    from tools import build_tools

    on_bedrock()
    tools = [t for t in build_tools() if t.name == "portfolio_risk_report"]
    first = [HumanMessage("what is the risk of AAPL?")]
    new, _ = answer("risk_manager", first, tools)
    calls = [c for m in new if isinstance(m, AIMessage) for c in m.tool_calls]
    results = [m for m in new if isinstance(m, ToolMessage)]
    assert len(calls) == MAX_TOOL_ROUNDS
    assert {r.tool_call_id for r in results} == {c["id"] for c in calls}
    assert results[-1].content == BUDGET_EXHAUSTED and results[-1].status == "error"
    # the next request of the thread is accepted by the strict endpoint
    again, _ = answer("risk_manager", [*first, *new, HumanMessage("and of KO?")], tools)
    assert isinstance(again[-1], AIMessage)
    # the old behaviour, a toolUse answered by nothing, is what Bedrock refuses
    dangling = [
        SystemMessage("You are the risk manager."),
        *first,
        next(m for m in new if isinstance(m, AIMessage) and m.tool_calls),
        AIMessage("I could not finish that within the allowed number of steps."),
        HumanMessage("and of KO?"),
    ]
    model = chat_model("risk_manager").bind_tools(tools)
    with pytest.raises(ClientError, match="Expected toolResult blocks"):
        model.invoke(dangling)


def test_a_throttled_run_is_retried_and_succeeds(
    on_bedrock: Any, botocore_waits: list[float]
) -> None:
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest

    _, plan = on_bedrock("throttle@1,2", attempts=3)
    outcome = run_optimization(OptimizationRequest.model_validate(TINY))
    assert outcome.status == "succeeded"
    assert plan.calls >= 3 and outcome.result is not None
    assert len(botocore_waits) == 2  # botocore waited before each of its two retries
    assert outcome.result["manifest"]["usage"]["llm_calls"] == plan.calls - 2


def test_a_run_the_service_fails_ends_failed_with_a_typed_error(
    on_bedrock: Any,
    botocore_waits: list[float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agents import model_routes
    from api.cli import main

    # every route of the market analysis (its us. profile, then the global one) unavailable;
    # a budget of one second leaves no room for a wait (at least 1 s) and another round. The
    # calls' clock stands still (a wait would move it: none is begun), so the budget holds both
    # routes' attempts however slow the machine; botocore's backoffs are recorded, not slept.
    stopped = time.time()
    waits: list[float] = []
    monkeypatch.setattr(
        model_routes, "PACING", model_routes.Pacing(clock=lambda: stopped, sleep=waits.append)
    )
    monkeypatch.setenv("STRATIGOS_MODEL_CALL_BUDGET_S", "1")
    on_bedrock("unavailable@1,2,3,4,5,6", attempts=3)
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    assert main(["optimize", "--request", str(request), "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "ModelUnavailableError: the market_analysis agent could not reach its model" in out
    assert "was unavailable (ServiceUnavailableException)" in out and "6 attempts" in out
    assert waits == []  # the wait that would pass the budget is not begun
    assert main(["jobs", "list", "--json"]) == 0
    (job,) = json.loads(capsys.readouterr().out)
    assert job["status"] == "failed" and "ServiceUnavailableException" in job["error"]


def test_prompt_caching_counts_the_same_prompt_tokens_split_into_cached_and_uncached(
    on_bedrock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devtools.otlp_receiver import OtlpReceiver
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest
    from settings import Settings, TracingSettings, get_settings
    from settings.tracing import configure_tracing, flush_tracing

    usage, spans = {}, {}
    for caching in ("false", "true"):
        monkeypatch.setenv("STRATIGOS_BEDROCK_PROMPT_CACHING", caching)
        with OtlpReceiver() as receiver:
            monkeypatch.setenv("STRATIGOS_TRACING", "otlp")
            monkeypatch.setenv("STRATIGOS_OTLP_ENDPOINT", receiver.url)
            on_bedrock()
            configure_tracing(get_settings())
            outcome = run_optimization(OptimizationRequest.model_validate(TINY))
            flush_tracing()
            configure_tracing(Settings(tracing=TracingSettings(exporter="off")))
        assert outcome.status == "succeeded" and outcome.result is not None
        usage[caching] = outcome.result["manifest"]["usage"]
        spans[caching] = [c.attributes for c in receiver.named("chat ")]
    off, on = usage["false"], usage["true"]
    # the spans count each call's whole prompt (the GenAI conventions), cache reads named apart
    for caching, run in usage.items():
        prompt = run["input_tokens"] + run["cache_read_tokens"] + run["cache_write_tokens"]
        assert sum(a["gen_ai.usage.input_tokens"] for a in spans[caching]) == prompt
        read = sum(a["gen_ai.usage.cache_read.input_tokens"] for a in spans[caching])
        assert read == run["cache_read_tokens"]
    assert off["cache_read_tokens"] == off["cache_write_tokens"] == 0
    # cache points after each agent's system prompt and tools: one write per prefix, reads after
    assert on["cache_write_tokens"] > 0 and on["cache_read_tokens"] > 0
    prompt = on["input_tokens"] + on["cache_read_tokens"] + on["cache_write_tokens"]
    assert prompt == off["input_tokens"]  # the same prompt, each token counted once
    assert on["output_tokens"] == off["output_tokens"] and on["llm_calls"] == off["llm_calls"]
    for run in (off, on):
        parts = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
        assert run["total_tokens"] == sum(run[k] for k in parts)
    assert on["total_tokens"] == off["total_tokens"]  # the budget charges the same


def test_an_offline_run_counts_its_model_calls(
    offline_data_dir: Path,
) -> None:
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest

    outcome = run_optimization(OptimizationRequest.model_validate(TINY))
    assert outcome.result is not None
    usage = outcome.result["manifest"]["usage"]
    events = json.loads(
        "[" + ",".join((outcome.directory / "events.jsonl").read_text().split("\n")[:-1]) + "]"
    )
    replies = [e for e in events if e["type"] == "message" and e.get("agent")]
    assert usage["llm_calls"] > 0 and usage["llm_calls"] >= len(replies)
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_a_reply_cut_at_the_token_limit_is_not_used_as_a_decision(
    on_bedrock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents.errors import ModelOutputError
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest

    monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_TOKENS_BY_ROLE", '{"market_analysis": 5}')
    on_bedrock()
    with pytest.raises(
        ModelOutputError, match="market_analysis agent's reply stopped with max_tokens"
    ):
        run_optimization(OptimizationRequest.model_validate(TINY))


@pytest.mark.parametrize("reason", ["guardrail_intervened", "content_filtered"])
def test_a_blocked_reply_is_a_typed_error_never_an_answer(reason: str) -> None:
    from langchain_core.runnables import RunnableLambda

    from agents.errors import ModelOutputError
    from agents.model_call import invoke_model

    blocked = RunnableLambda(
        lambda _: AIMessage("Sorry.", response_metadata={"stopReason": reason})
    )
    with pytest.raises(ModelOutputError, match=reason):
        invoke_model(blocked, [HumanMessage("hi")], None, "explanation")
