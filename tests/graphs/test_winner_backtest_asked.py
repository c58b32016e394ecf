"""A search's winner backtested as a PM asks for it, after a finished search: on other stocks or a
window said in the same message or as a follow-up ("backtest the winner on JPM and XOM since
2020", "and since 2020?", "what about on JPM and XOM?"), with a field changed ("backtest the best
config with a 10% target vol"), for a signed-in owner (the search a job in their store) and in a
thread without one. What is tested is the winner as the search stored it, with only what the
message says changed; the reply says what was changed and what the search ran on. Checked
against `backtest_strategy` called with the stored configuration itself."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from graphs.chat import ChatSession
from quant.strategy import StrategyConfig
from settings import Settings
from store.sqlite import SQLiteStore
from tests.support.chat_answers import tool_args
from tools import ToolContext
from tools.strategy.backtest import backtest_strategy
from tools.strategy.schemas import BacktestArgs

SEARCH = "optimise a vol target strategy on AAPL MSFT KO since 2012 with 12 trials"


def _searched(session: ChatSession) -> dict[str, Any]:
    """The thread's finished search (its `last_run`), after it was asked for and approved."""
    session.send(SEARCH)
    session.decide("approve")
    run: dict[str, Any] = session.snapshot().values["last_run"]
    return run


def _reference(run: dict[str, Any], changes: dict[str, Any], **window: Any) -> dict[str, Any]:
    """`backtest_strategy` of the stored winner with `changes`, given whole (no run id)."""
    stored = {k: v for k, v in run["best"]["config"].items() if v is not None}
    config = StrategyConfig(**{**stored, **changes}).model_dump(exclude_none=True)
    arguments = {"config": config, "end": "2022-12-28", **window}
    return backtest_strategy(ToolContext(), BacktestArgs.model_validate(arguments))


def _figures(data: dict[str, Any]) -> list[str]:
    """The figures a backtest's reply states, as `backtest_answer` writes them."""
    metrics = data["metrics"]
    return [f"CAGR {100 * metrics['cagr']:.1f}%", f"Sharpe {metrics['sharpe']:.2f}"]


@pytest.mark.parametrize("owned", [False, True])
def test_the_winner_on_stocks_and_a_window_said_and_as_follow_ups(
    owned: bool, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite") if owned else None
    session = ChatSession(
        f"winner-{uuid.uuid4().hex}", settings=Settings(data_dir=tmp_path),
        **({"owner": "alice", "store": store} if owned else {}),  # type: ignore[arg-type]
    )  # fmt: skip
    run = _searched(session)
    if owned:  # the search is alice's job: its result is read from her store
        assert store is not None and store.get_job("alice", run["run_id"]).status == "succeeded"
    reply = session.send("backtest the winner on JPM and XOM since 2020").replies[-1]
    expected = _reference(run, {}, universe=["JPM", "XOM"], start="2020-01-01")
    said = f"The winner of run {run['run_id']}, as its search stored it (its search ran on AAPL"
    assert reply.startswith(said) and "JPM, XOM, 2020-01-02 to 2022-12-28" in reply, reply
    assert all(figure in reply for figure in _figures(expected)), reply
    assert "Not used" not in reply, reply
    # follow-ups change the winner's backtest, not a read of the market
    reply = session.send("and since 2016?").replies[-1]
    expected = _reference(run, {}, universe=["JPM", "XOM"], start="2016-01-01")
    assert "JPM, XOM, 2016-01-04 to 2022-12-28" in reply, reply
    assert all(figure in reply for figure in _figures(expected)), reply
    reply = session.send("what about on PG and KO?").replies[-1]
    assert "PG, KO instead of JPM, XOM" in reply and "The winner of run" in reply, reply
    last = tool_args(session, "backtest_strategy")[-1]
    assert last["run_id"] == run["run_id"] and not last.get("config"), last  # no field changed
    if store is not None:
        store.close()


def test_a_field_said_with_the_winner_changes_it_and_only_it() -> None:
    session = ChatSession(f"changed-{uuid.uuid4().hex}", settings=Settings())
    run = _searched(session)
    reply = session.send("backtest the best config with a 10% target vol").replies[-1]
    (args,) = tool_args(session, "backtest_strategy")
    assert args["run_id"] == run["run_id"] and args["config"] == {"target_vol": 0.1}, args
    stored = run["best"]["config"]["target_vol"]
    assert (
        f"volatility target 10.00% in place of its volatility target {100 * stored:.2f}%" in reply
    )
    expected = _reference(
        run, {"target_vol": 0.1}, universe=["AAPL", "MSFT", "KO"], start="2012-01-01"
    )
    assert all(figure in reply for figure in _figures(expected)), reply


def test_the_winner_of_a_search_with_no_winner_is_not_a_default_strategy() -> None:
    """A search that ended without a winner: "backtest the winner" says so and computes nothing
    (it backtested a default strategy, as if it were the winner)."""
    session = ChatSession(f"none-{uuid.uuid4().hex}", settings=Settings())
    run = _searched(session)
    state = session.snapshot().values
    session.update_state({"last_run": {**state["last_run"], "best": None, "status": "failed"}})
    reply = session.send("backtest the winner").replies[-1]
    assert reply.startswith(f"Run {run['run_id']} failed without a winning configuration"), reply
    assert not tool_args(session, "backtest_strategy")


def test_backtest_it_after_a_search_is_its_winner_and_after_a_build_the_build() -> None:
    """ "backtest it" right after a search (or after a backtest of its winner) is the winner's
    backtest (it asked "Which portfolio or stocks?"); after a build it is the build's."""
    session = ChatSession(f"it-{uuid.uuid4().hex}", settings=Settings())
    run = _searched(session)
    reply = session.send("backtest it").replies[-1]
    assert reply.startswith(f"The winner of run {run['run_id']}, as its search stored it"), reply
    reply = session.send("backtest it since 2020").replies[-1]
    assert "AAPL, MSFT, KO, 2020-01-02 to 2022-12-28" in reply, reply
    assert [a["run_id"] for a in tool_args(session, "backtest_strategy")] == [run["run_id"]] * 2
    built = session.send("max sharpe on AAPL KO PG").replies[-1]
    reply = session.send("backtest it").replies[-1]
    assert built.startswith("Max-Sharpe portfolio (pf_") and reply.startswith("Backtest of AAPL"), (
        reply
    )
    assert len(tool_args(session, "backtest_weights")) == 1
