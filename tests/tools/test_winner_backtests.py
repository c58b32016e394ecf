"""`backtest_strategy` with a `run_id`: the winner of the owner's finished search as the search
stored it (unrounded), on the assets and window it searched at its safe rate, with the fields and
stocks the caller gives in its place; the same strategy a deployment of that search trades.
Another owner's search, an unknown one, one without a winner or none at all is a tool error
naming `run_id`. On a real SQLite store with a real search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.job_handlers import run_job_here
from graphs.request import OptimizationRequest
from quant.strategy import StrategyConfig
from store import Store
from store.sqlite import SQLiteStore
from tools import ToolContext, build_tools
from tools.search_winners import conversation_search_winner, owner_search_winners
from tools.strategy.backtest import backtest_strategy
from tools.strategy.schemas import BacktestArgs
from trading.deployments import create_deployment

SEARCHED = ["AAPL", "KO", "XOM"]


@pytest.fixture(scope="module")
def searched(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, str, dict[str, Any]]]:
    """alice's store with one finished small search over three stocks since 2015, its job id
    and its result."""
    store = SQLiteStore(Path(tmp_path_factory.mktemp("winners")) / "store.sqlite")
    request = OptimizationRequest.model_validate(
        {
            "universe": SEARCHED,
            "start": "2015-01-01",
            "n_paths": 10,
            "horizon": 126,
            "safe_rate": 0.03,
            "search_space": {"target_vol": {"low": 0.05, "high": 0.2}, "max_leverage": 1},
            "budget": {"max_trials": 4, "batch_size": 4},
            "max_risk_rounds": 0,
        }
    )
    job_id, result = run_job_here(store, "alice", request)
    assert result["status"] in ("succeeded", "partial")
    yield store, job_id, result
    store.close()


def _backtest(store: Store, owner: str, arguments: dict[str, Any]) -> dict[str, Any]:
    context = ToolContext(search_winners=owner_search_winners(store, owner))
    return backtest_strategy(context, BacktestArgs.model_validate(arguments))


def test_the_winner_is_tested_unrounded_on_its_search_s_stocks_window_and_safe_rate(
    searched: tuple[Store, str, dict[str, Any]],
) -> None:
    store, job_id, result = searched
    stored = StrategyConfig(**{k: v for k, v in result["best"]["config"].items() if v is not None})
    tested = _backtest(store, "alice", {"run_id": job_id})
    assert tested["config_id"] == stored.config_id and tested["config"] == stored.model_dump(
        mode="json"
    )
    held = tested["history"]
    assert sorted(held["universe"]) == SEARCHED and held["start"] == "2015-01-02", held
    assert tested["safe_rate"] == 0.03
    assert tested["search"] == {
        "run_id": job_id, "universe": SEARCHED, "start": "2015-01-01", "end": "2022-12-28",
        "replaced": [], "changed": {},
    }  # fmt: skip
    # the same figures as the stored configuration given whole, on the same window and rate
    given_whole = backtest_strategy(
        ToolContext(safe_rate=0.03),
        BacktestArgs.model_validate(
            {
                "config": stored.model_dump(exclude_none=True),
                "universe": SEARCHED,
                "start": "2015-01-01",
                "end": "2022-12-28",
            }
        ),
    )
    assert given_whole["metrics"] == tested["metrics"]


def test_a_deployment_of_the_search_trades_the_strategy_its_winner_s_backtest_tested(
    searched: tuple[Store, str, dict[str, Any]],
) -> None:
    store, job_id, _ = searched
    tested = _backtest(store, "alice", {"run_id": job_id})
    deployment = create_deployment(
        store, "alice", name="winner", source="optimization", source_id=job_id,
        confirm_below_benchmarks=True, capital=10_000, schedule={"every": "week", "at": "15:45"},
    )  # fmt: skip
    assert deployment.spec["strategy"]["config"] == tested["config"]
    assert sorted(deployment.spec["universe"]) == sorted(tested["history"]["universe"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.fixed_dictionaries(
        {},
        optional={
            "target_vol": st.sampled_from([0.08, 0.1, 0.15]),
            "lookback": st.sampled_from([21, 63, 126]),
            "weight_function": st.sampled_from(["linear", "sigmoid", "inverse_vol"]),
            "rebalance_every": st.sampled_from([5, 21]),
        },
    ),
    stocks=st.sampled_from([None, ["JPM", "XOM"], ["xom", "ko", "aapl"]]),
    start=st.sampled_from([None, "2015-01-01", "2020-01-01"]),
)
def test_fields_and_stocks_given_replace_the_winner_s_and_are_said(
    searched: tuple[Store, str, dict[str, Any]],
    changes: dict[str, Any],
    stocks: list[str] | None,
    start: str | None,
) -> None:
    """A field given changes the winner's (the others as stored); stocks or a start given replace
    the search's; `search` lists exactly what differs from the search."""
    store, job_id, result = searched
    stored = {k: v for k, v in result["best"]["config"].items() if v is not None}
    arguments: dict[str, Any] = {"run_id": job_id}
    if changes:
        arguments["config"] = changes
    arguments.update({k: v for k, v in (("universe", stocks), ("start", start)) if v is not None})
    tested = _backtest(store, "alice", arguments)
    expected = StrategyConfig(**{**stored, **changes})
    assert tested["config_id"] == expected.config_id
    before = StrategyConfig(**stored).model_dump(mode="json")
    assert tested["search"]["changed"] == {
        k: [before[k], v] for k, v in expected.model_dump(mode="json").items() if v != before[k]
    }
    other_stocks = stocks is not None and sorted(s.upper() for s in stocks) != SEARCHED
    other_start = start not in (None, "2015-01-01")
    assert tested["search"]["replaced"] == ["universe"] * other_stocks + ["start"] * other_start
    assert sorted(tested["history"]["universe"]) == sorted(s.upper() for s in stocks or SEARCHED)


def test_another_owner_s_an_unknown_or_no_search_is_refused_on_run_id(
    searched: tuple[Store, str, dict[str, Any]],
) -> None:
    store, job_id, _ = searched
    for owner, run_id, words in (
        ("bob", job_id, "no strategy search of yours"),  # alice's is not bob's
        ("alice", "job_nosuchsearch", "no strategy search of yours"),
    ):
        with pytest.raises(ValueError, match=words) as raised:
            _backtest(store, owner, {"run_id": run_id})
        assert getattr(raised.value, "field", None) == "run_id"
    with pytest.raises(ValueError, match="run_id"):  # no signed-in owner, no search in the thread
        backtest_strategy(ToolContext(), BacktestArgs(run_id=job_id))
    with pytest.raises(ValueError, match=r"config .*or run_id"):
        BacktestArgs.model_validate({})


def test_a_conversation_s_last_search_is_read_from_the_thread_without_an_owner() -> None:
    last_run = {
        "run_id": "run_1", "status": "succeeded",
        "best": {"config": {"target_vol": 0.123456789, "lookback": 63}},
        "request": {"universe": ["AAPL", "KO"], "start": "2016-01-01", "end": "2019-12-31",
                    "safe_rate": 0.01},
    }  # fmt: skip
    context = ToolContext(search_winners=conversation_search_winner(last_run))
    tested = backtest_strategy(context, BacktestArgs(run_id="run_1"))
    assert tested["config"]["target_vol"] == 0.123456789 and tested["safe_rate"] == 0.01
    assert (tested["history"]["start"], tested["history"]["end"]) == ("2016-01-04", "2019-12-31")
    with pytest.raises(ValueError, match="no finished strategy search 'run_2'"):
        backtest_strategy(context, BacktestArgs(run_id="run_2"))
    failed = conversation_search_winner({**last_run, "best": None})
    with pytest.raises(ValueError, match="no winning configuration"):
        backtest_strategy(ToolContext(search_winners=failed), BacktestArgs(run_id="run_1"))


@pytest.mark.parametrize("run_id", ["\ud800", "a\x00b", "job_\x1b[31m", "x" * 100, "../../etc"])
def test_a_hostile_run_id_is_a_tool_error_naming_run_id(
    searched: tuple[Store, str, dict[str, Any]], run_id: str
) -> None:
    """A lone surrogate, control characters, the longest id or a path: a tool error the model
    reads, naming run_id, never a raise or another owner's search."""
    store, _, _ = searched
    [tool] = build_tools(
        ToolContext(search_winners=owner_search_winners(store, "alice")),
        names=["backtest_strategy"],
    )
    said = tool.invoke({"run_id": run_id})
    assert isinstance(said, str) and "run_id" in said and "backtest_strategy" in said, said
