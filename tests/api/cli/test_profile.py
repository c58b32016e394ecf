"""`stratigos profile`: the local owner's profile shown, changed, excluded and included against a
real SQLite store; bad input is one line naming the field, exit code 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.support.cli import fails


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.usefixtures("classification_file")
def test_profile_show_set_exclude_include(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = run_json(capsys, "profile", "show")
    assert (shown["owner"], shown["version"], shown["exclusions"]) == ("local", 0, [])
    changed = run_json(
        capsys, "profile", "set", "--risk-tolerance", "conservative", "--max-drawdown", "0.25",
        "--universe", "aapl, KO,JNJ", "--benchmark", "SP500", "--version", "0",
    )  # fmt: skip
    assert changed["version"] == 1 and changed["risk_limits"]["max_drawdown"] == 0.25
    assert changed["universe"] == ["AAPL", "KO", "JNJ"] and changed["benchmark"] == "SP500"
    excluded = run_json(capsys, "profile", "exclude", "AMD", "tobacco")
    assert excluded["exclusions"] == ["AMD", "tobacco"] and excluded["version"] == 3
    included = run_json(capsys, "profile", "include", "amd")
    assert included["exclusions"] == ["tobacco"]
    reset = run_json(capsys, "profile", "set", "--max-drawdown", "none", "--universe", "none")
    assert reset["risk_limits"]["max_drawdown"] is None and reset["universe"] is None
    assert reset["risk_tolerance"] == "conservative"
    assert main(["profile", "show"]) == 0
    text = capsys.readouterr().out
    assert "exclusions       tobacco" in text and "risk tolerance   conservative" in text


def test_profile_errors_name_the_field_and_write_nothing(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = fails(capsys, "profile", "exclude", "crypto")
    assert "exclusions: 'crypto' matches no known ticker" in message
    message = fails(capsys, "profile", "set", "--cvar-95", "1.5")
    assert "risk_limits.cvar_95" in message
    message = fails(capsys, "profile", "set", "--base-currency", "EUR")
    assert "base_currency: EUR: Stratigos computes in USD only" in message
    run_json(capsys, "profile", "exclude", "AMD")
    message = fails(capsys, "profile", "exclude", "KO", "--version", "0")
    assert "not version 0" in message
    assert run_json(capsys, "profile", "show")["exclusions"] == ["AMD"]


def test_optimize_refuses_a_universe_the_profile_empties(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "profile", "exclude", "semiconductors")
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"universe": ["AMD"], "n_paths": 20}))
    message = fails(capsys, "optimize", "--request", str(request), "--quiet")
    assert "universe: your profile's exclusions leave 0 of its 1 tickers" in message
    assert "AMD left out: your profile excludes semiconductors" in message
