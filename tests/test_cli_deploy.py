"""`stratigos deploy`: the winner of `stratigos optimize` deployed to paper, forward-tested and
read back (ledger, positions, orders), against a real SQLite store; errors are one line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.test_cli import SMALL_REQUEST
from tests.test_cli_jobs import fails


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_winner_of_optimize_is_deployed_forward_tested_and_read_back(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    space = {**SMALL_REQUEST["search_space"], "max_leverage": 1.0}  # type: ignore[dict-item]
    request.write_text(json.dumps({**SMALL_REQUEST, "search_space": space}))
    assert main(["optimize", "--request", str(request), "--quiet"]) == 0
    capsys.readouterr()
    created = run_json(
        capsys, "deploy", "create", "--optimization", "last", "--capital", "50000",
        "--every", "month", "--cash-buffer", "0.02", "--activate",
    )  # fmt: skip
    assert (created["status"], created["mode"]) == ("active", "paper")
    assert created["spec"]["strategy"]["kind"] == "rule"
    assert created["spec"]["universe"] == SMALL_REQUEST["universe"]
    did = created["id"]
    assert main(["deploy", "forward-test", did, "--start", "2022-01-03"]) == 0
    text = capsys.readouterr().out
    assert "12 rebalances" in text and "backtest:" in text
    result = run_json(capsys, "deploy", "forward-test", did, "--start", "2022-01-03")
    test_id = result["forward_test_deployment_id"]
    assert result["runs"] == 12 and result["end"] == "2022-12-28"
    ledger = run_json(capsys, "deploy", "ledger", test_id)
    assert ledger[0]["entry_id"] == "capital" and len(ledger) - 1 == result["fills"]
    assert main(["deploy", "ledger", test_id, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["entry_id"] for r in rows] == [e["entry_id"] for e in ledger]
    positions = run_json(capsys, "deploy", "positions", test_id)
    assert positions["cash"] == pytest.approx(result["cash"])
    performance = run_json(capsys, "deploy", "performance", test_id)
    assert performance["values"]["paper"][-1] == pytest.approx(result["final_value"])
    assert main(["deploy", "performance", test_id]) == 0
    assert "tracking error" in capsys.readouterr().out
    orders = run_json(capsys, "deploy", "orders", test_id)
    assert {o["status"] for o in orders} <= {"filled", "rejected"}
    listed = run_json(capsys, "deploy", "list")
    assert {d["mode"] for d in listed} == {"paper", "forward_test"}
    killed = run_json(capsys, "deploy", "kill")
    assert killed["paused"] == [did] and killed["failures"] == []
    assert run_json(capsys, "deploy", "show", did)["status"] == "paused"
    assert run_json(capsys, "deploy", "resume", did)["status"] == "active"
    assert run_json(capsys, "deploy", "pause", did)["status"] == "paused"
    assert "only a paused deployment resumes" not in fails(capsys, "deploy", "resume", "nope")
    assert "is a forward test" in fails(capsys, "deploy", "pause", test_id)


def test_what_cannot_be_deployed_is_one_line_naming_the_problem(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(capsys, "deploy", "create", "--optimization", "last", "--capital", "1")
    assert "run `stratigos optimize` first" in err
    err = fails(capsys, "deploy", "create", "--portfolio", "pf_none", "--capital", "1")
    assert "no portfolio 'pf_none'" in err
    err = fails(capsys, "deploy", "show", "dep_none")
    assert "no deployment 'dep_none'" in err


def test_deploy_create_broker_alpaca_trades_the_local_owner_s_alpaca_account(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER, open_local_store
    from devtools.local_alpaca import LocalAlpaca
    from execution.brokers.paper import PaperBroker
    from quant.data import sp500_prices
    from settings import get_settings

    weights = [{"asset": "AAPL", "weight": 0.6}, {"asset": "KO", "weight": 0.4}]
    portfolio = open_local_store().create_portfolio(LOCAL_OWNER, "pair", {"weights": weights}).id
    create = ("deploy", "create", "--portfolio", portfolio, "--capital", "50000")
    err = fails(capsys, *create, "--broker", "alpaca")
    assert "broker: the Alpaca account cannot be used: Alpaca keys are not configured" in err

    paper = PaperBroker(sp500_prices().loc["2022-01-01":])
    paper.deposit(100_000, datetime(2022, 1, 3, 14, tzinfo=UTC))
    with LocalAlpaca(paper, key_id="AKLOCAL", secret_key="local-secret") as alpaca:
        monkeypatch.setenv("STRATIGOS_ALPACA_KEY_ID", alpaca.key_id)
        monkeypatch.setenv("STRATIGOS_ALPACA_SECRET_KEY", alpaca.secret_key)
        monkeypatch.setenv("STRATIGOS_ALPACA_BASE_URL", alpaca.url)
        get_settings.cache_clear()
        created = run_json(capsys, *create, "--broker", "alpaca")
        assert created["spec"]["account"] == "alpaca-PA0000LOCAL"
        assert created["spec"]["alpaca_endpoint"] == "paper"
        assert "already traded by deployment" in fails(capsys, *create, "--broker", "alpaca")
