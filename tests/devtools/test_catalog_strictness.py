"""The local endpoint refuses what Bedrock refuses for each model, as the model catalog says,
through a real boto3 client (whose parsing of the error is the contract); thinking models answer
with signed reasoning; native structured output is answered; usage follows Bedrock."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from agents.offline.model import estimate_tokens
from devtools.local_bedrock import serve
from devtools.local_bedrock.faults import FaultPlan
from devtools.local_bedrock.server import LocalBedrock
from prompts import load_prompt
from settings.model_catalog import model_catalog
from tests.support.aws import local_endpoint_env

SONNET_55 = "us.anthropic.claude-sonnet-5-5"
HAIKU_55 = "global.anthropic.claude-haiku-5-5"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_45 = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
TOOLS = {
    "tools": [{"toolSpec": {"name": "Route", "inputSchema": {"json": {"type": "object"}}}}],
}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    local_endpoint_env(monkeypatch, tmp_path)
    with serve(faults=FaultPlan(), guardrails={"gr-known": ["DRAFT", "1"]}) as bedrock:
        yield boto3.client(
            "bedrock-runtime",
            endpoint_url=bedrock.url,
            region_name="us-east-1",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def refusal(runtime: Any, **request: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        runtime.converse(**{"messages": [user("hello")], **request})
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], status, response["Error"]["Message"]


def test_the_issue_s_refusals_get_bedrock_s_codes_and_messages(runtime: Any) -> None:
    code, status, message = refusal(
        runtime, modelId=SONNET_55, inferenceConfig={"maxTokens": 1_000_000}
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "The maximum tokens you requested exceeds the model limit of 128000. Try again with a "
        "maximum tokens value that is lower than 128000."
    )
    long = "word " * 400_000  # 2,000,000 characters: about 500,000 tokens
    code, _, message = refusal(runtime, modelId=HAIKU_45, messages=[user(long)])
    assert code == "ValidationException"
    assert (
        message
        == "The model returned the following errors: prompt is too long: 500000 tokens > 200000 maximum"
    )
    # two million characters of one-letter words: a million words, at least a token each, and
    # the Claude 5.5 tokenizer counts 30 % more: over the 1M-token context of the defaults
    short_words = "a " * 1_000_000
    for model_id in (SONNET_55, HAIKU_55):
        assert refusal(runtime, modelId=model_id, messages=[user(short_words)])[2] == (
            "The model returned the following errors: prompt is too long: 1300000 tokens > "
            "1000000 maximum"
        )
    # prose of four-letter words fits there (about 650,000 tokens: estimated here, running the
    # offline rules on two million characters takes seconds); a bit over half again does not
    assert estimate_tokens(long) * 1.3 < model_catalog().get("claude-sonnet-5-5").context_window
    longer = "word " * 620_000  # 3,100,000 characters: over 1,000,000 tokens on Claude 5.5
    assert "prompt is too long" in refusal(runtime, modelId=SONNET_55, messages=[user(longer)])[2]
    assert refusal(runtime, modelId="us.anthropic.claude-made-up-9") == (
        "ValidationException",
        400,
        "The provided model identifier is invalid.",
    )


def test_ids_are_refused_as_bedrock_refuses_them(runtime: Any) -> None:
    code, status, message = refusal(runtime, modelId="anthropic.claude-sonnet-5-5")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Invocation of model ID anthropic.claude-sonnet-5-5 with on-demand")
    assert "inference profile" in message
    code, status, message = refusal(runtime, modelId="us.anthropic.claude-sonnet-4-20250514-v1:0")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("This model version has reached the end of its life.")
    assert refusal(runtime, modelId="amazon.titan-embed-text-v2:0")[0] == "ValidationException"
    assert runtime.converse(modelId="amazon.nova-pro-v1:0", messages=[user("hi")])["output"]


def test_settings_a_model_refuses_are_refused_and_those_it_takes_are_taken(runtime: Any) -> None:
    sampled = {"inferenceConfig": {"temperature": 0.0}}
    assert refusal(runtime, modelId=SONNET_55, **sampled)[2] == (
        "The model returned the following errors: `temperature` is deprecated for this model."
    )
    assert "`temperature` is deprecated" in refusal(runtime, modelId=HAIKU_55, **sampled)[2]
    assert runtime.converse(modelId=SONNET_45, messages=[user("hi")], **sampled)["output"]
    both = {"inferenceConfig": {"temperature": 0.0, "topP": 0.5}}
    assert "cannot both be specified" in refusal(runtime, modelId=SONNET_45, **both)[2]
    forced = {"toolConfig": {**TOOLS, "toolChoice": {"tool": {"name": "Route"}}}}
    assert refusal(runtime, modelId=SONNET_55, **forced)[2] == (
        'The model returned the following errors: tool_choice: type "tool" and "any" are not '
        "supported for this model."
    )
    disabled = {"additionalModelRequestFields": {"thinking": {"type": "disabled"}}}
    for model_id in (SONNET_45, HAIKU_45):  # they take forced tool choice (not thinking)
        reply = runtime.converse(modelId=model_id, messages=[user("hi")], **forced)
        assert reply["stopReason"] == "tool_use"
    # Haiku 5.5 thinks by default, and no Claude model takes forced tool choice while it
    # thinks; with thinking disabled no documentation says it takes it: refused too, so that no
    # request relies on it
    assert refusal(runtime, modelId=HAIKU_55, **forced)[2] == (
        "The model returned the following errors: Thinking may not be enabled when tool_choice "
        "forces tool use."
    )
    assert "no documentation" in refusal(runtime, modelId=HAIKU_55, **forced, **disabled)[2]
    assert "thinking.type.disabled" in refusal(runtime, modelId=SONNET_55, **disabled)[2]
    assert runtime.converse(modelId=HAIKU_55, messages=[user("hi")], **disabled)["output"]
    between = {"additionalModelRequestFields": {"thinking": {"type": "between_tools"}}}
    assert (
        "is not supported"
        in refusal(runtime, modelId=SONNET_55, outputConfig={"effort": "max"}, **between)[2]
    )
    assert runtime.converse(
        modelId=SONNET_55, messages=[user("hi")], outputConfig={"effort": "low"}, **between
    )["output"]
    prefill = [user("hi"), {"role": "assistant", "content": [{"text": "{"}]}]
    assert "prefill" in refusal(runtime, modelId=SONNET_55, messages=prefill)[2]
    assert runtime.converse(modelId=SONNET_45, messages=prefill)["output"]


def test_guardrails_the_endpoint_does_not_know_are_refused(runtime: Any) -> None:
    unknown = {"guardrailIdentifier": "gr-missing", "guardrailVersion": "DRAFT"}
    assert refusal(runtime, modelId=SONNET_55, guardrailConfig=unknown) == (
        "ValidationException",
        400,
        "The provided guardrail identifier is invalid.",
    )
    known = {"guardrailIdentifier": "gr-known", "guardrailVersion": "1"}
    assert runtime.converse(modelId=SONNET_55, messages=[user("hi")], guardrailConfig=known)


def test_thinking_models_answer_with_signed_reasoning_first(runtime: Any) -> None:
    system = [{"text": load_prompt("supervisor").text}]
    reply = runtime.converse(modelId=SONNET_55, system=system, messages=[user("what can you do?")])
    blocks = reply["output"]["message"]["content"]
    thinking = blocks[0]["reasoningContent"]["reasoningText"]
    assert thinking["signature"] and "offline rules" in thinking["text"]
    assert "text" in blocks[1] and not any("reasoningContent" in b for b in blocks[1:])
    plain = runtime.converse(modelId=SONNET_45, system=system, messages=[user("what can you do?")])
    assert "reasoningContent" not in plain["output"]["message"]["content"][0]
    # the thinking's tokens are output tokens
    assert reply["usage"]["outputTokens"] > plain["usage"]["outputTokens"]
    streamed = runtime.converse_stream(
        modelId=SONNET_55, system=system, messages=[user("what can you do?")]
    )
    events = list(streamed["stream"])
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    assert deltas[0]["reasoningContent"]["text"] == thinking["text"]
    assert deltas[1]["reasoningContent"]["signature"] == thinking["signature"]
    silent = {"additionalModelRequestFields": {"thinking": {"type": "disabled"}}}
    quiet = runtime.converse(modelId=HAIKU_55, system=system, messages=[user("hi")], **silent)
    assert "reasoningContent" not in quiet["output"]["message"]["content"][0]


def test_thinking_is_tied_to_the_model_that_signed_it(runtime: Any) -> None:
    from devtools.local_bedrock.converse.thinking import check_thinking

    system = [{"text": load_prompt("explanation").text}]
    answer = runtime.converse(modelId=SONNET_55, system=system, messages=[user("hello")])
    blocks = answer["output"]["message"]["content"]
    history = [user("hello"), {"role": "assistant", "content": blocks}, user("say more")]
    catalog = model_catalog()
    sonnet, haiku = catalog.get("claude-sonnet-5-5"), catalog.get("claude-haiku-5-5")
    # the same model reads its own thinking through any of its profiles
    global_sonnet = "global.anthropic.claude-sonnet-5-5"
    assert runtime.converse(modelId=global_sonnet, system=system, messages=history)["output"]
    assert check_thinking(sonnet, global_sonnet, {"messages": history}) == 0
    # another Claude 5.5 model drops it from the request without an error (preserved thinking)
    assert runtime.converse(modelId=HAIKU_55, system=system, messages=history)["output"]
    assert check_thinking(haiku, HAIKU_55, {"messages": history}) == 1
    # a model before preserved thinking refuses the request
    assert refusal(runtime, modelId=SONNET_45, system=system, messages=history)[:2] == (
        "ValidationException",
        400,
    )
    assert refusal(runtime, modelId=SONNET_45, system=system, messages=history)[2] == (
        "The model returned the following errors: messages.1.content.0: Invalid `signature` "
        "in `thinking` block"
    )
    unsigned = [{"reasoningContent": {"reasoningText": {"text": "hm"}}}, *blocks[1:]]
    history[1] = {"role": "assistant", "content": unsigned}
    assert refusal(runtime, modelId=SONNET_55, system=system, messages=history)[2] == (
        "The model returned the following errors: messages.1.content.0.thinking.signature: "
        "Field required"
    )


def test_native_structured_output_answers_the_decision_as_json_text(runtime: Any) -> None:
    from agents.chat import Route
    from agents.conversation_texts import DECISION_PROMPT
    from agents.structured_output import text_format

    system = [{"text": load_prompt("supervisor").text}]
    messages = [
        user("What is the CVaR of AAPL and KO since 2019?"),
        {"role": "assistant", "content": [{"text": "Let me route that."}]},
        user(DECISION_PROMPT.format(schema="Route")),
    ]
    reply = runtime.converse(
        modelId=SONNET_55,
        system=system,
        messages=messages,
        outputConfig={"textFormat": text_format(Route)},
    )
    text = next(b["text"] for b in reply["output"]["message"]["content"] if "text" in b)
    assert Route.model_validate_json(text).agent == "risk_manager"
    assert (
        "not supported"
        in refusal(
            runtime,
            modelId=HAIKU_55,
            outputConfig={"textFormat": text_format(Route)},
        )[2]
    )


def test_usage_counts_each_token_once_with_cache_reads_and_writes_apart(runtime: Any) -> None:
    system = [{"text": load_prompt("supervisor").text}, {"cachePoint": {"type": "default"}}]
    request = {"modelId": SONNET_55, "system": system, "messages": [user("hi")]}
    plain = runtime.converse(modelId=SONNET_55, system=system[:1], messages=[user("hi")])
    first, second = runtime.converse(**request)["usage"], runtime.converse(**request)["usage"]
    prompt = plain["usage"]["inputTokens"]
    assert first["cacheWriteInputTokens"] > 0 and first["cacheReadInputTokens"] == 0
    assert first["cacheDetails"] == [{"ttl": "5m", "inputTokens": first["cacheWriteInputTokens"]}]
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"] > 0
    for usage in (first, second):
        cached = usage["cacheReadInputTokens"] + usage["cacheWriteInputTokens"]
        assert usage["inputTokens"] + cached == prompt  # inputTokens excludes the cache
        assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] + cached
    # below the model's documented minimum (4,096 tokens for Haiku 4.5) nothing is cached
    small = runtime.converse(modelId=HAIKU_45, system=system, messages=[user("hi")])["usage"]
    assert small["cacheWriteInputTokens"] == small["cacheReadInputTokens"] == 0


def test_the_claude_5_5_tokenizer_counts_30_percent_more_tokens_for_the_same_text(
    runtime: Any,
) -> None:
    system = [{"text": load_prompt("supervisor").text}]
    request = {"system": system, "messages": [user("What is the CVaR of AAPL and KO?")]}
    previous = runtime.converse(modelId=SONNET_45, **request)["usage"]
    current = runtime.converse(modelId=SONNET_55, **request)["usage"]
    ratio = model_catalog().get("claude-sonnet-5-5").tokenizer_ratio
    assert ratio == 1.3
    assert current["inputTokens"] == math.ceil(previous["inputTokens"] * ratio)
    assert current["totalTokens"] == current["inputTokens"] + current["outputTokens"]


def test_lifecycle_is_judged_on_the_endpoint_s_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sonnet_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    for day, expected in ((dt.date(2026, 3, 1), None), (dt.date(2026, 5, 1), "Legacy")):
        bedrock: LocalBedrock
        with serve(faults=FaultPlan(), today=lambda day=day: day) as bedrock:
            client = boto3.client("bedrock-runtime", endpoint_url=bedrock.url, region_name="us-east-1",
                                  config=Config(retries={"total_max_attempts": 1}))  # fmt: skip
            if expected is None:
                assert client.converse(modelId=sonnet_4, messages=[user("hi")])["output"]
            else:
                with pytest.raises(ClientError, match=expected) as caught:
                    client.converse(modelId=sonnet_4, messages=[user("hi")])
                assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_guardrails_it_knows_can_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devtools.local_bedrock.server import GUARDRAILS_VARIABLE, guardrails_from_environment

    monkeypatch.setenv(GUARDRAILS_VARIABLE, "gr-1:DRAFT, gr-1:2,gr-2:1")
    assert guardrails_from_environment() == {"gr-1": {"DRAFT", "2"}, "gr-2": {"1"}}
    monkeypatch.setenv(GUARDRAILS_VARIABLE, "gr-1")
    with pytest.raises(ValueError, match="is not ID:VERSION"):
        guardrails_from_environment()
