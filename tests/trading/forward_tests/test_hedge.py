"""Forward tests of a deployment whose strategy holds a put overlay (an optimization's winner,
hedged on AAPL) over the first half of 2022 on SQLite: the test deployment trades its hedge at
every fire (premiums paid, options settled at expiry, in its own hedge ledger), its values are
its stock account plus its hedge's cash and model marks at every close (recomputed here from the
two ledgers and the model price), its backtest is the engine's hedged series, the performance
report reads the same, a hedge whose orders the broker refuses is reported, run by run, and so
are hedge runs the market data cannot price."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from execution.hedge import HedgeMarket, model_price
from execution.options import parse_occ
from quant.engine import evaluate
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from services.market_data import sp500_prices
from store import Deployment, LedgerEntry, Store
from store.sqlite import SQLiteStore
from tests.support.hedged import hedged_spec, put_overlay_winner
from trading.deployments import create_deployment
from trading.forward_tests.paper import ForwardTestRequest, forward_test
from trading.performance import performance

START, END = date(2022, 1, 3), date(2022, 6, 30)
CAPITAL = 250_000.0
FEE = 0.65
PRICES = sp500_prices()


@dataclass
class Runs:
    """The store, the hedged deployment and the forward tests: hedged, the same rule without
    the overlay, and hedged on an account approved for no options."""

    store: Store
    source: Deployment
    hedged: dict[str, Any]
    plain: dict[str, Any]
    refused: dict[str, Any]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    path = Path(tmp_path_factory.mktemp("forward_hedge")) / "store.sqlite"
    with SQLiteStore(path) as store:
        job_id = put_overlay_winner(store)
        source = create_deployment(
            store,
            "alice",
            name="hedged winner",
            source="optimization",
            confirm_below_benchmarks=True,
            source_id=job_id,
            capital=CAPITAL,
            schedule={"every": "week", "at": "15:45"},
            limits={"cash_buffer": 0.02},
            hedge={"underlying": "AAPL"},
        )
        unhedged_spec = {k: v for k, v in source.spec.items() if k != "hedge"}
        config = {**source.spec["strategy"]["config"], "overlay": "none"}
        unhedged_spec["strategy"] = {**source.spec["strategy"], "config": config}
        unhedged = store.create_deployment("alice", "plain", "draft", unhedged_spec)

        def run(deployment: Deployment, name: str, **options: Any) -> dict[str, Any]:
            request = ForwardTestRequest(deployment.id, START, END, **options)
            return forward_test(store, "alice", request, PRICES, run_id=f"job_{name}")

        yield Runs(
            store,
            source,
            run(source, "hedged", option_fee_per_contract=FEE),
            run(unhedged, "plain"),
            run(source, "refused", options_level=0),
        )


def _entries(store: Store, book: str) -> list[LedgerEntry]:
    return sorted(store.ledger("alice", book), key=lambda e: e.time)


def test_the_forward_test_buys_its_puts_and_settles_them_in_its_own_hedge_ledger(
    runs: Runs,
) -> None:
    result, store = runs.hedged, runs.store
    hedge = result["hedge"]
    test_id = result["forward_test_deployment_id"]
    assert hedge["account"] == f"hedge-{test_id}" and hedge["underlying"] == "AAPL"
    entries = _entries(store, hedge["account"])
    trades = [e for e in entries if e.note == "option trade"]
    settled = [e for e in entries if e.note in ("option exercise", "option expiry")]
    assert trades and settled and hedge["trades"] == len(trades)
    assert {parse_occ(e.symbol or "").kind for e in trades} == {"put"}
    paid = sum((e.quantity or 0) * 100 * (e.price or 0) for e in trades if e.side == "buy")
    assert hedge["premiums_paid"] == pytest.approx(paid, rel=1e-12) and paid > 0
    assert hedge["fees"] == pytest.approx(FEE * sum(e.quantity or 0 for e in trades))
    received = sum((e.quantity or 0) * 100 * (e.price or 0) for e in settled)
    assert hedge["settlements"] == pytest.approx(received, rel=1e-12)
    held: dict[str, float] = {}
    for e in entries:
        held[e.symbol or ""] = held.get(e.symbol or "", 0) + (
            e.quantity if e.side == "buy" else -(e.quantity or 0)
        )
    assert hedge["positions"] == {s: n for s, n in held.items() if n}
    # each fire ran its rebalance, then its hedge: counted apart, none failed
    assert result["run_statuses"] == {"filled": result["runs"]}
    assert hedge["runs"] == result["runs"]
    assert set(hedge["run_statuses"]) <= {"filled", "no_trades"}
    assert hedge["run_statuses"]["filled"] >= 5 and result["runs_detail"] == []
    orders = store.list_orders("alice", deployment_id=test_id)
    options = [o for o in orders if o.account == hedge["account"]]
    assert options and all(o.status == "filled" for o in options)
    # the deployment that was tested traded nothing
    assert store.ledger("alice", f"hedge-{runs.source.id}") == []


def test_its_values_are_the_stock_account_plus_the_hedge_at_every_close(runs: Runs) -> None:
    result, store = runs.hedged, runs.store
    test_id = result["forward_test_deployment_id"]
    import exchange_calendars  # imported here, not when the module is collected

    calendar = exchange_calendars.get_calendar("XNYS")
    days = calendar.sessions_in_range(START.isoformat(), END.isoformat())
    days = days[days.isin(PRICES.index)]
    assert result["values"]["dates"] == [d.date().isoformat() for d in days]
    stock, options = _entries(store, test_id), _entries(store, result["hedge"]["account"])
    vol_model = ImpliedVolModel.model_validate(runs.source.spec["hedge"]["vol_model"])
    safe_rate = runs.source.spec["strategy"]["safe_rate"]
    expected, hedge_only = [], []
    for day in days:
        close = calendar.session_close(day).to_pydatetime()
        cash, shares = 0.0, {}
        for e in (e for e in stock if e.time <= close):
            if e.kind == "cash_flow":
                cash += e.amount or 0.0
            else:
                signed = (e.quantity or 0) * (1 if e.side == "buy" else -1)
                cash -= signed * (e.price or 0) + (e.fee or 0)
                shares[e.symbol] = shares.get(e.symbol, 0.0) + signed
        value = cash + sum(q * PRICES.loc[day, s] for s, q in shares.items())
        option_cash, contracts = 0.0, {}
        for e in (e for e in options if e.time <= close):
            signed = (e.quantity or 0) * (1 if e.side == "buy" else -1)
            option_cash -= signed * 100 * (e.price or 0) + (e.fee or 0)
            contracts[e.symbol] = contracts.get(e.symbol, 0) + signed
        market = HedgeMarket(day.date(), PRICES["AAPL"].loc[:day], safe_rate, "XNYS")
        marks = sum(
            n * 100 * model_price(parse_occ(s), market, vol_model) for s, n in contracts.items()
        )
        expected.append(value + option_cash + marks)
        hedge_only.append(option_cash + marks)
    assert result["values"]["paper"] == pytest.approx(expected, rel=1e-10)
    assert result["hedge"]["value"] == pytest.approx(hedge_only[-1], rel=1e-10)
    assert max(abs(h) for h in hedge_only) > 1_000  # the hedge moves the account
    # the stock account trades as the same rule without options: the gap is the hedge
    gap = np.subtract(result["values"]["paper"], runs.plain["values"]["paper"])
    assert gap == pytest.approx(hedge_only, abs=1e-6)


def test_its_backtest_is_the_engines_series_with_the_overlay(runs: Runs) -> None:
    result = runs.hedged
    spec = runs.source.spec
    config = StrategyConfig.model_validate(spec["strategy"]["config"])
    returns = PRICES[spec["universe"]].dropna().pct_change().iloc[1:]
    first = returns.index.get_loc(pd.Timestamp(START))
    window = returns.iloc[first - config.lookback + 1 :].loc[: pd.Timestamp(END)]
    vol_model = ImpliedVolModel.model_validate(spec["hedge"]["vol_model"])
    series = evaluate(
        [config], window.mean(axis=1), spec["strategy"]["safe_rate"], vol_model=vol_model
    ).series(0)
    assert (series["hedge_value"] > 0).any()
    wealth = np.concatenate([[1.0], series["wealth"].to_numpy()])[: result["sessions"]]
    assert result["values"]["backtest"] == pytest.approx(list(CAPITAL * wealth), rel=1e-12)
    assert result["values"]["backtest"] != pytest.approx(runs.plain["values"]["backtest"])
    assert "whole contracts and a beta of 1" in result["hedge"]["note"]


def test_the_performance_report_values_the_hedge_and_backtests_the_overlay(runs: Runs) -> None:
    result = runs.hedged
    test = runs.store.get_deployment("alice", result["forward_test_deployment_id"])
    report = performance(runs.store, test, datetime(2026, 1, 1, tzinfo=UTC))
    assert report["values"]["dates"] == result["values"]["dates"]
    assert report["values"]["paper"] == pytest.approx(result["values"]["paper"], rel=1e-12)
    # (the report's backtest starts at the account's first value, the test's at its capital)
    ours, theirs = report["values"]["backtest"], result["values"]["backtest"]
    assert [v / ours[0] for v in ours] == pytest.approx([v / theirs[0] for v in theirs], rel=1e-12)
    for name in ("premiums_paid", "settlements", "fees", "cash", "market_value", "value"):
        assert report["hedge"][name] == pytest.approx(result["hedge"][name], rel=1e-12), name
    assert report["hedge"]["positions"] == result["hedge"]["positions"]
    plain = runs.store.get_deployment("alice", runs.plain["forward_test_deployment_id"])
    assert performance(runs.store, plain, datetime(2026, 1, 1, tzinfo=UTC))["hedge"] is None


def test_a_hedge_whose_orders_are_refused_is_reported_run_by_run(runs: Runs) -> None:
    result, store = runs.refused, runs.store
    hedge = result["hedge"]
    assert hedge["run_statuses"] == {"failed": result["runs"]}
    assert result["run_statuses"] == {"filled": result["runs"]}  # the rebalances still traded
    failed = [r for r in result["runs_detail"] if r["kind"] == "hedge"]
    assert len(failed) == result["runs"] == len(result["runs_detail"])
    for run in failed:
        assert run["status"] == "failed" and run["orders"] >= 1
        assert "dead" in run["reason"] and "needs options trading level" in run["reason"]
    orders = store.list_orders("alice", deployment_id=result["forward_test_deployment_id"])
    dead = [o for o in orders if o.account == hedge["account"]]
    assert dead and all(o.status == "dead" for o in dead)
    assert store.ledger("alice", hedge["account"]) == []
    assert (hedge["premiums_paid"], hedge["value"], hedge["positions"]) == (0.0, 0.0, {})
    # nothing was hedged, and the values say so: those of the rule without options
    assert result["values"]["paper"] == pytest.approx(runs.plain["values"]["paper"], rel=1e-12)
    events = store.deployment_events("alice", result["forward_test_deployment_id"])
    outcomes = [e.data["outcome"] for e in events if e.type == "hedge_run"]
    assert outcomes == ["failed"] * result["runs"]


def test_hedge_runs_the_data_cannot_price_fail_with_the_reason_and_later_ones_hedge(
    store: Store,
) -> None:
    """The hedge underlying (AAPL, outside the universe) has no prices before 2022-02-01 here:
    every run before it fails with the reason (the plan cannot be priced), and the hedge then
    buys its puts."""
    spec = hedged_spec(StrategyConfig(overlay="put", overlay_strike=0.95, overlay_tenor_days=21))
    spec = {**spec, "universe": ["KO", "PG"], "schedule": {"every": "week", "at": "15:45"}}
    source = store.create_deployment("alice", "hedged on AAPL", "active", spec)
    prices = PRICES.copy()
    prices.loc[: pd.Timestamp("2022-01-31"), "AAPL"] = np.nan
    request = ForwardTestRequest(source.id, START, date(2022, 4, 29))
    result = forward_test(store, "alice", request, prices, run_id="job_gap")
    failed = [r for r in result["runs_detail"] if r["kind"] == "hedge"]
    fires = [date.fromisoformat(r["fire"][:10]) for r in failed]
    assert failed and all(r["status"] == "failed" and r["orders"] == 0 for r in failed)
    assert all("no close of AAPL at or before" in r["reason"] for r in failed)
    assert fires == [date(2022, 1, 3), date(2022, 1, 10), date(2022, 1, 18), date(2022, 1, 24),
                     date(2022, 1, 31)]  # fmt: skip
    hedge = result["hedge"]
    assert hedge["run_statuses"]["failed"] == len(failed)
    assert hedge["run_statuses"].get("filled", 0) >= 1 and hedge["premiums_paid"] > 0
