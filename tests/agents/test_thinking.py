"""Thinking blocks stay with the model that produced them: a route to another model (a fallback
after throttling, or the configured model after a fallback answered) is sent the history
without them, and the local endpoint, which drops or refuses another model's thinking as
Bedrock does, accepts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agents.agent_loop import system_prompt
from agents.bedrock_chat import chat_model_for
from agents.model_routes import RoutedModel
from agents.thinking import readable_history, same_model
from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.faults import FaultPlan
from settings import Settings
from tests.support.aws import local_endpoint_env, no_retry_waits
from traces.text import is_reasoning_block

SONNET_55 = "us.anthropic.claude-sonnet-5-5"
SONNET_55_GLOBAL = "global.anthropic.claude-sonnet-5-5"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
THINKING = {"type": "reasoning_content", "reasoning_content": {"text": "hm", "signature": "s"}}


def reply_of(model_id: str | None, *content: object) -> AIMessage:
    meta = {"model_name": model_id} if model_id else {}
    return AIMessage(content=list(content), response_metadata=meta)


def thinking_blocks(messages: list[BaseMessage]) -> int:
    return sum(
        is_reasoning_block(block)
        for message in messages
        if isinstance(message.content, list)
        for block in message.content
    )


def test_a_model_reads_its_own_thinking_on_any_profile_and_no_other_model_s() -> None:
    assert same_model(SONNET_55, SONNET_55_GLOBAL) and not same_model(SONNET_55, SONNET_45)
    text = {"type": "text", "text": "the answer"}
    history: list[BaseMessage] = [
        HumanMessage("hi"),
        reply_of(SONNET_55, THINKING, text),
        HumanMessage("and?"),
        reply_of(None, THINKING, text),  # no model named (the offline model): left alone
    ]
    assert thinking_blocks(readable_history(history, SONNET_55_GLOBAL)) == 2
    shaped = readable_history(history, SONNET_45)
    assert thinking_blocks(shaped) == 1
    assert (
        shaped[1].content == [text] and shaped[1].response_metadata == history[1].response_metadata
    )
    assert thinking_blocks(history) == 2  # the conversation itself keeps them


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalBedrock]:
    no_retry_waits(monkeypatch)
    local_endpoint_env(monkeypatch, tmp_path)
    plan = FaultPlan.parse("throttle@" + ",".join(str(n) for n in range(2, 8)))
    with serve(faults=plan) as bedrock:
        yield bedrock


def test_a_fallback_to_another_model_is_sent_no_thinking_it_cannot_verify(
    endpoint: LocalBedrock,
) -> None:
    settings = Settings(
        models={"provider": "bedrock"},
        bedrock={"endpoint_url": endpoint.url, "region": "us-east-1", "streaming": False},
    )
    first = chat_model_for("explanation", SONNET_55, settings)
    asked: list[BaseMessage] = [system_prompt("explanation", settings), HumanMessage("hello")]
    answer = first.invoke(asked)  # call 1: Sonnet 5.5 thinks, and signs its thinking
    assert thinking_blocks([answer]) == 1
    history = [*asked, answer, HumanMessage("say more")]
    # calls 2-7 are throttled: three attempts on Sonnet 5.5's us. profile, three on its global
    # one; Sonnet 4.5 answers call 8, which Bedrock would refuse with Sonnet 5.5's thinking in it
    routed = RoutedModel(
        "explanation", first, lambda m: m, routes=[SONNET_55, SONNET_55_GLOBAL, SONNET_45],
        settings=settings,
    )  # fmt: skip
    reply = routed.invoke(history, None)
    assert reply.response_metadata["stratigos_route"] == SONNET_45
    assert endpoint.faults.calls == 8
    assert thinking_blocks(history) == 1  # the thread keeps it for Sonnet 5.5
