"""`stratigos deploy hedges | hedge-kill | hedge-release` and the hedge's entries in `deploy
ledger`, on a hedged deployment of the local owner (a real SQLite store); a hedge refused at
creation is one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.support.cli import fails
from tests.support.dollars import dollars
from tests.support.hedged import hedged_deployment


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_hedge_is_shown_the_switch_sends_its_closing_orders_and_is_released(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER, open_local_store

    store = open_local_store()
    deployment, bought = hedged_deployment(store, LOCAL_OWNER)
    store.close()
    hedge = run_json(capsys, "deploy", "hedges", deployment.id)
    assert hedge["positions"] == bought.positions and hedge["dead_letters"] == []
    assert main(["deploy", "hedges", deployment.id]) == 0
    text = capsys.readouterr().out
    for symbol, contracts in bought.positions.items():
        assert f"holds {contracts:+d} {symbol}" in text
    assert "volatility: the paper broker has no option quotes: priced on realised" in text
    ledger = run_json(capsys, "deploy", "ledger", deployment.id)
    assert {r["symbol"] for r in ledger if r["note"] == "option trade"} == set(bought.positions)
    assert main(["deploy", "hedge-kill", "--deployment", deployment.id]) == 0
    out = capsys.readouterr().out  # today is after the data's last close: nothing fills
    assert "Halted the hedges of 1 deployment(s)" in out
    assert "sent 2 closing order(s): 0 filled." in out
    for symbol, contracts in bought.positions.items():
        side = "sell" if contracts > 0 else "buy"
        assert f"{deployment.id} {side} {abs(contracts)} {symbol}: submitted" in out
    after = run_json(capsys, "deploy", "hedges", deployment.id)
    assert after["halted"] is True
    events = run_json(capsys, "deploy", "events", deployment.id)
    closed = [e for e in events if e["type"] == "hedges_closed"]
    assert [e["data"]["by"] for e in closed] == ["cli"]
    released = run_json(capsys, "deploy", "hedge-release")
    assert released["released"] == [deployment.id]


def test_a_hedge_the_strategy_cannot_use_is_one_line_naming_the_field(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER, open_local_store

    store = open_local_store()
    portfolio = store.create_portfolio(LOCAL_OWNER, "ko", {"weights": {"KO": 1.0}})
    store.close()
    err = fails(
        capsys,
        "deploy", "create", "--portfolio", portfolio.id, "--capital", "1e4",
        "--hedge-underlying", "KO",
    )  # fmt: skip
    assert "hedge: the strategy has no option overlay" in err and len(err.splitlines()) == 1


def test_a_forward_test_of_a_hedged_deployment_prints_its_hedge(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER, open_local_store
    from tests.support.hedged import hedged_spec

    store = open_local_store()
    deployment = store.create_deployment(LOCAL_OWNER, "collared", "draft", hedged_spec())
    store.close()
    window = ["--start", "2022-01-03", "--end", "2022-02-28"]
    result = run_json(capsys, "deploy", "forward-test", deployment.id, *window)
    hedge = result["hedge"]
    assert hedge["premiums_paid"] > 0 and hedge["runs"] == result["runs"]
    assert main(["deploy", "forward-test", deployment.id, *window]) == 0
    text = capsys.readouterr().out
    assert f"hedge on AAPL: {hedge['runs']} runs (" in text
    assert f"premiums paid {dollars(hedge['premiums_paid'])}" in text
    assert "whole contracts and a beta of 1" in text
    assert "volatility: the paper broker has no option quotes" in text
    test_id = result["forward_test_deployment_id"]
    assert main(["deploy", "performance", test_id]) == 0
    performance = capsys.readouterr().out
    assert f"option hedge {dollars(hedge['value'])} on {hedge['priced_on']}" in performance
    assert "volatility: the paper broker has no option quotes" in performance
    # `deploy hedges` of the ended test says the same as the test and its performance
    view = run_json(capsys, "deploy", "hedges", test_id)
    assert view["priced_on"] == hedge["priced_on"] == "2022-02-28"
    assert view["pnl"] == pytest.approx(hedge["value"], rel=1e-12)
    assert main(["deploy", "hedges", test_id]) == 0
    assert f"hedge P&L so far {dollars(hedge['value'])}" in capsys.readouterr().out
