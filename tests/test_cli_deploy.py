"""`stratigos deploy`: the winner of `stratigos optimize` deployed to paper, forward-tested and
read back (ledger, positions, orders), against a real SQLite store; errors are one line."""

from __future__ import annotations

import csv
import io
import json
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
