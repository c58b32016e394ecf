"""The local endpoint at Bedrock's edges, each against the documented behaviour (its source in
the test's docstring), through a real boto3 client: ``maxTokens`` bounds thinking and text
together; sampling parameters a model refuses are refused in ``additionalModelRequestFields``
too; more cache points than the model takes are refused; the prompt cache belongs to one model
id and lives for its TTL from its last use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.local_bedrock import serve
from devtools.local_bedrock.converse.thinking import thinking_signature
from devtools.local_bedrock.faults import FaultPlan
from prompts import load_prompt
from settings.model_catalog import model_catalog
from tests.support.aws import local_endpoint_env

SONNET_55 = "us.anthropic.claude-sonnet-5-5"
HAIKU_55 = "us.anthropic.claude-haiku-5-5"
OPUS_55 = "us.anthropic.claude-opus-5-5"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "us.amazon.nova-pro-v1:0"
SUPERVISOR = [{"text": load_prompt("supervisor").text}]
QUESTION = [{"role": "user", "content": [{"text": "what can you do?"}]}]


class Clock:
    """The endpoint's clock, moved by the test (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        local_endpoint_env(monkeypatch, tmp_path_factory.mktemp("aws"))
        with serve(faults=FaultPlan(), clock=clock) as bedrock:
            yield boto3.client(
                "bedrock-runtime",
                endpoint_url=bedrock.url,
                region_name="us-east-1",
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )


def refusal(runtime: Any, **request: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        runtime.converse(**{"messages": QUESTION, **request})
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def blocks(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return list(reply["output"]["message"]["content"])


# --------------------------------------------------------------------------------------------
# maxTokens covers thinking and text
# --------------------------------------------------------------------------------------------


def test_max_tokens_bounds_a_thinking_model_s_thinking_and_text_together(runtime: Any) -> None:
    """Anthropic: with the thinking models "max_tokens (including the thinking budget when
    thinking is enabled) is enforced as a strict limit"
    (https://docs.anthropic.com/ja/docs/about-claude/models/extended-thinking-models, its
    Japanese copy); thinking tokens are output tokens. Issue 53: 50 asked, 99 answered."""
    request = {"modelId": SONNET_55, "system": SUPERVISOR, "messages": QUESTION}
    whole = runtime.converse(**request)
    thinking = blocks(whole)[0]["reasoningContent"]["reasoningText"]
    assert whole["usage"]["outputTokens"] > 50 and whole["stopReason"] == "end_turn"
    cut = runtime.converse(**request, inferenceConfig={"maxTokens": 50})
    assert cut["stopReason"] == "max_tokens" and cut["usage"]["outputTokens"] == 50
    assert cut["usage"]["totalTokens"] == cut["usage"]["inputTokens"] + 50
    kept = blocks(cut)
    assert kept[0]["reasoningContent"]["reasoningText"] == thinking  # thinking comes first
    text = next(b["text"] for b in kept if "text" in b)
    assert blocks(whole)[1]["text"].startswith(text) and len(text) < len(blocks(whole)[1]["text"])
    # a limit the thinking alone passes: the thinking is cut (and signed as cut), no text
    tiny = runtime.converse(**request, inferenceConfig={"maxTokens": 5})
    assert tiny["stopReason"] == "max_tokens" and tiny["usage"]["outputTokens"] == 5
    (only,) = blocks(tiny)
    shown = only["reasoningContent"]["reasoningText"]
    assert thinking["text"].startswith(shown["text"]) and shown["text"] != thinking["text"]
    sonnet = model_catalog().get("claude-sonnet-5-5")
    assert shown["signature"] == thinking_signature(sonnet, SONNET_55, shown["text"])
    # the stream says the same
    events = list(runtime.converse_stream(**request, inferenceConfig={"maxTokens": 50})["stream"])
    assert {"messageStop": {"stopReason": "max_tokens"}} in events
    (metadata,) = [e["metadata"] for e in events if "metadata" in e]
    assert metadata["usage"]["outputTokens"] == 50


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    model_id=st.sampled_from([SONNET_55, HAIKU_55, OPUS_55, SONNET_45, NOVA]),
    max_tokens=st.integers(1, 400),
    stream=st.booleans(),
)
def test_no_reply_passes_max_tokens_and_only_a_cut_one_says_max_tokens(
    runtime: Any, model_id: str, max_tokens: int, stream: bool
) -> None:
    request = {"modelId": model_id, "system": SUPERVISOR, "messages": QUESTION}
    whole = runtime.converse(**request)["usage"]["outputTokens"]
    limited = {**request, "inferenceConfig": {"maxTokens": max_tokens}}
    if stream:
        events = list(runtime.converse_stream(**limited)["stream"])
        (stop,) = [e["messageStop"]["stopReason"] for e in events if "messageStop" in e]
        (output,) = [e["metadata"]["usage"]["outputTokens"] for e in events if "metadata" in e]
    else:
        reply = runtime.converse(**limited)
        stop, output = reply["stopReason"], reply["usage"]["outputTokens"]
    assert output <= max_tokens
    if whole > max_tokens:
        assert (stop, output) == ("max_tokens", max_tokens)
    else:
        assert stop != "max_tokens" and output == whole


# --------------------------------------------------------------------------------------------
# Sampling parameters in additionalModelRequestFields
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", [SONNET_55, HAIKU_55, OPUS_55])
@pytest.mark.parametrize("name", ["temperature", "top_p", "top_k"])
def test_sampling_a_model_refuses_is_refused_in_additional_fields_too(
    runtime: Any, model_id: str, name: str
) -> None:
    """The Converse API reference: ``additionalModelRequestFields`` holds "additional inference
    parameters that the model supports, beyond the base set ... in the inferenceConfig field",
    so Bedrock hands them to the model, which refuses them: Anthropic's Sonnet 5.5 migration
    guide lists sampling parameters among the settings that return 400
    ([sources.anthropic-sonnet-5-5-migration]), the Haiku 5.5 guide says to remove temperature,
    top_p and top_k ([sources.anthropic-haiku-5-5-migration]), Opus 5.5 takes none either
    (`accepts.sampling = false`). Bedrock's words for temperature:
    [sources.bedrock-temperature-error]."""
    extra = {"additionalModelRequestFields": {name: 5 if name == "top_k" else 0.5}}
    assert refusal(runtime, modelId=model_id, **extra) == (
        "ValidationException",
        400,
        f"The model returned the following errors: `{name}` is deprecated for this model.",
    )


def test_a_model_that_samples_takes_top_k_and_one_of_temperature_or_top_p(runtime: Any) -> None:
    """Claude Sonnet 4.5 accepts temperature or top_p, not both
    ([sources.aws-sampling-4-5]), wherever the request puts them; top_k is Anthropic's too."""
    top_k = {"additionalModelRequestFields": {"top_k": 5}}
    assert runtime.converse(modelId=SONNET_45, messages=QUESTION, **top_k)["output"]
    both = {
        "inferenceConfig": {"temperature": 0.2},
        "additionalModelRequestFields": {"top_p": 0.9},
    }
    assert "cannot both be specified" in refusal(runtime, modelId=SONNET_45, **both)[2]


# --------------------------------------------------------------------------------------------
# Cache points
# --------------------------------------------------------------------------------------------


POINT = {"cachePoint": {"type": "default"}}
TOOL = {"toolSpec": {"name": "Route", "inputSchema": {"json": {"type": "object"}}}}


def with_cache_points(count: int, tools: bool = True) -> dict[str, Any]:
    """A request with `count` cache points, in its first `count` places of: after the tools
    (when `tools`), after each of two system blocks, at the end of each of three messages."""
    places = ["tools"] if tools else []
    places += ["system.0", "system.1", "messages.0", "messages.1", "messages.2"]
    chosen = set(places[:count])
    assert len(chosen) == count

    def point(place: str) -> list[dict[str, Any]]:
        return [POINT] if place in chosen else []

    turns = [("user", "what can you do?"), ("assistant", "Measure risk."), ("user", "and more?")]
    request: dict[str, Any] = {
        "system": [SUPERVISOR[0], *point("system.0"), {"text": "Answer briefly."}, *point("system.1")],
        "messages": [
            {"role": role, "content": [{"text": text}, *point(f"messages.{i}")]}
            for i, (role, text) in enumerate(turns)
        ],
    }  # fmt: skip
    if tools:
        request["toolConfig"] = {"tools": [TOOL, *point("tools")]}
    return request


def test_more_cache_points_than_the_model_takes_are_refused(runtime: Any) -> None:
    """Bedrock's prompt caching page and model cards: 4 checkpoints a request for Claude
    ([sources.aws-haiku-4-5-card]) and Nova ([sources.bedrock-prompt-caching-nova]); the
    Anthropic API refuses a fifth with "A maximum of 4 blocks with cache_control may be
    provided. Found 5." (github.com/tghamm/Anthropic.SDK/issues/50), which Bedrock reports as
    the model's error."""
    for model_id in (SONNET_55, HAIKU_55, SONNET_45):
        assert runtime.converse(modelId=model_id, **with_cache_points(4))["output"]
        assert refusal(runtime, modelId=model_id, **with_cache_points(5)) == (
            "ValidationException",
            400,
            "The model returned the following errors: A maximum of 4 blocks with cache_control "
            "may be provided. Found 5.",
        )
    assert runtime.converse(modelId=NOVA, **with_cache_points(4, tools=False))["output"]
    code, _, message = refusal(runtime, modelId=NOVA, **with_cache_points(5, tools=False))
    assert code == "ValidationException" and "at most 4" in message


# --------------------------------------------------------------------------------------------
# The prompt cache: per model id, for its TTL from its last use
# --------------------------------------------------------------------------------------------


def cached(runtime: Any, model_id: str, ttl: str = "5m") -> str:
    """Whether a call with the supervisor's prompt cached read it (``read``) or wrote it."""
    point = (
        {"cachePoint": {"type": "default", "ttl": ttl}}
        if ttl != "5m"
        else {"cachePoint": {"type": "default"}}
    )
    usage = runtime.converse(modelId=model_id, system=[*SUPERVISOR, point], messages=QUESTION)["usage"]  # fmt: skip
    assert usage["cacheReadInputTokens"] + usage["cacheWriteInputTokens"] > 0, usage
    return "read" if usage["cacheReadInputTokens"] else "write"


def test_the_prompt_cache_is_one_model_id_s_and_lives_for_its_ttl_from_its_last_use(
    runtime: Any, clock: Clock
) -> None:
    """Each model has its own prompt cache: a model switch makes a turn without cache hits
    (Anthropic, "How Claude Code uses prompt caching", https://code.claude.com/docs/en/prompt-caching),
    and an inference profile routes to Regions of its own. Bedrock's prompt caching page: "The
    cache has a Time To Live (TTL) that resets with each successful cache hit ... If no cache
    hit occurs within the TTL, the cache expires" (5 minutes by default, 1 hour where the model
    takes it: [sources.botocore-bedrock-runtime], `cache.ttls` of each model)."""
    clock.now += 10_000  # nothing left from the other tests
    assert cached(runtime, SONNET_55) == "write"
    assert cached(runtime, SONNET_55) == "read"
    assert cached(runtime, "global.anthropic.claude-sonnet-5-5") == "write"  # another profile
    assert cached(runtime, HAIKU_55) == "write"  # another model
    assert cached(runtime, OPUS_55) == "write"
    clock.now += 299
    assert cached(runtime, SONNET_55) == "read"  # within 5 minutes: read, and kept 5 more
    clock.now += 299
    assert cached(runtime, SONNET_55) == "read"
    clock.now += 301
    assert cached(runtime, SONNET_55) == "write"  # expired: written again
    clock.now += 10_000
    assert cached(runtime, HAIKU_55, "1h") == "write"  # a 1-hour cache point
    clock.now += 3599
    assert cached(runtime, HAIKU_55, "1h") == "read"
    clock.now += 3599
    assert cached(runtime, HAIKU_55, "1h") == "read"  # kept an hour from its last use
    clock.now += 3601
    assert cached(runtime, HAIKU_55, "1h") == "write"
