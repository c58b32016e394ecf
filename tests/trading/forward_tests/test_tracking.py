"""A deployed rule on its own cadence tracks its deployed backtest, and the gap between them is
decomposed into parts that add up to it (real SQLite store, paper broker, embedded closes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from execution.brokers.paper import PaperCosts
from execution.schedule import trading_sessions
from services.market_data import sp500_prices
from store import Store
from store.sqlite import SQLiteStore
from trading.deployments import FIRST_FIRE, deployed_strategy
from trading.forward_tests.paper import ForwardTestRequest, forward_test
from trading.forward_tests.tracking import decompose_gap, gap_in_words

RULE = {
    "kind": "rule",
    "config": {"target_vol": 0.12, "lookback": 126, "rebalance_every": 21, "sleeve": "hrp"},
    "safe_rate": 0.02,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


def _forward(
    store: Store, limits: dict[str, float] | None = None, start: date = date(2018, 1, 2)
) -> dict[str, Any]:
    prices = sp500_prices()
    spec = {
        "strategy": RULE,
        "universe": list(prices.columns),
        "capital": 1_000_000.0,
        "schedule": {"every": "session", "interval": 21, "at": "15:45", "calendar": "XNYS"},
        "schedule_anchor": FIRST_FIRE,
        "limits": limits or {},
    }
    source = store.create_deployment("alice", "hrp", "active", spec)
    request = ForwardTestRequest(source.id, start, costs=PaperCosts(slippage_bps=5))
    return forward_test(store, "alice", request, prices, run_id="job_track")


def _total(decomposition: dict[str, Any]) -> float:
    return sum(part["share"] for part in decomposition["parts"])


def test_a_rule_on_its_own_cadence_tracks_its_deployed_backtest(store: Store) -> None:
    result = _forward(store)
    assert result["run_statuses"] == {"filled": result["runs"]}  # the first run included
    assert result["runs"] == pytest.approx(result["sessions"] / 21, abs=1)
    decomposition = result["decomposition"]
    assert decomposition["tracking_error"] < 0.01
    assert result["comparison"]["tracking_error"] == pytest.approx(
        decomposition["tracking_error"], rel=1e-9
    )
    paper, backtest = result["values"]["paper"], result["values"]["backtest"]
    assert decomposition["gap"] == pytest.approx((paper[-1] - backtest[-1]) / 1e6, abs=1e-12)
    assert _total(decomposition) == pytest.approx(decomposition["gap"], abs=1e-12)
    parts = {part["name"]: part["share"] for part in decomposition["parts"]}
    assert parts["other"] == 0.0 and parts["whole_shares"] == 0.0  # fractional shares
    assert parts["interest"] < 0  # the backtest's cash earned 2 % a year, the account's none
    assert parts["costs"] < 0
    # the searched backtest (its own cadence from the first session, the basket rebalanced on
    # each of those days) is a second line, not the one the gap is measured against
    assert len(result["values"]["searched"]) == len(backtest)
    assert result["values"]["searched"] != pytest.approx(backtest)
    words = gap_in_words(decomposition)
    assert words.startswith(f"gap {decomposition['gap']:+.2%} of capital: fills one bar later")


def test_the_replay_with_the_accounts_costs_is_the_account(store: Store) -> None:
    result = _forward(store, start=date(2021, 1, 4))
    test = store.get_deployment("alice", result["forward_test_deployment_id"])
    prices = sp500_prices()
    closes = prices.loc[:, test.spec["universe"]].dropna()
    sessions = trading_sessions("XNYS", date(2021, 1, 4), date.fromisoformat(result["end"]))
    sessions = sessions.loc[sessions.index.isin(closes.index)]
    account = pd.Series(result["values"]["paper"], index=sessions.index)
    backtest = pd.Series(result["values"]["backtest"], index=sessions.index)
    replayed = decompose_gap(
        deployed_strategy(test.spec), closes, sessions, test.spec, 1e6, account, backtest,
        costs=PaperCosts(slippage_bps=5), fractional=True, clean=False,
    )  # fmt: skip
    assert replayed is not None
    shares = [part["share"] for part in replayed["parts"]]
    assert shares == pytest.approx([part["share"] for part in result["decomposition"]["parts"]])
    other = next(p for p in replayed["parts"] if p["name"] == "other")
    assert other["share"] == pytest.approx(0.0, abs=1e-12)


def test_a_deployment_paused_by_its_drawdown_limit_is_the_other_part(store: Store) -> None:
    result = _forward(store, limits={"max_drawdown": 0.05}, start=date(2021, 1, 4))
    assert result["paused"] is not None and "below its peak" in result["paused"]["reason"]
    decomposition = result["decomposition"]
    other = next(p for p in decomposition["parts"] if p["name"] == "other")
    assert other["share"] != 0.0
    assert _total(decomposition) == pytest.approx(decomposition["gap"], abs=1e-12)
