"""The requests each agent role actually sends, on every Claude model of the current and the
previous generation, checked against the model catalog: what leaves the client (captured from
botocore just before it is sent), not the plan that shaped it.

Every request goes to the local Bedrock endpoint, which refuses what the catalog says the model
refuses; each captured body is also checked here against the catalog's `Accepts` for the
settings at stake: forced tool choice in the thinking mode the request asks for (the model's
default when it asks for none), sampling parameters, native structured output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from agents.agent_loop import system_prompt
from agents.bedrock_chat import chat_model_for
from agents.chat import RequestDraft, Route
from agents.decisions import BatchDecision, Explanation, MarketView, RiskDecision, SearchPlan
from agents.models import structured_model
from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.faults import FaultPlan
from prompts.canonical import model_json
from prompts.roles import AGENT_ROLES, AgentRole
from settings import Settings
from settings.model_catalog import CatalogModel, model_catalog
from tests.support.aws import local_endpoint_env

DECISIONS: dict[AgentRole, tuple[type[BaseModel], ...]] = {
    "supervisor": (Route,),
    "market_analysis": (MarketView,),
    "optimizer": (SearchPlan, BatchDecision, RequestDraft),
    "risk_manager": (RiskDecision,),
    "explanation": (Explanation,),
}
"""The structured decisions each role is asked for (agents.workflow, agents.chat)."""

GENERATIONS = ("claude-5.5", "claude-4.5")


def generation_models() -> list[CatalogModel]:
    """Every chat model of the current and the previous Claude generation in the catalog."""
    return [m for m in model_catalog().models if m.generation in GENERATIONS]


@tool
def market_statistics(universe: list[str]) -> str:
    """Statistics of the universe's daily returns (shapes the request's tool configuration)."""
    return "{}"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalBedrock]:
    with serve(faults=FaultPlan()) as bedrock:
        yield bedrock


@pytest.fixture
def settings(endpoint: LocalBedrock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    local_endpoint_env(monkeypatch, tmp_path)
    return Settings(
        models={"provider": "bedrock"},
        bedrock={"endpoint_url": endpoint.url, "region": "us-east-1", "streaming": False},
    )


def sent_requests(model: Any) -> list[dict[str, Any]]:
    """A list that receives the JSON body of every Converse request `model` sends."""
    bodies: list[dict[str, Any]] = []

    def capture(request: Any, **_: Any) -> None:
        bodies.append(json.loads(request.body))

    model.client.meta.events.register("before-send.bedrock-runtime", capture)
    return bodies


def conversation(role: AgentRole, settings: Settings, *, with_tools: bool) -> list[BaseMessage]:
    """The role's system prompt and a task; with `with_tools`, a tool call and its result."""
    messages: list[BaseMessage] = [
        system_prompt(role, settings),
        HumanMessage(model_json({"kind": "request_check", "universe": ["AAPL", "KO"]})),
    ]
    if with_tools:
        call = {"name": "market_statistics", "args": {"universe": ["AAPL"]}, "id": "call_1"}
        messages += [
            AIMessage("", tool_calls=[call]),
            ToolMessage('{"AAPL": {"vol": 0.2}}', tool_call_id="call_1", name="market_statistics"),
        ]
    return [*messages, HumanMessage("Give your decision.")]


def check_against_catalog(model: CatalogModel, body: dict[str, Any]) -> None:
    """The request `body` sends only what the catalog says `model` accepts (the settings the
    tool choice, sampling and structured-output paths decide)."""
    accepts = model.accepts
    thinking = ((body.get("additionalModelRequestFields") or {}).get("thinking") or {}).get("type")
    choice = next(iter((body.get("toolConfig") or {}).get("toolChoice") or {"auto": {}}))
    assert choice == "auto" or accepts.forced_tool_choice_in(thinking), (
        f"{model.name} was sent toolChoice {choice!r} in thinking mode "
        f"{thinking or accepts.thinking_default!r}"
    )
    sampling = [k for k in ("temperature", "topP") if k in (body.get("inferenceConfig") or {})]
    assert accepts.sampling or not sampling, f"{model.name} was sent {sampling}"
    if "textFormat" in (body.get("outputConfig") or {}):
        assert accepts.native_structured_output
    if thinking is not None:
        assert thinking in accepts.thinking


def ask(runnable: Any, messages: list[BaseMessage]) -> None:
    """Send the request; the endpoint must not refuse it (a ValidationException names the
    setting). Its offline rules may not answer this made-up conversation (a
    ModelErrorException): the endpoint gets there only after the request passed its checks."""
    try:
        runnable.invoke(messages)
    except ClientError as exc:
        error = exc.response["Error"]
        if error["Code"] != "ModelErrorException":
            pytest.fail(f"the endpoint refused the request: {error['Code']}: {error['Message']}")


@pytest.mark.parametrize("key", [m.key for m in generation_models()])
@pytest.mark.parametrize("role", AGENT_ROLES)
def test_every_request_a_role_sends_is_one_its_model_accepts(
    role: AgentRole, key: str, settings: Settings
) -> None:
    catalog_model = model_catalog().get(key)
    model_id = f"us.{catalog_model.base_id}"
    chat = chat_model_for(role, model_id, settings)
    bodies = sent_requests(chat)
    ask(chat.bind_tools([market_statistics]), conversation(role, settings, with_tools=False))
    for schema in DECISIONS[role]:
        for with_tools in (False, True):
            runnable, _ = structured_model(
                chat, schema, settings, role, tools_in_history=with_tools
            )
            ask(runnable, conversation(role, settings, with_tools=with_tools))
    assert len(bodies) == 1 + 2 * len(DECISIONS[role])
    for body in bodies:
        check_against_catalog(catalog_model, body)


def test_a_thinking_role_is_never_sent_a_forced_tool(settings: Settings) -> None:
    """The risk manager thinks (adaptively, Haiku 5.5's default, so no thinking field is sent):
    its decision goes out under auto tool choice, as a tool it may call."""
    chat = chat_model_for("risk_manager", "us.anthropic.claude-haiku-5-5", settings)
    bodies = sent_requests(chat)
    runnable, method = structured_model(chat, RiskDecision, settings, "risk_manager")
    ask(runnable, conversation("risk_manager", settings, with_tools=False))
    assert method == "auto_tool"
    (body,) = bodies
    assert "additionalModelRequestFields" not in body  # adaptive thinking: the model's default
    assert body["toolConfig"].get("toolChoice", {"auto": {}}) == {"auto": {}}
    assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["RiskDecision"]
