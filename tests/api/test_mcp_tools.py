"""The MCP server with the `mcp` SDK's own client (in memory): the tools served are the agents'
own definitions; each answers with the numbers the agents read (a CVaR equal to `stratigos
chat`'s and to the numeric core's); bad arguments come back in the project's words and format;
searches and deployments are only drafted, and run once the owner approves them, in the client
(elicitation) or in the CLI; the owner's records are resources; workflows are prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import ClientSession, types
from mcp.shared.exceptions import McpError

from api.mcp.drafts import DRAFT_TOOL_NAMES
from api.mcp.server import build_server
from api.mcp.tools import assistant_tool_names, without_null_arguments
from graphs.assistant import TOOLS_OF
from graphs.thread_artifacts import ThreadArtifacts
from graphs.thread_bindings import bind_owner, tool_context
from quant import risk_report
from quant.data import load_sp500_prices, to_returns
from settings import LOCAL_OWNER, Settings, get_settings
from store import Store
from store.factory import open_store
from tests.support.dollars import dollars
from tests.support.hostile import BIDI, CONTROLS, assert_our_words, nested, with_char
from tests.support.mcp_client import data, error, in_memory, user_answers
from tools.memory import memory_tools

SMALL_SEARCH = {"universe": ["AAPL", "JNJ", "KO"], "start": "2015-01-01", "max_trials": 6}


@pytest.fixture
def local(offline_data_dir: Path) -> Iterator[tuple[Settings, Store]]:
    """The command line's settings and store (offline model, a fresh data dir)."""
    settings = get_settings()
    settings.ensure_data_dir()
    store = open_store(settings)
    yield settings, store
    store.close()


def served(local: tuple[Settings, Store], owner: str = LOCAL_OWNER) -> Any:
    settings, store = local
    return build_server(settings, lambda: store, local_owner=owner)


def test_the_tools_served_are_the_agents_own_definitions(local: tuple[Settings, Store]) -> None:
    listed = in_memory(served(local), lambda s: s.list_tools())
    by_name = {tool.name: tool for tool in listed.tools}
    assert list(by_name) == [*assistant_tool_names(), *DRAFT_TOOL_NAMES]
    # every tool a chat specialist is handed, and the supervisor's memory tools
    assert {n for names in TOOLS_OF.values() for n in names} | {
        "remember_fact", "recall_memories", "forget_memory"
    } == set(assistant_tool_names())  # fmt: skip
    # the very tools of a chat thread (another thread, another owner): same schemas (optional
    # arguments without their null branch: test_mcp_schemas.py), same words
    _, store = local
    bind_owner("chat:schemas", "someone", store)
    thread = {"configurable": {"thread_id": "chat:schemas"}}
    _, chat_tools = tool_context(thread, ThreadArtifacts())
    agents = {t.name: t for t in [*chat_tools, *memory_tools("someone", store)]}
    for name in assistant_tool_names():
        schema = agents[name].args_schema.model_json_schema()
        assert by_name[name].inputSchema == without_null_arguments(schema), name
        assert by_name[name].description == agents[name].description, name
    assert "run_strategy_search" not in by_name  # a search is only ever drafted


EXAMPLES: dict[str, dict[str, Any]] = {
    "market_statistics": {"universe": ["AAPL", "KO"], "start": "2020-01-01"},
    "generate_market_scenarios": {"universe": ["AAPL", "KO"], "n_paths": 20, "horizon": 21},
    "search_research": {"query": "defensive stocks"},
    "save_idea": {"title": "Staples", "thesis": "Defensive cash flows", "tickers": ["KO", "PG"]},
    "propose_ideas": {"universe": ["AAPL", "KO", "JNJ", "XOM"], "count": 1},
    "optimize_portfolio": {"method": "hrp", "universe": ["AAPL", "JNJ", "KO"]},
    "efficient_frontier": {"universe": ["AAPL", "JNJ", "KO"], "points": 5},
    "backtest_strategy": {"config": {"target_vol": 0.1}, "universe": ["AAPL", "KO"]},
    "portfolio_risk_report": {"weights": {"AAPL": 0.5, "KO": 0.5}, "start": "2019-01-01"},
    "asset_statistics": {"universe": ["AAPL", "MSFT"], "start": "2021-01-01"},
    "market_data_coverage": {"sector": "banks"},
    "stress_test": {"weights": {"AAPL": 0.6, "KO": 0.4}, "market_move": -0.2, "capital": 1e6},
    "loss_probability": {"universe": ["AAPL", "KO"], "threshold": 0.15, "scenarios": ["bear"]},
    "backtest_weights": {"weights": {"AAPL": 0.6, "KO": 0.4}, "cost_bps": 10},
    "compare_portfolios": {"methods": ["hrp", "min_volatility"], "universe": ["AAPL", "KO", "XOM"]},
    "remember_fact": {"fact": "I prefer quarterly rebalancing"},
    "recall_memories": {},
    "forget_memory": {"key": "all"},
}


def test_every_tool_answers_with_its_own_result(local: tuple[Settings, Store]) -> None:
    async def call_all(session: ClientSession) -> dict[str, types.CallToolResult]:
        answers = {}
        for name in assistant_tool_names():  # a tool added later is called with no arguments
            answers[name] = await session.call_tool(name, EXAMPLES.get(name, {}))
        return answers

    answers = in_memory(served(local), call_all)
    for name, result in answers.items():
        if name in EXAMPLES:
            assert not result.isError, (name, result.content)
            data(result)
        elif result.isError:  # its required arguments named, in the project's format
            error(result)
    built = data(answers["optimize_portfolio"])
    assert set(built["weights"]) == {"AAPL", "JNJ", "KO"}
    statistics = data(answers["asset_statistics"])
    assert statistics["window"]["start"] == "2021-01-04" and statistics["data_end"] == "2022-12-28"
    assert data(answers["stress_test"])["market_move"]["amount"] < 0  # a fall loses money
    banks = data(answers["market_data_coverage"])
    assert [s["ticker"] for s in banks["stocks"]] == ["BAC", "JPM"] and banks["of_all"] == 20
    assert set(data(answers["loss_probability"])["scenarios"]) == {"bear"}
    assert data(answers["backtest_weights"])["rebalance"] == "monthly"
    compared = data(answers["compare_portfolios"])["rows"]
    assert [row["portfolio"] for row in compared] == ["hrp", "min_volatility"]
    assert data(answers["remember_fact"])["remembered"]["text"] == "I prefer quarterly rebalancing"
    assert data(answers["forget_memory"])["count"] == 1  # what was remembered, forgotten


def test_a_cvar_answer_is_the_chat_s_number_and_the_numeric_core_s(
    local: tuple[Settings, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    assert main(["chat", "--message", "What is the CVaR of AAPL and KO since 2019?", "--json"]) == 0
    reply = json.loads(capsys.readouterr().out)["replies"][-1]
    report = data(
        in_memory(
            served(local),
            lambda s: s.call_tool(
                "portfolio_risk_report",
                {"weights": {"AAPL": 0.5, "KO": 0.5}, "start": "2019-01-01"},
            ),
        )
    )
    returns = to_returns(load_sp500_prices()[["AAPL", "KO"]]).loc["2019-01-01":]
    exact = risk_report(pd.Series(0.5, index=returns.columns), returns, level=0.95)
    assert report["cvar_historical"] == pytest.approx(exact.cvar_historical, rel=1e-3)
    assert f"CVaR {report['cvar_historical']:.2%}" in reply  # the number `stratigos chat` gave
    assert report["date_range"] == {"start": "2019-01-02", "end": "2022-12-28", "days": 1006}


def test_bad_arguments_are_answered_in_the_project_s_words(local: tuple[Settings, Store]) -> None:
    async def calls(session: ClientSession) -> list[types.CallToolResult]:
        return [
            await session.call_tool("portfolio_risk_report", {"weights": {"AAPL": "half"}}),
            await session.call_tool("optimize_portfolio", {"method": "hrp", "universe": ["XYZQ"]}),
            await session.call_tool("draft_strategy_search", {"max_trials": 0}),
            await session.call_tool("no_such_tool", {}),
        ]

    typed, unknown_ticker, zero_trials, no_tool = in_memory(served(local), calls)
    body = error(typed)
    assert body["code"] == "VALIDATION_ERROR"
    assert body["message"].startswith("portfolio_risk_report: invalid arguments: weights.AAPL:")
    assert body["details"][0]["field"] == "arguments.weights.AAPL"
    assert "unknown ticker XYZQ" in error(unknown_ticker)["message"]
    assert error(zero_trials)["details"][0]["field"] == "arguments.max_trials"
    assert error(no_tool)["code"] == "NOT_FOUND"


IDEA = {"title": "Staples", "thesis": "Defensive.", "tickers": ["KO", "PG"]}
"""A valid `save_idea` call, spoilt one field at a time below."""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=with_char(st.one_of(CONTROLS, BIDI)),  # lone surrogates: refused in the frame first
    call=st.sampled_from(
        [
            ("save_idea", lambda t: {**IDEA, "title": t}, "arguments.title"),
            ("save_idea", lambda t: {**IDEA, "tickers": ["KO", t]}, "arguments.tickers.1"),
            ("remember_fact", lambda t: {"fact": t}, "arguments.fact"),
            ("remember_fact", lambda t: {"fact": "ok", t: 1}, "arguments."),
            ("draft_strategy_search", lambda t: {"universe": ["KO", t]}, "arguments.universe.1"),
        ]
    ),
)
def test_text_the_api_refuses_is_refused_in_tool_arguments_and_nothing_is_kept(
    local: tuple[Settings, Store], text: str, call: tuple[str, Any, str]
) -> None:
    _, store = local
    name, arguments, field = call
    refused = error(in_memory(served(local), lambda s: s.call_tool(name, arguments(text))))
    assert refused["code"] == "VALIDATION_ERROR"
    named = field.removeprefix("arguments.")  # as the tool's own refusals name them
    assert refused["message"].startswith(f"{name}: invalid arguments: {named}")
    assert refused["details"][0]["field"].startswith(field)
    assert_our_words(json.dumps(refused))
    assert store.list_ideas(LOCAL_OWNER).items == []
    assert store.list_threads(LOCAL_OWNER) == []  # no draft either
    recalled = data(in_memory(served(local), lambda s: s.call_tool("recall_memories", {})))
    assert recalled.get("memories", []) == []


def test_arguments_nested_past_the_limit_are_refused_in_our_words(
    local: tuple[Settings, Store],
) -> None:
    deep = {**IDEA, "thesis": nested(100)}
    refused = error(in_memory(served(local), lambda s: s.call_tool("save_idea", deep)))
    assert refused["code"] == "VALIDATION_ERROR"
    assert "nested deeper than 64 levels" in refused["message"]
    assert refused["details"][0]["field"].startswith("arguments.thesis")


def test_a_tool_s_refusal_carries_the_code_the_api_gives_its_cause(
    local: tuple[Settings, Store],
) -> None:
    _, store = local
    saved = store.create_portfolio(LOCAL_OWNER, "Staples", {"weights": {"KO": 0.5, "PG": 0.5}})

    async def calls(session: ClientSession) -> list[types.CallToolResult]:
        return [
            await session.call_tool("portfolio_risk_report", {"portfolio_id": saved.id}),
            await session.call_tool("portfolio_risk_report", {"portfolio_id": "pf_0a1b2c"}),
            await session.call_tool("forget_memory", {"key": "mem_000000000000"}),
            await session.call_tool(
                "optimize_portfolio",
                {"method": "efficient_risk", "universe": ["AAPL", "KO"], "target_volatility": 1e-4},
            ),
            await session.call_tool("optimize_portfolio", {"method": "hrp", "universe": ["XYZQ"]}),
        ]

    mine = in_memory(served(local), calls)
    assert not mine[0].isError  # the owner's own saved portfolio
    bobs, unknown, forgotten, infeasible, ticker = in_memory(served(local, "bob"), calls)
    # another owner's saved portfolio, an id of no conversation, a memory they do not have:
    # not found, as the REST API answers a record of someone else's
    for refused in (bobs, unknown, forgotten):
        body = error(refused)
        assert body["code"] == "NOT_FOUND", body
    assert error(bobs)["message"].startswith(
        f"portfolio_risk_report failed: no portfolio {saved.id!r}"
    )
    assert error(forgotten)["message"] == "forget_memory failed: no memory 'mem_000000000000'"
    # a target no portfolio meets is infeasible, with what is achievable (the REST API's words)
    body = error(infeasible)
    assert body["code"] == "INFEASIBLE"
    assert body["details"][0]["field"] == "target"
    assert body["details"][0]["problem"].startswith("achievable range is [")
    # a tool's own refusal of its arguments stays a validation error naming them
    assert error(ticker)["code"] == "VALIDATION_ERROR"


def test_a_search_drafted_without_elicitation_waits_until_approved_in_the_cli(
    local: tuple[Settings, Store], capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    server = served(local)
    _, store = local
    draft = data(in_memory(server, lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH)))
    assert draft["status"] == "pending_approval" and draft["summary"].startswith(
        "Strategy search on AAPL, JNJ and KO, 2015-01-01 to 2022-12-28"
    )
    assert f"stratigos chat --thread {draft['draft_id']} --approve" in draft["approve_with"]
    assert store.list_jobs(LOCAL_OWNER) == []  # nothing runs on the model's word
    assert store.get_thread(LOCAL_OWNER, draft["draft_id"]).title.startswith(
        "Strategy search drafted by test-client"
    )  # among the owner's threads (the web UI's chat page)

    assert main(["chat", "--thread", draft["draft_id"], "--approve", "--json"]) == 0
    capsys.readouterr()
    status = data(
        in_memory(server, lambda s: s.call_tool("draft_status", {"draft_id": draft["draft_id"]}))
    )
    (job,) = store.list_jobs(LOCAL_OWNER)
    assert status["status"] == "approved" and status["run_id"] == job.id
    assert job.status == "succeeded" and job.request["budget"]["max_trials"] == 6
    assert status["replies"][-1].startswith(f"Run {job.id} succeeded.")


def test_elicitation_approves_runs_and_reports_progress_or_rejects(
    local: tuple[Settings, Store],
) -> None:
    _, store = local
    asked: list[str] = []
    reported: list[tuple[float, float | None, str | None]] = []

    async def approve(session: ClientSession) -> types.CallToolResult:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            reported.append((progress, total, message))

        return await session.call_tool(
            "draft_strategy_search",
            SMALL_SEARCH,
            progress_callback=on_progress,
        )

    ran = data(in_memory(served(local), approve, user_answers("accept", "approve", asked)))
    (job,) = store.list_jobs(LOCAL_OWNER)
    assert ran["status"] == "approved" and ran["run_id"] == job.id and job.status == "succeeded"
    assert asked == [f"Approval needed: {ran['summary']}"]
    assert reported and reported[-1] == (6.0, 6.0, "6 of 6 trials")
    assert [p[0] for p in reported] == sorted({p[0] for p in reported})  # always increasing

    declined = data(
        in_memory(
            served(local),
            lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH),
            user_answers("decline"),
        )
    )
    assert declined["status"] == "rejected" and "run_id" not in declined
    assert len(store.list_jobs(LOCAL_OWNER)) == 1  # nothing more ran
    dismissed = data(
        in_memory(
            served(local),
            lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH),
            user_answers("cancel"),
        )
    )
    assert dismissed["status"] == "pending_approval"  # still the owner's to decide


def test_a_deployment_is_drafted_from_a_finished_search_and_deployed_once_approved(
    local: tuple[Settings, Store],
) -> None:
    _, store = local
    approve = user_answers("accept", "approve")
    ran = data(
        in_memory(
            served(local), lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH), approve
        )
    )
    job_id = ran["run_id"]

    unnamed = error(in_memory(served(local), lambda s: s.call_tool("draft_deployment", {})))
    assert unnamed["details"] == [
        {
            "field": "arguments.optimization_id",
            "problem": f"name the optimization job whose winner to deploy (your latest finished one is {job_id})",
        }
    ]
    unknown = error(
        in_memory(
            served(local),
            lambda s: s.call_tool("draft_deployment", {"optimization_id": "job_nope"}),
        )
    )
    assert unknown["code"] == "NOT_FOUND"

    wanted = {"optimization_id": job_id, "capital": 50_000, "every": "month"}
    pending = data(in_memory(served(local), lambda s: s.call_tool("draft_deployment", wanted)))
    summary = pending["summary"]
    assert pending["status"] == "pending_approval" and f"{dollars(50_000)} of capital" in summary
    assert pending["request"]["source"] == {"kind": "optimization", "id": job_id}
    assert store.list_deployments(LOCAL_OWNER) == []

    deployed = data(
        in_memory(served(local), lambda s: s.call_tool("draft_deployment", wanted), approve)
    )
    (deployment,) = store.list_deployments(LOCAL_OWNER)
    assert deployed["status"] == "approved" and deployment.id in deployed["replies"][-1]
    assert deployment.status == "active" and deployment.spec["capital"] == 50_000
    # a winner below its benchmarks is said so in the draft, and approving it confirms it
    below = any("does not beat its benchmarks" in n for n in deployment.spec["strategy"]["notes"])
    assert below == summary.startswith("The winner does not beat")


def test_another_owner_s_drafts_and_records_are_not_found(local: tuple[Settings, Store]) -> None:
    _, store = local
    mine = data(
        in_memory(served(local), lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH))
    )
    portfolio = store.create_portfolio(
        LOCAL_OWNER, "Staples", {"weights": [{"asset": "KO", "weight": 1.0}]}
    )

    async def as_bob(session: ClientSession) -> tuple[types.CallToolResult, list[str], str]:
        status = await session.call_tool("draft_status", {"draft_id": mine["draft_id"]})
        listed = [str(r.uri) for r in (await session.list_resources()).resources]
        try:
            await session.read_resource(f"stratigos://portfolios/{portfolio.id}")  # type: ignore[arg-type]
        except McpError as exc:
            return status, listed, exc.error.message
        raise AssertionError("another owner's portfolio was read")

    status, listed, refused = in_memory(served(local, owner="bob"), as_bob)
    assert error(status)["code"] == "NOT_FOUND"
    assert listed == ["stratigos://profile"]
    assert refused == f"resource 'stratigos://portfolios/{portfolio.id}' not found"


def test_the_owner_s_runs_portfolios_and_documents_are_resources(
    local: tuple[Settings, Store],
) -> None:
    _, store = local
    ran = data(
        in_memory(
            served(local),
            lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH),
            user_answers("accept", "approve"),
        )
    )
    portfolio = store.create_portfolio(
        LOCAL_OWNER, "Staples", {"weights": [{"asset": "KO", "weight": 1.0}]}
    )

    async def read(
        session: ClientSession,
    ) -> tuple[list[str], dict[str, Any], dict[str, Any], dict[str, Any]]:
        listed = [str(r.uri) for r in (await session.list_resources()).resources]
        texts = []
        for uri in (
            f"stratigos://runs/{ran['run_id']}",
            f"stratigos://runs/{ran['run_id']}/trace",
            f"stratigos://portfolios/{portfolio.id}",
        ):
            content = (await session.read_resource(uri)).contents[0]  # type: ignore[arg-type]
            assert isinstance(content, types.TextResourceContents)
            texts.append(json.loads(content.text))
        return listed, texts[0], texts[1], texts[2]

    listed, run, trace, saved = in_memory(served(local), read)
    assert (
        f"stratigos://runs/{ran['run_id']}" in listed
        and f"stratigos://portfolios/{portfolio.id}" in listed
    )
    assert run["status"] == "succeeded" and run["result"]["n_trials"] == 6
    assert (
        run["result"]["config"]
        == store.get_result(LOCAL_OWNER, ran["run_id"]).payload["best"]["config"]
    )
    stored = [json.loads(e.payload) for e in store.events(LOCAL_OWNER, ran["run_id"], limit=2000)]
    assert trace["events"] == stored and stored[-1]["type"] == "run_finished"
    assert saved["weights"] == {"KO": 1.0}


def test_workflows_are_prompts_filled_with_the_user_s_arguments(
    local: tuple[Settings, Store],
) -> None:
    async def prompts(session: ClientSession) -> tuple[list[str], types.GetPromptResult, str]:
        names = [p.name for p in (await session.list_prompts()).prompts]
        filled = await session.get_prompt("deploy_winner", {"optimization_id": "job_1"})
        try:
            await session.get_prompt("risk_check", {})
        except McpError as exc:
            return names, filled, exc.error.message
        raise AssertionError("a prompt without its required argument was filled")

    names, filled, refused = in_memory(served(local), prompts)
    assert names == [
        "risk_check",
        "build_portfolio",
        "tail_hedge_search",
        "deploy_winner",
        "research_view",
    ]
    text = filled.messages[0].content
    assert isinstance(text, types.TextContent)
    assert "optimization job_1" in text.text and "100000 of capital" in text.text
    assert refused == "prompt risk_check needs portfolio"


def test_a_client_that_fails_to_ask_leaves_the_draft_pending(local: tuple[Settings, Store]) -> None:
    async def cannot_ask(context: Any, params: types.ElicitRequestParams) -> types.ErrorData:
        return types.ErrorData(code=types.INTERNAL_ERROR, message="no user at the keyboard")

    _, store = local
    draft = data(
        in_memory(
            served(local),
            lambda s: s.call_tool("draft_strategy_search", SMALL_SEARCH),
            cannot_ask,
        )
    )
    assert draft["status"] == "pending_approval" and store.list_jobs(LOCAL_OWNER) == []


def test_a_handler_s_failure_is_answered_with_the_api_s_error(
    local: tuple[Settings, Store],
) -> None:
    settings_, store = local
    store.close()  # every read of it now fails, as a store that cannot be reached

    async def read(session: ClientSession) -> McpError:
        try:
            await session.list_resources()
        except McpError as exc:
            return exc
        raise AssertionError("a closed store was read")

    refused = in_memory(build_server(settings_, lambda: store, local_owner=LOCAL_OWNER), read)
    # the REST API's answer (503 UNAVAILABLE), not the store's exception text
    assert refused.error.code == types.INTERNAL_ERROR
    assert refused.error.message == "the store is unavailable; retry later"
    assert refused.error.data == {
        "error": {"code": "UNAVAILABLE", "message": refused.error.message, "details": []}
    }


def test_a_call_in_another_process_uses_what_an_earlier_call_built(
    local: tuple[Settings, Store],
) -> None:
    """Two servers on one store, as two processes over HTTP (`api.mcp.artifacts`): what one
    built, the other rebuilds from its recipe under the same id; the ids never collide."""
    settings_, store = local

    def call(instance: str, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        process = build_server(settings_, lambda: store, local_owner=LOCAL_OWNER, instance=instance)
        return in_memory(process, lambda s: s.call_tool(name, arguments))

    built = data(call("first", "optimize_portfolio", EXAMPLES["optimize_portfolio"]))
    paths = {"universe": ["AAPL", "KO"], "n_paths": 8, "horizon": 126}
    scenarios = data(call("first", "generate_market_scenarios", paths))
    own = data(call("second", "optimize_portfolio", {"method": "hrp", "universe": ["KO", "PG"]}))
    assert own["portfolio_id"] != built["portfolio_id"]  # each process its own ids

    risk = {"portfolio_id": built["portfolio_id"], "start": "2019-01-01"}
    backtest = {"config": {"target_vol": 0.1}, "scenario_set_id": scenarios["scenario_set_id"]}
    for name, arguments in (("portfolio_risk_report", risk), ("backtest_strategy", backtest)):
        here = data(call("first", name, arguments))
        there = data(call("second", name, arguments))
        assert there == here, name  # the same portfolio and scenario set: the same numbers
    unknown = error(call("second", "portfolio_risk_report", {"portfolio_id": "pf_0a1b2c"}))
    assert unknown["code"] == "NOT_FOUND"
