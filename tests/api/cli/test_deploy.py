"""`stratigos deploy`: the winner of `stratigos optimize` deployed to paper, forward-tested and
read back (ledger, positions, orders), its ledger written as CSV or Parquet and stored as an
export, against a real SQLite store; errors are one line."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from services.formatting import money
from tests.support.cli import fails
from tests.support.ledger_files import assert_csv_holds, assert_parquet_holds, hard_entries
from tests.support.requests import SMALL_REQUEST


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
    arguments = ["deploy", "create", "--optimization", "last", "--capital", "50000",
                 "--every", "month", "--cash-buffer", "0.02", "--activate"]  # fmt: skip
    from api.cli.local import LOCAL_OWNER, open_local_store

    store = open_local_store()
    job = store.list_jobs(LOCAL_OWNER, statuses=["succeeded"], limit=1)[0]
    if store.get_result(LOCAL_OWNER, job.id).payload["benchmark_verdict"]["beats"] is False:
        refused = fails(capsys, *arguments)  # said once, in words, naming the flag
        assert refused.count("does not beat") == 1 and "--confirm-below-benchmarks" in refused
        arguments.append("--confirm-below-benchmarks")
    created = run_json(capsys, *arguments)
    assert (created["status"], created["mode"]) == ("active", "paper")
    assert created["spec"]["strategy"]["kind"] == "rule"
    assert created["spec"]["universe"] == SMALL_REQUEST["universe"]
    did = created["id"]
    assert main(["deploy", "forward-test", did, "--start", "2022-01-03"]) == 0
    text = capsys.readouterr().out
    assert "12 rebalances" in text and "backtest:" in text
    # each number says what it is: the returns' difference in points, the final values' in money
    assert "the strategy as deployed (the paper return is " in text
    assert "\n  the account ends " in text and " its deployed backtest (" in text
    assert "fires decided on the session's close as the price at the fire" in text
    strict = run_json(
        capsys, "deploy", "forward-test", did, "--start", "2022-01-03",
        "--fire-price", "previous_close", "--cash-rate", "0.01",
    )  # fmt: skip
    assert (strict["fire_price"], strict["cash_rate"]) == ("previous_close", 0.01)
    assert "cash_rate: must be a yearly rate from 0 to 1" in fails(
        capsys, "deploy", "forward-test", did, "--start", "2022-01-03", "--cash-rate", "nan"
    )
    result = run_json(capsys, "deploy", "forward-test", did, "--start", "2022-01-03")
    test_id = result["forward_test_deployment_id"]
    assert result["runs"] == 12 and result["end"] == "2022-12-28"
    ledger = run_json(capsys, "deploy", "ledger", test_id)
    interest = [e for e in ledger if e["note"] == "interest"]
    assert ledger[0]["entry_id"] == "capital" and len(ledger) - 1 - len(interest) == result["fills"]
    assert main(["deploy", "ledger", test_id, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["entry_id"] for r in rows] == [e["entry_id"] for e in ledger]
    assert main(["deploy", "ledger", test_id]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["Time", "(UTC)", "Entry", "Symbol"]
    for line, entry in zip(table[1:], ledger, strict=True):  # one line per entry, in dollars
        shown = money(entry["amount"] if entry["kind"] == "cash_flow" else entry["price"])
        assert line.startswith(entry["time"][:10]) and shown in line
    positions = run_json(capsys, "deploy", "positions", test_id)
    assert positions["cash"] == pytest.approx(result["cash"])
    assert main(["deploy", "positions", test_id]) == 0
    held = capsys.readouterr().out
    for position in (p for p in positions["positions"] if p["quantity"] > 0):
        assert f"{position['symbol']:6} {position['quantity']:>15,.6f}" in held
        assert money(position["market_value"]) in held
    assert f"equity {money(positions['equity'])}" in held
    performance = run_json(capsys, "deploy", "performance", test_id)
    assert performance["values"]["paper"][-1] == pytest.approx(result["final_value"])
    assert performance["data"]["data_end"] == "2022-12-28"
    assert performance["decomposition"]["words"] == result["decomposition"]["words"]
    assert main(["deploy", "performance", test_id]) == 0
    text = capsys.readouterr().out
    assert "tracking error" in text and "ends 2022-12-28" in text.splitlines()[0]
    # monthly, not the winner's own cadence: the searched backtest is a second line
    assert "\n  searched: " in text and performance["decomposition"]["words"] in text
    orders = run_json(capsys, "deploy", "orders", test_id)
    assert {o["status"] for o in orders} <= {"filled", "canceled", "rejected"}
    assert all(o["filled_quantity"] == 0 for o in orders if o["status"] == "rejected")
    listed = run_json(capsys, "deploy", "list")
    assert {d["mode"] for d in listed} == {"paper", "forward_test"}
    killed = run_json(capsys, "deploy", "kill")
    assert killed["paused"] == [did] and killed["failures"] == []
    assert run_json(capsys, "deploy", "show", did)["status"] == "paused"
    assert run_json(capsys, "deploy", "resume", did)["status"] == "active"
    assert run_json(capsys, "deploy", "pause", did)["status"] == "paused"
    assert "only a paused deployment resumes" not in fails(capsys, "deploy", "resume", "nope")
    assert "is a forward test" in fails(capsys, "deploy", "pause", test_id)
    assert "none of your deployments trades account 'nope'" in fails(
        capsys, "deploy", "kill", "--account", "nope"
    )
    events = run_json(capsys, "deploy", "events", did)
    moves = [(e["data"]["to"], e["data"]["by"]) for e in events if e["type"] == "status_changed"]
    assert moves == [
        ("active", "cli"),
        ("paused", "kill_switch"),
        ("active", "cli"),
        ("paused", "cli"),
    ]
    assert events[0]["type"] == "created" and events[0]["data"]["source"]["id"].startswith("job_")
    runs = run_json(capsys, "deploy", "events", test_id, "--after", "1")
    outcomes = [e["data"]["outcome"] for e in runs if e["type"] == "run_finished"]
    assert len(outcomes) == 12
    assert {o: outcomes.count(o) for o in outcomes} == result["run_statuses"]
    assert main(["deploy", "retire", did]) == 0 and capsys.readouterr()
    assert main(["deploy", "events", did, "--follow"]) == 0  # a retired deployment: ends at once
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(events) + 1 and "paused -> retired (by cli)" in lines[-1]


def test_what_cannot_be_deployed_is_one_line_naming_the_problem(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = fails(capsys, "deploy", "create", "--optimization", "last", "--capital", "1")
    assert "run `stratigos optimize` first" in err
    err = fails(capsys, "deploy", "create", "--portfolio", "pf_none", "--capital", "1")
    assert "no portfolio 'pf_none'" in err
    err = fails(capsys, "deploy", "show", "dep_none")
    assert "no deployment 'dep_none'" in err


def _deployed_ledger(capsys: pytest.CaptureFixture[str]) -> tuple[str, list[Any]]:
    """A deployment of the local owner's portfolio whose ledger holds `hard_entries()`."""
    from api.cli.local import LOCAL_OWNER, open_local_store

    store = open_local_store()
    weights = {"JNJ": 0.5, "KO": 0.5}
    portfolio = store.create_portfolio(LOCAL_OWNER, "staples", {"weights": weights})
    created = run_json(capsys, "deploy", "create", "--portfolio", portfolio.id, "--capital", "1e5")
    store.append_ledger(LOCAL_OWNER, created["id"], hard_entries())
    entries = store.ledger(LOCAL_OWNER, created["id"])
    store.close()
    return created["id"], entries


def test_the_ledger_is_written_as_parquet_csv_or_json_and_parquet_never_printed(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    did, entries = _deployed_ledger(capsys)
    parquet = tmp_path / "ledger.parquet"
    assert main(["deploy", "ledger", did, "--format", "parquet", "--output", str(parquet)]) == 0
    assert f"({len(entries)} entries) to {parquet}" in capsys.readouterr().out
    assert_parquet_holds(parquet.read_bytes(), entries)
    assert main(["deploy", "ledger", did, "--format", "csv"]) == 0
    assert_csv_holds(capsys.readouterr().out, entries)
    assert main(["deploy", "ledger", did, "--csv", "--output", str(tmp_path / "l.csv")]) == 0
    assert_csv_holds((tmp_path / "l.csv").read_text(), entries)
    capsys.readouterr()
    rows = run_json(capsys, "deploy", "ledger", did)
    assert main(["deploy", "ledger", did, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == rows
    assert [r["entry_id"] for r in rows] == [e.entry_id for e in entries]
    err = fails(capsys, "deploy", "ledger", did, "--format", "parquet")
    assert "--format parquet is binary and is not printed: give --output FILE" in err


def test_deploy_export_stores_the_ledger_and_writes_the_stored_file(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER, open_local_store

    did, entries = _deployed_ledger(capsys)
    out = tmp_path / "exported.parquet"
    assert main(["deploy", "export", did, "--format", "parquet", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{len(entries)} entries" in text and f"written to {out}" in text
    assert_parquet_holds(out.read_bytes(), entries)
    shown = run_json(
        capsys, "deploy", "export", did, "--format", "csv", "--output", str(tmp_path / "l.csv")
    )
    assert_csv_holds((tmp_path / "l.csv").read_text(), entries)
    store = open_local_store()
    stored = store.list_exports(LOCAL_OWNER, did)
    assert [e.format for e in stored] == ["parquet", "csv"] and stored[1].id == shown["id"]
    assert store.export_bytes(LOCAL_OWNER, stored[0].id) == out.read_bytes()
    assert shown["sha256"] == hashlib.sha256((tmp_path / "l.csv").read_bytes()).hexdigest()
    store.close()
    assert "no deployment 'dep_none'" in fails(
        capsys, "deploy", "export", "dep_none", "--format", "csv", "--output", str(out)
    )


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
