"""The `stratigos` command line: the demo's output and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from api.cli import main
from quant import hrp, load_sp500_prices, risk_report, to_returns


def test_demo_json_reports_four_valid_portfolios_and_out_of_sample_risk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--json", "--train-start", "2016-01-01", "--split", "2019-01-01"]) == 0
    payload = json.loads(capsys.readouterr().out)
    weights = pd.DataFrame(payload["weights"])
    assert list(weights.columns) == ["HRP", "risk parity", "min volatility", "max Sharpe"]
    np.testing.assert_allclose(weights.sum().to_numpy(), 1.0, atol=1e-9)
    assert (weights.to_numpy() >= -1e-12).all()
    assert payload["train"] == ["2016-01-04", "2018-12-31"]
    assert payload["test"][0] == "2019-01-02"
    # The HRP column is HRP on the training window; its risk is measured on the test window.
    returns = to_returns(load_sp500_prices())
    train = returns.loc["2016-01-01":"2018-12-31"]
    np.testing.assert_allclose(weights["HRP"].to_numpy(), hrp(train).to_numpy(), atol=1e-12)
    report = risk_report(hrp(train), returns.loc["2019-01-01":], risk_free_rate=0.02).to_dict()
    assert payload["risk"]["HRP"]["volatility"] == pytest.approx(report["volatility"], rel=1e-12)
    assert payload["risk"]["HRP"]["max drawdown"] == pytest.approx(
        report["max_drawdown"], rel=1e-12
    )


def test_demo_text_output_names_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for heading in ("HRP", "risk parity", "min volatility", "max Sharpe", "Out-of-sample risk"):
        assert heading in out


def test_demo_with_dates_outside_the_data_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--train-start", "1980-01-01", "--split", "1985-01-01"]) == 1
    err = capsys.readouterr().err
    assert "training window has 0 days" in err
    assert "1990-01-03" in err and "choose dates inside it" in err
    assert "Traceback" not in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    executable = Path(sys.executable).with_name("stratigos")
    completed = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("stratigos ")
