"""The tool set as a whole: names, schemas for models, and errors that come back as tool messages
(directly, as ToolCalls and through LangGraph's ToolNode) instead of exceptions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from tools import TOOL_NAMES, ToolContext, build_tools


def run_tool_node(tools: dict[str, Any], calls: list[dict[str, Any]]) -> list[ToolMessage]:
    """Run the calls through a ToolNode inside a one-node graph, as the workflow graphs do."""
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode(list(tools.values())))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    out = graph.compile().invoke({"messages": [AIMessage(content="", tool_calls=calls)]})
    return [m for m in out["messages"] if isinstance(m, ToolMessage)]


@pytest.fixture(scope="module")
def context() -> ToolContext:
    return ToolContext()


@pytest.fixture(scope="module")
def tools(context: ToolContext) -> dict[str, Any]:
    return {t.name: t for t in build_tools(context)}


def test_build_tools_names_and_error_handling(tools: dict[str, Any]) -> None:
    assert tuple(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.handle_tool_error is True
        assert tool.handle_validation_error
        assert len(tool.description) > 50


def test_schemas_describe_every_argument_for_a_model(tools: dict[str, Any]) -> None:
    for name, tool in tools.items():
        spec = convert_to_openai_tool(tool)
        json.dumps(spec)
        assert spec["function"]["name"] == name
        properties = spec["function"]["parameters"]["properties"]
        assert properties, name
        for arg, schema in properties.items():
            assert schema.get("description"), f"{name}.{arg} has no description"


def test_schema_bounds_and_enums_are_visible(tools: dict[str, Any]) -> None:
    params = convert_to_openai_tool(tools["generate_market_scenarios"])["function"]["parameters"]
    n_paths = params["properties"]["n_paths"]
    assert (n_paths["minimum"], n_paths["maximum"], n_paths["default"]) == (1, 5000, 500)
    horizon = params["properties"]["horizon"]
    assert (horizon["minimum"], horizon["maximum"]) == (21, 1260)
    assert params["properties"]["method"]["enum"] == ["block_bootstrap", "gbm"]
    opt = convert_to_openai_tool(tools["optimize_portfolio"])["function"]["parameters"]
    assert opt["required"] == ["method"]
    assert {"hrp", "risk_parity", "min_volatility", "max_sharpe"} <= set(
        opt["properties"]["method"]["enum"]
    )
    universe = opt["properties"]["universe"]["anyOf"][0]
    assert universe["maxItems"] == 50


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("market_statistics", {"universe": ["AAPL", "NOPE"]}, "unknown ticker NOPE"),
        ("generate_market_scenarios", {"n_paths": -5}, "n_paths"),
        ("generate_market_scenarios", {"horizon": "long"}, "horizon"),
        ("optimize_portfolio", {"method": "max_sharpe", "max_weight": 0.001}, "infeasible"),
        ("optimize_portfolio", {"method": "max_sharpe", "max_weight": 0}, "max_weight"),
        ("run_strategy_search", {"scenario_set_id": "scn_zzzzzz"}, "scn_zzzzzz"),
        ("search_status", {}, "search_id: is required"),
    ],
)
def test_tool_call_errors_become_error_tool_messages(
    tools: dict[str, Any], name: str, args: dict[str, Any], needle: str
) -> None:
    call = {"name": name, "args": args, "id": "call_1", "type": "tool_call"}
    message = tools[name].invoke(call)
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert message.tool_call_id == "call_1"
    assert needle in str(message.content)


def test_tool_node_returns_error_messages_not_exceptions(tools: dict[str, Any]) -> None:
    calls = [
        {"name": "optimize_portfolio", "args": {"method": "magic"}, "id": "a", "type": "tool_call"},
        {
            "name": "market_statistics",
            "args": {"universe": ["ZZZ"]},
            "id": "b",
            "type": "tool_call",
        },
        {"name": "search_results", "args": {"search_id": "srch_000000"}, "id": "c"},
        {"name": "optimize_portfolio", "args": {"method": "hrp"}, "id": "d", "type": "tool_call"},
    ]
    messages = {m.tool_call_id: m for m in run_tool_node(tools, calls)}
    assert set(messages) == {"a", "b", "c", "d"}
    for key in ("a", "b", "c"):
        assert messages[key].status == "error", messages[key]
    assert "method: must be one of" in str(messages["a"].content)
    assert "bring their prices as a CSV or Parquet file" in str(messages["b"].content)
    assert "unknown search artifact id 'srch_000000'" in str(messages["c"].content)
    assert messages["d"].status == "success"
    content = json.loads(str(messages["d"].content))
    assert content["method"] == "hrp"
    assert abs(sum(content["weights"].values()) - 1.0) < 1e-3


def test_tool_node_unknown_tool_is_an_error_message(tools: dict[str, Any]) -> None:
    call = {"name": "launch_rocket", "args": {}, "id": "x", "type": "tool_call"}
    (message,) = run_tool_node(tools, [call])
    assert message.status == "error"
    assert "launch_rocket" in str(message.content)


def test_async_invoke_handles_errors(tools: dict[str, Any]) -> None:
    async def run() -> tuple[Any, Any]:
        bad = await tools["market_statistics"].ainvoke({"universe": ["ZZZ"]})
        good = await tools["optimize_portfolio"].ainvoke({"method": "min_volatility"})
        return bad, good

    bad, good = asyncio.run(run())
    assert isinstance(bad, str) and "unknown ticker ZZZ" in bad
    assert isinstance(good, dict) and good["method"] == "min_volatility"


def test_returns_are_cached_in_the_context(context: ToolContext) -> None:
    first = context.returns(["AAPL", "MSFT"], "2019-01-01", "2019-12-31")
    again = context.returns(["aapl", "MSFT"], "2019-01-01", "2019-12-31")
    assert again is first  # same resolved request: the cached frame
    other = context.returns(["AAPL", "MSFT"], "2019-01-01", "2020-12-31")
    assert other is not first and len(other) > len(first)


def test_contexts_on_one_data_object_share_what_is_derived_from_it() -> None:
    from tools.context import FrameMarketData, embedded_market_data

    embedded = embedded_market_data()
    data = FrameMarketData(embedded.asset_returns, embedded.market_returns)  # this test's own
    first = ToolContext(data=data).returns(["AAPL", "KO"], "2019-01-01", "2019-12-31")
    again = ToolContext(data=data).returns(["AAPL", "KO"], "2019-01-01", "2019-12-31")
    assert again is first  # a new thread's context: the frame another context derived
    market = ToolContext(data=data).market("2019-01-01", "2019-12-31")
    assert ToolContext(data=data).market("2019-01-01", "2019-12-31") is market
    # another data object (an owner's own, a new version) never gets them, even equal ones
    twin = FrameMarketData(embedded.asset_returns, embedded.market_returns)
    other = ToolContext(data=twin).returns(["AAPL", "KO"], "2019-01-01", "2019-12-31")
    assert other is not first and other.equals(first)
    changed = FrameMarketData(embedded.asset_returns * 2.0, embedded.market_returns)
    doubled = ToolContext(data=changed).returns(["AAPL", "KO"], "2019-01-01", "2019-12-31")
    assert doubled.equals(first * 2.0)
    assert ToolContext(data=data).returns(["AAPL", "KO"], "2019-01-01", "2019-12-31") is first


def test_what_is_derived_from_a_data_object_is_bounded_and_dropped_with_it() -> None:
    import gc
    import weakref

    from tools import context as tool_context
    from tools.context import DERIVED_PER_DATA, FrameMarketData, data_derived, embedded_market_data

    data = FrameMarketData(embedded_market_data().asset_returns)
    made: list[int] = []

    def derive(source: FrameMarketData, key: int) -> object:
        return data_derived(source, ("test", key), lambda: made.append(key) or object())

    first = derive(data, 0)
    assert derive(data, 0) is first and made == [0]
    for key in range(1, DERIVED_PER_DATA + 1):
        derive(data, key)
    assert made == list(range(DERIVED_PER_DATA + 1))
    assert derive(data, 0) is not first and made[-1] == 0  # the least recently used was dropped
    assert data in tool_context._DERIVED
    gone = weakref.ref(data)
    del data
    gc.collect()
    assert gone() is None  # the cache does not keep the data object alive


def test_concurrent_contexts_on_one_data_object_get_one_frame() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tools.context import FrameMarketData, embedded_market_data

    embedded = embedded_market_data()
    data = FrameMarketData(embedded.asset_returns, embedded.market_returns)

    def returns(_: int) -> Any:
        return ToolContext(data=data).returns(["MSFT", "JNJ"], "2016-01-01", "2018-12-31")

    with ThreadPoolExecutor(8) as pool:
        frames = list(pool.map(returns, range(32)))
    assert all(frame is frames[0] for frame in frames)


def test_a_tool_call_inspects_no_signature_and_reads_its_schema_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.tools import BaseTool
    from langchain_core.tools import base as tool_base

    def inspected(func: Any) -> frozenset[str]:
        raise AssertionError(f"the signature of {func} was inspected for injected arguments")

    args = {"weights": {"AAPL": 0.5, "KO": 0.5}, "level": 0.95, "start": "2019-01-01"}
    # what LangChain does once a process for a schema, on another tool object: not counted
    build_tools(ToolContext(), ["portfolio_risk_report"])[0].invoke(args)
    reads: list[Any] = []
    annotations = tool_base.get_all_basemodel_annotations

    def read(schema: Any, **kwargs: Any) -> Any:
        reads.append(schema)
        return annotations(schema, **kwargs)

    monkeypatch.setattr(tool_base, "_get_injected_args_keys_from_signature", inspected)
    monkeypatch.setattr(tool_base, "get_all_basemodel_annotations", read)
    seen: list[Any] = []

    class Inputs(BaseCallbackHandler):
        def on_tool_start(self, serialized: Any, input_str: str, **kwargs: Any) -> None:
            seen.append((input_str, kwargs.get("inputs")))

    (tool,) = build_tools(ToolContext(), ["portfolio_risk_report"])  # a new thread's tool
    for _ in range(3):
        out = tool.invoke(args, config={"callbacks": [Inputs()]})
        assert isinstance(out, dict) and out["level"] == 0.95 and "cvar_historical" in out
    assert len(reads) == 3  # LangChain's parsing of the arguments alone, once a call
    assert seen == [(str(args), args)] * 3  # what the callbacks are shown: the arguments
    hidden = {**args, "run_manager": 1, "callbacks": 2}
    assert tool._filter_injected_args(hidden) == BaseTool._filter_injected_args(tool, hidden)
