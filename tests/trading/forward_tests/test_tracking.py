"""A deployed rule on its own cadence tracks its deployed backtest, and the gap between them is
decomposed into parts that add up to it (real SQLite store, paper broker, embedded closes). The
rule is searched with costs, as `stratigos optimize`'s space has them (5 bps)."""

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
    "config": {
        "target_vol": 0.12,
        "lookback": 126,
        "rebalance_every": 21,
        "sleeve": "hrp",
        "cost_bps": 5,
    },
    "safe_rate": 0.02,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


def _forward(
    store: Store,
    limits: dict[str, float] | None = None,
    start: date = date(2018, 1, 2),
    **options: Any,
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
    request = ForwardTestRequest(source.id, start, costs=PaperCosts(slippage_bps=5), **options)
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
    assert abs(paper[-1] / backtest[-1] - 1) < 0.01  # final values within 1 %
    # the interest is in the ledger, which matched the broker at every run (none paused)
    ledger = store.ledger("alice", result["forward_test_deployment_id"])
    assert sum(entry.note == "interest" for entry in ledger) == result["sessions"]
    assert result["paused"] is None
    parts = {part["name"]: part["share"] for part in decomposition["parts"]}
    assert parts["other"] == 0.0 and parts["whole_shares"] == 0.0  # fractional shares
    # decided on the fire's session price and filled at its close, as the backtest trades; the
    # account's cash earned the strategy's safe rate, as the backtest's safe asset did
    assert parts["fill_lag"] == 0.0 and parts["interest"] == 0.0
    assert parts["sizing"] < 0  # the 1 % cash buffer stays in cash
    # the searched backtest (its own cadence from the first session, the basket rebalanced on
    # each of those days) is a second line, not the one the gap is measured against
    assert len(result["values"]["searched"]) == len(backtest)
    assert result["values"]["searched"] != pytest.approx(backtest)
    words = gap_in_words(decomposition)
    assert decomposition["words"] == words and decomposition["amount"] < 0
    assert words.startswith(
        f"the account ends {-decomposition['amount']:,.2f} below its deployed backtest "
        f"({decomposition['gap']:+.2%} of the capital); in shares of the capital: cash buffer"
    )
    # beside it, the universe held equal-weighted and the index, Sharpe at the safe rate
    benchmarks = result["benchmarks"]
    assert benchmarks["risk_free_rate"] == 0.02 and benchmarks["missing"] == {}
    rows = {row["name"]: row for row in benchmarks["performance"]}
    assert list(rows) == [
        "paper", "backtest", "searched", "equal_weight_held", "equal_weight_rebalanced", "sp500",
    ]  # fmt: skip
    assert rows["paper"]["total_return"] == pytest.approx(
        result["comparison"]["live_return"], rel=1e-12
    )
    held = result["values"]["benchmarks"]["equal_weight_held"]
    assert rows["equal_weight_held"]["total_return"] == pytest.approx(held[-1] / held[0] - 1)


def test_deciding_on_the_previous_close_and_cash_earning_nothing_are_parts_of_the_gap(
    store: Store,
) -> None:
    result = _forward(store, fire_price="previous_close", cash_rate=0.0)
    decomposition = result["decomposition"]
    parts = {part["name"]: part["share"] for part in decomposition["parts"]}
    assert parts["fill_lag"] != 0.0
    assert parts["interest"] < 0  # the backtest's safe asset earned 2 % a year, the cash none
    assert _total(decomposition) == pytest.approx(decomposition["gap"], abs=1e-12)
    test = store.get_deployment("alice", result["forward_test_deployment_id"])
    assert (test.spec["fire_price"], test.spec["cash_rate"]) == ("previous_close", 0.0)
    words = gap_in_words(decomposition)
    assert "fills one bar later" in words and "cash earning 0.00% a year" in words


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
        cash_rate=test.spec["cash_rate"],
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


def test_a_gap_too_small_for_two_decimals_still_says_what_it_is() -> None:
    """The CLI once printed "gap +0.00 % of capital: nothing" for parts of 1.8e-5 in all: the
    words now show the amount and enough digits, and say the parts are small, not absent."""
    parts = [
        {"name": "sizing", "words": "cash buffer and order sizing", "share": -1.1e-5},
        {"name": "costs", "words": "slippage and fees", "share": 2.9e-5},
        {"name": "other", "words": "failed or paused runs, unfilled orders", "share": 0.0},
    ]
    tiny = {"gap": 1.8e-5, "amount": 18.0, "parts": parts}
    assert gap_in_words(tiny) == (
        "the account ends 18.00 above its deployed backtest (+0.0018% of the capital); every "
        "part of it is under 0.005% of the capital"
    )
    parts[1]["share"] = 2.9e-4
    larger = {"gap": 2.79e-4, "amount": 279.0, "parts": parts}
    assert gap_in_words(larger) == (
        "the account ends 279.00 above its deployed backtest (+0.03% of the capital); in shares "
        "of the capital: slippage and fees +0.03% (1 smaller, under 0.005% each)"
    )
    nothing = {"gap": 0.0, "amount": 0.0, "parts": [{**parts[2]}]}
    assert gap_in_words(nothing).endswith("(+0.00% of the capital); every part of it is zero")
