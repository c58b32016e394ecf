"""Artifact recipes (`tools.recipes`): what one process's tools built, another process's tools
rebuild from the recipes in a book they share (here an owner's cache in a real SQLite store),
under the same id and with the same numbers, recipes naming artifacts included (a search on a
scenario set), without disturbing the ids the second process hands out next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store.sqlite import SQLiteStore
from tools import ToolContext, build_tools
from tools.artifacts import ArtifactStore, collecting_built, kind_of_id
from tools.recipes import MAX_REBUILD_DEPTH, OwnerCacheRecipes, Recipe, recorded_tools

SCENARIOS = {"universe": ["AAPL", "KO"], "names": ["bull", "bear"], "n_paths": 8, "horizon": 126}
SEARCH = {"space": {"target_vol": {"low": 0.05, "high": 0.3}}, "budget": 6, "batch_size": 3}


def process(namespace: str, book: OwnerCacheRecipes) -> tuple[ToolContext, dict[str, Any]]:
    """A process's tool context (its own artifacts) and its tools recording in `book`."""
    context = ToolContext(artifacts=ArtifactStore(namespace=namespace))
    return context, {t.name: t for t in recorded_tools(build_tools(context), context, book)}


@pytest.fixture
def book(tmp_path: Path) -> OwnerCacheRecipes:
    return OwnerCacheRecipes(SQLiteStore(tmp_path / "store.sqlite"), "alice")


def test_a_search_on_a_scenario_set_is_rebuilt_in_another_process(book: OwnerCacheRecipes) -> None:
    _, tools = process("first", book)
    scenarios = tools["generate_market_scenarios"].invoke(SCENARIOS)["scenario_set_id"]
    search = tools["run_strategy_search"].invoke({"scenario_set_id": scenarios, **SEARCH})
    page = tools["search_results"].invoke({"search_id": search["search_id"]})
    recipe = book.recipe(search["search_id"])
    assert recipe is not None and (recipe.tool, recipe.kind, recipe.index) == (
        "run_strategy_search",
        "search",
        0,
    )
    assert recipe.arguments["scenario_set_id"] == scenarios
    assert recipe.arguments["budget"] == SEARCH["budget"]

    second, elsewhere = process("second", book)
    assert elsewhere["search_results"].invoke({"search_id": search["search_id"]}) == page
    # the search and the scenario set it ran on, rebuilt under their ids; no id handed out
    assert set(second.artifacts.ids()) == {scenarios, search["search_id"]}
    assert second.artifacts.counts() == {}
    backtest = {"config": {"target_vol": 0.1}, "scenario_set_id": scenarios}
    assert elsewhere["backtest_strategy"].invoke(backtest) == tools["backtest_strategy"].invoke(
        backtest
    )


def test_an_id_without_a_recipe_is_the_tool_s_not_found(book: OwnerCacheRecipes) -> None:
    _, tools = process("first", book)
    answer = tools["portfolio_risk_report"].invoke({"portfolio_id": "pf_0a1b2c"})
    assert "unknown portfolio artifact id 'pf_0a1b2c'" in answer


def test_recipes_name_each_artifact_of_a_call_by_its_place(book: OwnerCacheRecipes) -> None:
    """Two artifacts of one kind in one call are told apart by their index; an artifact of the
    call's kind is rebuilt from its own index."""
    context = ToolContext(artifacts=ArtifactStore(namespace="n"))
    with collecting_built() as built:
        first = context.artifacts.put("portfolio", 1)
        with collecting_built() as inner:
            scenario = context.artifacts.put("scenarios", 2)
        second = context.artifacts.put("portfolio", 3)
    assert built == [(first, "portfolio"), (second, "portfolio")]
    assert inner == [(scenario, "scenarios")]
    assert [kind_of_id(i) for i in (first, scenario)] == ["portfolio", "scenarios"]


def test_a_recipe_naming_itself_stops_at_the_depth(book: OwnerCacheRecipes) -> None:
    """A book can hold anything: a recipe whose arguments name the artifact it builds is
    rebuilt at most `MAX_REBUILD_DEPTH` deep, and the call answers not found."""
    looping = Recipe("portfolio_risk_report", {"portfolio_id": "pf_0a1b2c"}, "portfolio", 0)
    book.record("pf_0a1b2c", looping)
    context, tools = process("first", book)
    answer = tools["portfolio_risk_report"].invoke({"portfolio_id": "pf_0a1b2c"})
    assert "unknown portfolio artifact id 'pf_0a1b2c'" in answer
    assert MAX_REBUILD_DEPTH >= 1 and context.artifacts.ids() == []


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"tool": 1},
        {"tool": "t", "arguments": {}, "kind": "nope", "index": 0},
        {"tool": "t", "arguments": {}, "kind": "portfolio", "index": -1},
    ],
)
def test_what_is_not_a_recipe_reads_as_none(data: Any) -> None:
    assert Recipe.from_json(data) is None
