"""`stratigos estimate` after `stratigos optimize`: the command line's searches teach the local
owner's model (the second starts warm, `--cold` cold), and estimates are labelled "model
estimate" with intervals, and `--evaluate` simulates the configuration on the search's own
paths; bad input exits 2 naming the field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from api.cli import main
from quant import SearchSpace
from services.strategy_model import wait_for_learning
from services.warm_starts import describe_result_start
from tests.support.requests import SMALL_REQUEST


def test_searches_teach_the_model_that_estimates(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate"]) == 2
    assert "no strategy model yet" in capsys.readouterr().err

    request = tmp_path / "request.json"
    request.write_text(json.dumps(SMALL_REQUEST))
    assert main(["optimize", "--request", str(request), "--json", "--quiet"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["warm_start"]["configs"] == []
    wait_for_learning()  # the command answered first; the model learns on (here) a thread
    assert main(["optimize", "--request", str(request), "--quiet"]) == 0
    summary = capsys.readouterr().out
    assert f"learnt from runs {first['manifest']['run_id']}" in summary  # the `start:` line
    [path] = re.findall(r"^Results: (\S+)$", summary, re.MULTILINE)
    [start] = re.findall(r"^  start: (.+)$", summary, re.MULTILINE)
    assert start == describe_result_start(json.loads(Path(path).read_text()))
    assert main(["optimize", "--request", str(request), "--cold", "--json", "--quiet"]) == 0
    cold = json.loads(capsys.readouterr().out)
    wait_for_learning()
    assert cold["warm_start"] is None

    assert main(["estimate", "--config", '{"target_vol": 0.1}', "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["label"] == "model estimate" and answer["model"]["searches"] == 3
    assert answer["config"]["target_vol"] == 0.1
    assert main(["estimate", "--config", '{"target_vol": 0.1}', "--scenarios", "bear"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Model estimate") and "prediction intervals" in text
    assert [line.split()[0] for line in text.splitlines() if line.startswith("  bear")] == ["bear"]

    # the full evaluation of a configuration the newest search tried is what its trial showed
    space = SearchSpace(dict(cold["plan"]["search_space"]))
    trial = json.loads(Path(cold["files"]["result"]).read_text())["trials"][-1]
    config = json.dumps(space.config({n: trial[n] for n in space.names}).model_dump(mode="json"))
    assert main(["estimate", "--config", config, "--evaluate", "--json"]) == 0
    evaluation = json.loads(capsys.readouterr().out)["evaluation"]
    assert evaluation["label"] == "full evaluation"
    assert evaluation["run_id"] == cold["manifest"]["run_id"]
    for scenario, metrics in evaluation["scenarios"].items():
        assert metrics == {m: trial[f"{scenario}.{m}"] for m in metrics}
    assert main(["estimate", "--config", config, "--evaluate", "--scenarios", "bear"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Model estimate") and "Full evaluation (simulated on run" in text
    assert "simulated values lie outside the model's intervals" in text


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--config", "{"], "--config: not JSON"),
        (["--config", '{"lookback": 1.5}'], "config.lookback"),
    ],
)
def test_bad_input_exits_2_naming_it(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], words: str
) -> None:
    assert main(["estimate", *arguments]) == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("reason", [None, "48 of 60 trials: its last batch improved nothing"])
def test_the_start_line_says_an_early_stop_once(reason: str | None) -> None:
    """`start:` says why a warm search stopped early unless `reason:` just above says it."""
    from api.cli.optimize import _heading_lines

    stopped = "its last batch improved nothing"
    outcome = {"configs": [{}, {}], "probes": 1, "model": {"version": 3}, "stopped": stopped,
               "runs": [{"run_id": "job_a"}], "reference": None}  # fmt: skip
    result = {"status": "succeeded", "warm_start": outcome} | ({"reason": reason} if reason else {})
    lines = "\n".join(_heading_lines("job_b", result))
    assert lines.count(stopped) == 1
    assert ("stopped early" in lines) == (reason is None)
    assert f"  start: {describe_result_start(result)}" in lines
    cold = _heading_lines("job_c", {"status": "succeeded", "warm_start": None})
    assert "  start: cold (asked for)" in cold
