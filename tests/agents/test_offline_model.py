"""The offline chat model: LangChain/LangGraph integration, streaming, structured output, policies."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any, cast

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic import BaseModel, Field

from agents.offline import (
    OfflineChatModel,
    PolicyInput,
    default_policy,
    fill_arguments,
    get_policy,
    normalise_tool_choice,
    register_policy,
    reply,
    tool_call,
    unregister_policy,
)

ROLE = "test_adder"


@tool
def add(a: int, b: int) -> dict[str, int]:
    """Add two integers."""
    return {"sum": a + b}


@tool
def lookup(name: str) -> str:
    """Look a name up."""
    return name.upper()


def adder_policy(inp: PolicyInput) -> AIMessage:
    """Call `add` once with the two numbers of the request, then report its result."""
    result = inp.last_result("add")
    if result is None:
        a, b = (int(w) for w in inp.last_human_text().split() if w.isdigit())
        return reply("Let me add those two numbers for you.", tool_call("add", {"a": a, "b": b}))
    return reply(f"The sum is {result.data['sum']}.")


@pytest.fixture(autouse=True)
def _adder_policy() -> Iterator[None]:
    register_policy(ROLE)(adder_policy)
    yield
    unregister_policy(ROLE)


def _graph() -> Any:
    """A one-agent graph whose model streams fine pieces (3 words, 12 characters of arguments),
    so that this toy's short answer and arguments arrive in several."""
    model = OfflineChatModel(role=ROLE, text_chunk_words=3, args_chunk_chars=12).bind_tools([add])

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([add]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()


def _merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return merged


# --------------------------------------------------------------------------------------------
# LangGraph smoke tests
# --------------------------------------------------------------------------------------------


def test_langgraph_messages_stream_shows_tool_call_and_answer() -> None:
    stream = _graph().stream({"messages": [HumanMessage("add 17 and 25")]}, stream_mode="messages")
    items = list(stream)
    agent_chunks = [c for c, meta in items if meta["langgraph_node"] == "agent"]
    assert all(isinstance(c, AIMessageChunk) for c in agent_chunks)
    call_chunks = [tc for c in agent_chunks for tc in c.tool_call_chunks]
    assert call_chunks[0]["name"] == "add" and call_chunks[0]["id"]
    assert len(call_chunks) >= 2, "the arguments should arrive in several pieces"
    assert json.loads("".join(tc["args"] or "" for tc in call_chunks)) == {"a": 17, "b": 25}
    tool_messages = [c for c, meta in items if meta["langgraph_node"] == "tools"]
    assert len(tool_messages) == 1 and json.loads(tool_messages[0].content) == {"sum": 42}
    assert tool_messages[0].tool_call_id == call_chunks[0]["id"]
    text = "".join(str(c.content) for c in agent_chunks)
    assert text.endswith("The sum is 42.")
    assert sum(1 for c in agent_chunks if c.content) >= 3, "text should be streamed in pieces"


def test_langgraph_astream_events_show_tool_call_tool_run_and_final_message() -> None:
    async def collect() -> list[Any]:
        inputs = {"messages": [HumanMessage("add 2 and 40")]}
        return [e async for e in _graph().astream_events(inputs, version="v2")]

    events = asyncio.run(collect())
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    names = [tc["name"] for c in streamed for tc in c.tool_call_chunks if tc["name"]]
    assert names == ["add"]
    ends = [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]
    assert ends[0].tool_calls[0]["name"] == "add"
    assert ends[0].tool_calls[0]["args"] == {"a": 2, "b": 40}
    tool_end = [e for e in events if e["event"] == "on_tool_end"]
    assert len(tool_end) == 1 and json.loads(tool_end[0]["data"]["output"].content) == {"sum": 42}
    assert ends[-1].content == "The sum is 42." and not ends[-1].tool_calls
    assert all(end.usage_metadata["total_tokens"] > 0 for end in ends)


def test_langgraph_invoke_runs_the_tool_loop() -> None:
    out = _graph().invoke({"messages": [HumanMessage("add 5 and 6")]})
    kinds = [m.type for m in out["messages"]]
    assert kinds == ["human", "ai", "tool", "ai"]
    assert out["messages"][-1].content == "The sum is 11."


# --------------------------------------------------------------------------------------------
# The model on its own
# --------------------------------------------------------------------------------------------


def test_stream_merges_into_the_invoke_result() -> None:
    model = OfflineChatModel(role=ROLE).bind_tools([add])
    messages = [HumanMessage("add 3 and 4")]
    chunks = [cast(AIMessageChunk, c) for c in model.stream(messages)]
    merged = _merge(chunks)
    invoked = model.invoke(messages)
    assert merged.content == invoked.content == "Let me add those two numbers for you."
    assert [(c["name"], c["args"], c["id"]) for c in merged.tool_calls] == [
        (c["name"], c["args"], c["id"]) for c in invoked.tool_calls
    ]
    assert invoked.tool_calls[0]["args"] == {"a": 3, "b": 4}
    assert merged.usage_metadata == invoked.usage_metadata
    assert chunks[-1].usage_metadata is not None and chunks[-1].chunk_position == "last"
    assert all(c.usage_metadata is None for c in chunks[:-1])


def test_async_paths_match_sync() -> None:
    model = OfflineChatModel(role=ROLE).bind_tools([add])
    messages = [HumanMessage("add 8 and 9")]

    async def run() -> tuple[AIMessage, list[AIMessageChunk]]:
        chunks = [cast(AIMessageChunk, c) async for c in model.astream(messages)]
        return await model.ainvoke(messages), chunks

    invoked, chunks = asyncio.run(run())
    assert invoked.tool_calls == model.invoke(messages).tool_calls
    assert _merge(chunks).tool_calls == invoked.tool_calls


def test_deterministic_output_and_ids() -> None:
    model = OfflineChatModel(role=ROLE).bind_tools([add])
    first = model.invoke([HumanMessage("add 1 and 2")])
    again = OfflineChatModel(role=ROLE).bind_tools([add]).invoke([HumanMessage("add 1 and 2")])
    other = model.invoke([HumanMessage("add 1 and 3")])
    assert first.content == again.content
    assert first.tool_calls == again.tool_calls
    assert str(first.tool_calls[0]["id"]).startswith(f"call_{ROLE}_")
    assert other.tool_calls[0]["id"] != first.tool_calls[0]["id"]


def test_usage_metadata_estimates_characters_over_four() -> None:
    text = "x" * 401  # no tools bound: the input is the message text only
    message = OfflineChatModel(role="no_such_role").invoke([HumanMessage(text)])
    usage = message.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] == math.ceil(401 / 4)
    assert usage["output_tokens"] == math.ceil(len(str(message.content)) / 4)
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    longer = OfflineChatModel(role="no_such_role").invoke([HumanMessage(text * 2)])
    assert longer.usage_metadata is not None
    assert longer.usage_metadata["input_tokens"] > usage["input_tokens"]


def test_bound_tools_count_as_the_characters_of_their_json() -> None:
    """Every tool the model is bound to counts as the length of its JSON text, on every call."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from tools import build_tools

    tools = build_tools()
    expected = sum(len(json.dumps(convert_to_openai_tool(tool))) for tool in tools)
    model = OfflineChatModel(role="no_such_role").bind_tools(tools)
    for text in ("x" * 401, "y" * 3):
        usage = model.invoke([HumanMessage(text)]).usage_metadata
        assert usage is not None
        assert usage["input_tokens"] == math.ceil((len(text) + expected) / 4)


def test_policy_override_and_registry() -> None:
    assert get_policy(ROLE) is adder_policy
    assert get_policy("nobody_registered") is default_policy
    model = OfflineChatModel(role=ROLE, policy=lambda inp: reply(f"{len(inp.messages)} msgs"))
    assert model.invoke([HumanMessage("a"), HumanMessage("b")]).content == "2 msgs"


def test_policy_sees_tools_tool_choice_and_results() -> None:
    seen: list[PolicyInput] = []

    def spy(inp: PolicyInput) -> AIMessage:
        seen.append(inp)
        return reply("ok", tool_call("add", {"a": 1, "b": 1}))

    model = OfflineChatModel(role="spy", policy=spy).bind_tools([add, lookup], tool_choice="add")
    history: list[BaseMessage] = [
        HumanMessage("go"),
        AIMessage("", tool_calls=[{"name": "lookup", "args": {"name": "x"}, "id": "c1"}]),
        ToolMessage('{"value": 3.5}', tool_call_id="c1", name="lookup"),
    ]
    model.invoke(history)
    inp = seen[0]
    assert inp.tool_names == ["add", "lookup"] and inp.tool_choice == "add"
    assert inp.forced_tool == "add" and inp.must_call_tool
    [result] = inp.latest_tool_results()
    assert (result.name, result.data, result.args, result.is_error) == (
        "lookup",
        {"value": 3.5},
        {"name": "x"},
        False,
    )
    assert inp.tool_schema("add")["required"] == ["a", "b"]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", None),
        ("none", "none"),
        ("any", "any"),
        ("required", "any"),
        (True, "any"),
        ("add", "add"),
        ({"type": "function", "function": {"name": "lookup"}}, "lookup"),
        ({"type": "tool", "name": "add"}, "add"),
        ({"type": "any"}, "any"),
    ],
)
def test_tool_choice_spellings(choice: Any, expected: str | None) -> None:
    assert normalise_tool_choice(choice, ["add", "lookup"]) == expected


def test_tool_choice_must_name_a_bound_tool() -> None:
    with pytest.raises(ValueError, match="does not name a bound tool"):
        OfflineChatModel().bind_tools([add], tool_choice="multiply")


def test_policy_violating_the_tool_choice_is_an_error() -> None:
    chatty = OfflineChatModel(role="chatty", policy=lambda inp: reply("no tools for you"))
    with pytest.raises(ValueError, match=r"must call a tool \(tool_choice='add'\)"):
        chatty.bind_tools([add, lookup], tool_choice="add").invoke("hi")
    wrong = OfflineChatModel(role="wrong", policy=lambda inp: reply("", tool_call("lookup", {})))
    with pytest.raises(ValueError, match="must call the forced tool 'add'"):
        wrong.bind_tools([add, lookup], tool_choice="add").invoke("hi")
    with pytest.raises(ValueError, match="must call a tool"):
        chatty.bind_tools([add, lookup], tool_choice="any").invoke("hi")
    rogue = OfflineChatModel(role="rogue", policy=lambda inp: reply("", tool_call("rm", {})))
    with pytest.raises(ValueError, match="not bound"):
        rogue.bind_tools([add]).invoke("hi")


# --------------------------------------------------------------------------------------------
# Structured output and the default policy
# --------------------------------------------------------------------------------------------


class Allocation(BaseModel):
    """A requested allocation."""

    method: str = Field(json_schema_extra={"enum": ["hrp", "max_sharpe"]})
    max_weight: float = Field(gt=0, le=1)
    n_assets: int = Field(ge=1)
    note: str
    leverage: float = 1.0


def test_with_structured_output_pydantic() -> None:
    structured = OfflineChatModel(role="nobody").with_structured_output(Allocation)
    out = structured.invoke("use max_sharpe over 12 assets with max_weight 25%")
    assert isinstance(out, Allocation)
    assert out.method == "max_sharpe"
    assert out.max_weight == pytest.approx(0.25)
    assert out.n_assets == 12
    assert out.note == "use max_sharpe over 12 assets with max_weight 25%"
    assert out.leverage == 1.0


def test_models_of_the_same_settings_bind_once_and_a_policy_keeps_its_own() -> None:
    """What agents bind on every call (their tools, their decision schema) is made once for
    every model of the same settings; a model with a policy of its own, or other settings, gets
    its own, and each answers as itself."""
    first, again = OfflineChatModel(role=ROLE), OfflineChatModel(role=ROLE)
    assert first.bind_tools([add]) is again.bind_tools([add])
    assert first.bind_tools([add], tool_choice="add") is not first.bind_tools([add])
    made = first.with_structured_output(Allocation, include_raw=True)
    assert made is again.with_structured_output(Allocation, include_raw=True)
    assert made is not first.with_structured_output(Allocation)
    assert first.bind_tools([add]) is not OfflineChatModel(
        role=ROLE, args_chunk_chars=5
    ).bind_tools([add])
    own = OfflineChatModel(role=ROLE, policy=lambda inp: reply("mine"))
    assert own.bind_tools([add]) is not first.bind_tools([add])
    assert own.bind_tools([add]).invoke("add 2 and 3").text == "mine"
    assert first.bind_tools([add]).invoke("add 2 and 3").tool_calls[0]["args"] == {"a": 2, "b": 3}


def test_with_structured_output_json_schema_and_include_raw() -> None:
    schema = {
        "title": "Limits",
        "description": "Risk limits.",
        "type": "object",
        "properties": {
            "cvar": {"type": "number", "minimum": 0, "maximum": 1},
            "level": {"type": "string", "enum": ["low", "high"]},
            "flag": {"type": "boolean"},
        },
        "required": ["cvar", "level", "flag"],
    }
    structured = OfflineChatModel().with_structured_output(schema, include_raw=True)
    out: Any = structured.invoke("cvar of 3% at a high level")
    assert out["parsing_error"] is None
    assert out["parsed"] == {"cvar": pytest.approx(0.03), "level": "high", "flag": False}
    assert out["raw"].tool_calls[0]["name"] == "Limits"


def test_structured_output_prefers_values_from_tool_results() -> None:
    class Summary(BaseModel):
        best_value: float
        search_id: str

    history: list[BaseMessage] = [
        HumanMessage("summarise the search"),
        AIMessage("", tool_calls=[{"name": "run_strategy_search", "args": {}, "id": "c9"}]),
        ToolMessage(
            json.dumps({"search_id": "srch_42", "best_value": 1.37, "n_trials": 10}),
            tool_call_id="c9",
            name="run_strategy_search",
        ),
    ]
    out = OfflineChatModel().with_structured_output(Summary).invoke(history)
    assert out == Summary(best_value=1.37, search_id="srch_42")


def test_bind_tools_then_structured_output_together() -> None:
    bound = OfflineChatModel(role=ROLE).bind_tools([add])
    assert bound.invoke([HumanMessage("add 1 and 1")]).tool_calls[0]["name"] == "add"
    out = (
        OfflineChatModel(role="nobody")
        .with_structured_output(Allocation)
        .invoke("hrp, 3 assets, max weight of 0.5, note")
    )
    assert isinstance(out, Allocation)
    assert (out.method, out.n_assets, out.max_weight) == ("hrp", 3, 0.5)


def test_default_policy_summarises_latest_tool_results() -> None:
    history: list[BaseMessage] = [
        HumanMessage("stats please"),
        AIMessage("", tool_calls=[{"name": "lookup", "args": {"name": "a"}, "id": "c1"}]),
        ToolMessage(json.dumps({"volatility": 0.123456, "regime": "bull"}), tool_call_id="c1"),
    ]
    message = OfflineChatModel(role="nobody").bind_tools([lookup]).invoke(history)
    assert message.content == "lookup: volatility=0.1235, regime=bull"
    assert not message.tool_calls
    errors: list[BaseMessage] = [
        *history[:2],
        ToolMessage("Error: bad name", tool_call_id="c1", status="error"),
    ]
    text = str(OfflineChatModel(role="nobody").invoke(errors).content)
    assert text.startswith("lookup error: Error: bad name")


def test_fill_arguments_raises_when_impossible() -> None:
    inp = PolicyInput(role="x", messages=[], tools=[])
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    with pytest.raises(ValueError, match="'name'"):
        fill_arguments(schema, inp)
    bounded = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 9}},
        "required": ["n"],
    }
    assert fill_arguments(bounded, inp) == {"n": 5}
