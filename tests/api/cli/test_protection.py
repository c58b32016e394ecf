"""`stratigos optimize` with option-overlay flags and risk limits (api/cli/request_flags.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from quant.options.vol_model import ImpliedVolModel

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
    # a bare limit is on the 95th percentile of the scenario's paths (issue 62)
    assert "max drawdown ≤ 50.00% in 95% of bear paths" in printed["feasibility"]
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
    assert (
        "hedge protective put, put strike 90.00%, option term 63 trading days, rolled at expiry"
        in best
    )
    assert "premium budget 2.00%" in best


@pytest.mark.parametrize(
    ("kinds", "objective", "winner_hedged"),
    [("put", None, True), ("none,put", {"hedge_premium": -1.0}, False)],
    ids=["hedged-winner", "unhedged-winner"],
)
def test_the_text_summary_shows_hedged_vs_unhedged_and_the_trade_off(
    kinds: str,
    objective: dict[str, float] | None,
    winner_hedged: bool,
    request_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if objective is not None:  # minimising the premium: a strategy without options wins
        request_file.write_text(json.dumps({**REQUEST, "objective": objective}))
    argv = ["optimize", "--request", str(request_file), "--quiet", "--overlay", kinds,
            "--overlay-strike", "0.85:0.98", "--overlay-tenor", "63",
            "--max-drawdown", "0.5", "--limit-scenario", "bear"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    path = next(line for line in out.splitlines() if line.startswith("Results: "))
    result = json.loads(Path(path.removeprefix("Results: ")).read_text())
    hedging = result["hedging"]
    lines = out.splitlines()
    assert hedging["winner_hedged"] is winner_hedged
    no_overlay = "  hedged vs unhedged: the winner holds no option overlay"
    assert (no_overlay in lines) is not winner_hedged
    assert (hedging["comparison"] is not None) is winner_hedged
    head = next((i for i, line in enumerate(lines) if line.startswith("  hedged vs")), 0)
    block = [line.split() for line in lines[head + 2 : head + 2 + len(hedging["comparison"] or {})]]
    assert sorted(row[0] for row in block) == sorted(hedging["comparison"] or {})
    for scenario, sides in (hedging["comparison"] or {}).items():
        h, u = sides["hedged"], sides["unhedged"]
        row = next(r for r in block if r[0] == scenario)
        assert row == [
            scenario, f"{h['hedge_premium']:.2%}", f"{h['hedge_payoff']:.2%}",
            f"{h['hedge_carry']:.2%}", f"{u['max_drawdown']:.2%}", "->",
            f"{h['max_drawdown']:.2%}", f"{u['cvar_95']:.2%}", "->", f"{h['cvar_95']:.2%}",
        ]  # fmt: skip
    start = next(i for i, line in enumerate(lines) if line.startswith("  trade-off in bear"))
    shown = [line.split() for line in lines[start + 2 : start + 2 + len(hedging["tradeoff"])]]
    assert len(shown) == len(hedging["tradeoff"]) > 0
    for row, cells in zip(hedging["tradeoff"], shown, strict=True):
        winner = row["trial"] == result["best"]["trial"]
        assert cells[0] == f"{row['trial']}{'*' if winner else ''}"
        assert cells[-6:] == [
            f"{row['hedge_premium']:.2%}", f"{row['hedge_carry']:.2%}",
            f"{row['max_drawdown']:.2%}", f"{row['cvar_95']:.2%}",
            "yes" if row["feasible"] else "no", f"{row['objective']:.4f}",
        ]  # fmt: skip
        assert (cells[1] == "none") == (not row["hedged"])
    assert shown[0][1] == ("put" if winner_hedged else "none")  # no unhedged trial / closest


def test_a_search_without_overlays_prints_no_hedging_table(
    request_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["optimize", "--request", str(request_file), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Run job_" in out and "hedged vs unhedged" not in out and "trade-off" not in out


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
    assert "overlay_budget=0.9: must be at most 0.5" in err
    assert "risk_limits.scenarios (--limit-scenario): 'bull' is not among" in err
    assert "Traceback" not in err
    assert not (offline_data_dir / "runs").exists() or not list(
        (offline_data_dir / "runs").iterdir()
    )


def test_roll_flags_reach_the_request_and_the_winner_rolls_at_the_delta_band(
    request_file: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["optimize", "--request", str(request_file), "--json", "--overlay", "put",
            "--overlay-strike", "0.9", "--overlay-tenor", "63", "--overlay-roll", "delta",
            "--overlay-roll-delta-band", "0.05:0.2"]  # fmt: skip
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    run = offline_data_dir / "runs" / printed["manifest"]["run_id"]
    space = json.loads((run / "request.json").read_text())["search_space"]
    assert space["overlay_roll"] == "delta"
    assert space["overlay_roll_delta_band"] == {"low": 0.05, "high": 0.2}
    config = printed["best"]["config"]
    assert config["overlay_roll"] == "delta" and 0.05 <= config["overlay_roll_delta_band"] <= 0.2

    argv = ["optimize", "--request", str(request_file), "--overlay", "put",
            "--overlay-roll", "delta", "--overlay-roll-delta-band", "0.7"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "search_space.overlay_roll_delta_band (--overlay-roll-delta-band)" in err
    assert "must be at most 0.5" in err and "Traceback" not in err
    # a band searched where the rule never reads it is refused, naming the field
    argv = ["optimize", "--request", str(request_file), "--overlay", "put",
            "--overlay-roll", "band", "--overlay-roll-delta-band", "0.05:0.2"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "overlay_roll_delta_band: searched, but overlay_roll is never 'delta'" in err
    argv = ["optimize", "--request", str(request_file), "--json", "--overlay", "put",
            "--overlay-roll", "band", "--overlay-roll-band", "0.03"]  # fmt: skip
    assert main(argv) == 0
    config = json.loads(capsys.readouterr().out)["best"]["config"]
    assert (config["overlay_roll"], config["overlay_roll_band"]) == ("band", 0.03)


def test_pricing_flags_set_the_vol_model_and_name_their_field(
    request_file: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request_file.write_text(json.dumps({**REQUEST, "vol_model": {"max_volatility": 2.0}}))
    argv = ["optimize", "--request", str(request_file), "--json", "--overlay", "put",
            "--overlay-strike", "0.9", "--overlay-tenor", "63",
            "--vol-premium", "0.0225", "--vol-skew", "0", "--vol-window", "42"]  # fmt: skip
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    run = offline_data_dir / "runs" / printed["manifest"]["run_id"]
    request = json.loads((run / "request.json").read_text())
    # the flags' values beside the file's own (max_volatility), the rest the model's defaults
    assert request["vol_model"] == {
        "variance_risk_premium": 0.0225, "skew": 0.0, "realised_window": 42,
        "min_volatility": 0.05, "max_volatility": 2.0,
    }  # fmt: skip

    with pytest.raises(SystemExit) as exc:
        main(["optimize", "--request", str(request_file), "--vol-window", "2.5"])
    assert exc.value.code == 2
    assert "argument --vol-window: expected a whole number, got '2.5'" in capsys.readouterr().err
    argv = ["optimize", "--request", str(request_file), "--overlay", "put",
            "--vol-skew", "-1", "--vol-window", "1"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "vol_model.skew (--vol-skew): must be at least 0" in err
    assert "vol_model.realised_window (--vol-window): must be at least 2" in err
    assert "Traceback" not in err


def test_a_higher_variance_risk_premium_makes_the_same_put_cost_more(
    request_file: Path, offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The flag reaches the pricing: random search with one seed samples the same configs, a
    fixed put, so each trial is the same strategy on the same paths under two premiums."""
    request_file.write_text(json.dumps({**REQUEST, "method": "random"}))
    trials = []
    for vrp in ("0", "0.04"):
        argv = ["optimize", "--request", str(request_file), "--json", "--overlay", "put",
                "--overlay-strike", "0.95", "--overlay-tenor", "63", "--vol-premium", vrp,
                "--cold"]  # fmt: skip
        assert main(argv) == 0
        run_id = json.loads(capsys.readouterr().out)["manifest"]["run_id"]
        result = json.loads((offline_data_dir / "runs" / run_id / "result.json").read_text())
        trials.append(result["trials"])
    assert trials[0] and len(trials[0]) == len(trials[1])
    for cheap, dear in zip(*trials, strict=True):
        assert cheap["target_vol"] == dear["target_vol"]
        assert dear["bear.hedge_premium"] > cheap["bear.hedge_premium"] > 0


def test_the_pricing_flags_help_states_the_model_s_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    defaults = ImpliedVolModel()
    with pytest.raises(SystemExit):
        main(["optimize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"0 to 1 (default {defaults.variance_risk_premium:g}:" in text
    assert f"0 to 20 (default {defaults.skew:g};" in text
    assert f"2 to 756 (default {defaults.realised_window})" in text
