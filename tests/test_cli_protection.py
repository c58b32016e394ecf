"""`stratigos optimize` with option-overlay flags and risk limits (api/cli/request_flags.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

REQUEST = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2010-01-01",
    "n_paths": 20,
    "horizon": 168,
    "scenarios": ["bear", "base"],
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.2},
        "weight_function": "inverse_vol",
        "lookback": 42,
        "rebalance_every": 21,
    },
    "budget": {"max_trials": 8, "batch_size": 4},
}


@pytest.fixture
def request_file(offline_data_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    return path


def test_overlay_flags_search_the_overlay_and_the_winner_holds_what_was_asked(
    request_file: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "optimize", "--request", str(request_file), "--json",
        "--overlay", "put,collar", "--overlay-strike", "0.85:0.98", "--overlay-tenor", "21,63",
        "--overlay-budget", "0.02", "--max-drawdown", "0.5", "--limit-scenario", "bear",
    ]  # fmt: skip
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    run = offline_data_dir / "runs" / printed["manifest"]["run_id"]
    request = json.loads((run / "request.json").read_text())
    space = request["search_space"]
    assert space["overlay"] == {"choices": ["put", "collar"]}
    assert space["overlay_strike"] == {"low": 0.85, "high": 0.98}
    assert space["overlay_tenor_days"] == {"choices": [21, 63]}
    assert space["overlay_budget"] == 0.02
    assert space["target_vol"] == REQUEST["search_space"]["target_vol"]  # the file's space kept
    assert request["risk_limits"]["max_drawdown"] == 0.5
    assert request["risk_limits"]["scenarios"] == ["bear"]
    assert "max_drawdown <= 0.5 in bear" in printed["feasibility"]
    config = printed["best"]["config"]
    assert config["overlay"] in ("put", "collar")
    assert 0.85 <= config["overlay_strike"] <= 0.98
    assert config["overlay_tenor_days"] in (21, 63) and config["overlay_budget"] == 0.02


def test_the_text_summary_names_the_winner_s_overlay(
    request_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["optimize", "--request", str(request_file), "--quiet", "--overlay", "put",
            "--overlay-strike", "0.9", "--overlay-tenor", "63", "--overlay-budget", "0.02"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    best = next(line for line in out.splitlines() if line.strip().startswith("best:"))
    assert "protective put: put strike 90%, 63-day tenor, roll at expiry" in best
    assert "annual budget 2%" in best


def test_a_bad_flag_value_is_named_before_any_job(
    request_file: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["optimize", "--request", str(request_file), "--overlay", "put,straddle"])
    assert exc.value.code == 2
    assert "argument --overlay: overlay kinds are a comma-separated list" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["optimize", "--overlay-strike", "0.9:high"])
    assert "argument --overlay-strike: expected a number, got 'high'" in capsys.readouterr().err

    argv = ["optimize", "--request", str(request_file), "--overlay", "put",
            "--overlay-strike", "0.4:0.9", "--limit-scenario", "bull",
            "--max-drawdown", "0.15"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "search_space.overlay_strike (--overlay-strike): overlay_strike: value 0.4" in err
    assert main(["optimize", "--request", str(request_file), "--overlay-budget", "0.9"]) == 2
    err += capsys.readouterr().err
    assert "overlay_budget=0.9: Input should be less than or equal to 0.5" in err
    assert "risk_limits.scenarios (--limit-scenario): 'bull' is not among" in err
    assert "Traceback" not in err
    assert not (offline_data_dir / "runs").exists() or not list(
        (offline_data_dir / "runs").iterdir()
    )
