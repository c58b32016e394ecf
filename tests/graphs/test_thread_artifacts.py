"""A chat thread's artifacts in its checkpointed state (`graphs.thread_artifacts`): turns of one
thread served by two processes (each with its own memory, sharing only the thread's state) hand
out the ids and give the answers of the same turns served by one process, whatever the order,
including turns that built something and then failed (their state never written); and a thread
a process served before reads the market data's current version, as any other process does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.synthetic_market import synthetic_closes
from graphs.thread_artifacts import ThreadArtifacts, merge_recipes
from graphs.thread_bindings import chat_tools
from settings import get_settings
from tools import ToolContext, build_tools
from tools.artifacts import ArtifactStore
from tools.recipes import Recipe, recorded_tools

THREAD = "chat:alternating"
TOOLS = ("optimize_portfolio", "portfolio_risk_report", "generate_market_scenarios")
TOOLS += ("backtest_strategy",)
UNIVERSES = (["AAPL", "MSFT", "JNJ"], ["KO", "PEP"], ["XOM", "JPM", "PG", "KO"])
METHODS = ("hrp", "risk_parity", "min_volatility")


@dataclass
class Process:
    """One process's memory of the thread: its tool context and what each artifact was built by."""

    context: ToolContext = field(
        default_factory=lambda: ToolContext(artifacts=ArtifactStore(namespace=THREAD))
    )
    held: dict[str, Recipe | None] = field(default_factory=dict)

    def turn(self, state: dict[str, Any], name: str, arguments: dict[str, Any]) -> Any:
        """One specialist turn calling tool `name`: its answer and the state update."""
        thread = ThreadArtifacts.of(state)
        thread.sync(self.context.artifacts, self.held)
        built = build_tools(self.context, TOOLS)
        tools = {t.name: t for t in recorded_tools(built, self.context, thread)}
        answer = tools[name].invoke(arguments)
        return answer, thread.update(self.context.artifacts, self.held)


def commit(state: dict[str, Any], update: dict[str, Any]) -> None:
    """Write a turn's update to the thread's state as the assistant graph's reducers do."""
    state["artifacts"] = merge_recipes(state.get("artifacts"), update["artifacts"])
    state["artifact_counts"] = update["artifact_counts"]
    state["portfolios"] = {**state.get("portfolios", {}), **update["portfolios"]}


Step = tuple[int, str, int, bool]
"""(process, action, choice, whether the turn's state is written)."""

steps = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.sampled_from(["build", "risk", "scenarios", "backtest"]),
        st.integers(0, 8),
        st.sampled_from([True, True, False]),  # now and then a turn fails
    ),
    min_size=1,
    max_size=8,
)


def converse(plan: list[Step], one_process: bool) -> list[Any]:
    """The answers of the turns of `plan` (each in its process, or all in one)."""
    processes = [Process(), Process()]
    state: dict[str, Any] = {}
    answers = []
    for where, action, choice, written in plan:
        known = state.get("artifacts", {})
        portfolios = [i for i in known if i.startswith("pf_")]
        scenarios = [i for i in known if i.startswith("scn_")]
        if action == "risk" and portfolios:
            call = "portfolio_risk_report", {"portfolio_id": portfolios[choice % len(portfolios)]}
        elif action == "backtest" and scenarios:
            scenario_set = scenarios[choice % len(scenarios)]
            call = (
                "backtest_strategy",
                {"config": {"lookback": 21}, "scenario_set_id": scenario_set},
            )
        elif action in ("build", "risk"):  # a risk report of nothing yet: a portfolio first
            call = (
                "optimize_portfolio",
                {
                    "method": METHODS[choice % len(METHODS)],
                    "universe": UNIVERSES[choice % len(UNIVERSES)],
                },
            )
        else:  # scenarios, or a backtest on none yet
            call = "generate_market_scenarios", {
                "universe": UNIVERSES[choice % 2], "n_paths": 4, "horizon": 63, "seed": choice,
            }  # fmt: skip
        answer, update = processes[0 if one_process else where].turn(state, *call)
        if call[0] in ("portfolio_risk_report", "backtest_strategy"):
            assert isinstance(answer, dict), answer  # every id the thread gave is found
        answers.append(answer)
        if written:
            commit(state, update)
    return answers


@settings(max_examples=60, deadline=None)
@given(steps)
def test_two_processes_answer_a_thread_as_one_does(plan: list[Step]) -> None:
    assert converse(plan, one_process=False) == converse(plan, one_process=True)


def test_an_id_a_failed_turn_used_means_what_the_state_says() -> None:
    """A builds a portfolio in a turn whose state is never written; B, from the state, hands
    out the same id to another portfolio; A's next turn about that id measures B's."""
    first, second, state = Process(), Process(), {}
    kept, _ = first.turn(state, "optimize_portfolio", {"method": "hrp", "universe": ["KO", "PEP"]})
    built, update = second.turn(
        state, "optimize_portfolio", {"method": "min_volatility", "universe": ["AAPL", "XOM"]}
    )
    commit(state, update)
    assert built["portfolio_id"] == kept["portfolio_id"]  # the id the failed turn had used
    risk = {"portfolio_id": built["portfolio_id"]}
    here, _ = first.turn(state, "portfolio_risk_report", risk)
    there, _ = second.turn(state, "portfolio_risk_report", risk)
    assert here == there and set(here["risk_contributions"]) == {"AAPL", "XOM"}


def test_a_thread_s_next_turn_reads_the_market_data_s_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a refresh of the market data, a thread this process served before computes on the
    new version, as a process that never served it does; what it built is kept."""
    data = tmp_path / "closes.parquet"
    symbols = ["AAA", "BBB", "CCC"]
    synthetic_closes(symbols, date(2020, 1, 2), date(2022, 12, 30), seed=1).to_parquet(data)
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATIGOS_MARKET_DATA", str(data))
    get_settings.cache_clear()
    try:
        hrp = {"method": "hrp", "universe": symbols}

        def optimize(thread: str) -> dict[str, Any]:
            config: Any = {"configurable": {"thread_id": thread}}
            tools, update = chat_tools(config, ThreadArtifacts(), ["optimize_portfolio"])
            built = tools[0].invoke(hrp)
            assert update()["portfolios"], built  # kept in the thread's state update
            return dict(built)

        before = optimize("chat:served")
        synthetic_closes(symbols, date(2020, 1, 2), date(2023, 6, 30), seed=2).to_parquet(data)
        after = optimize("chat:served")
        assert after["weights"] != before["weights"]
        fresh = optimize("chat:never-served")
        assert after["weights"] == fresh["weights"] and after["date_range"] == fresh["date_range"]
    finally:
        get_settings.cache_clear()
