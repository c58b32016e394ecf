"""`stratigos optimize --pipeline`: the request's search run as the search pipeline in this
process (the request's own decisions, no agents), its result saying so and giving the winner
`run_search_pipeline(engine="here")` finds; with the SageMaker engine configured the command
refuses (exit 2), since it cannot wait for an execution EventBridge reports the end of."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from graphs.request import OptimizationRequest
from graphs.search_pipeline import run_search_pipeline
from jobs.pipeline.runs import PIPELINE_NOTE
from settings import ModelSettings, Settings, get_settings
from tests.support.requests import SMALL_REQUEST

REQUEST = {**SMALL_REQUEST, "warm_start": False, "seed": 5}


def test_the_pipeline_flag_runs_the_search_as_the_pipeline(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    assert main(["optimize", "--request", str(request), "--pipeline", "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pipeline"]["engine"] == "here" and result["pipeline"]["agents"] is False
    assert result["explanation"] is None and PIPELINE_NOTE in result["warnings"][0]
    reference = run_search_pipeline(
        OptimizationRequest.model_validate(REQUEST),
        run_id="reference",
        settings=Settings(
            data_dir=tmp_path / "reference", models=ModelSettings(provider="offline")
        ),
        train=False,
    )
    assert result["best"] == reference["best"]
    # its files, as a graph run's: the result, and reports that say what ran
    assert set(result["files"]) == {"result", "report_md", "report_html"}
    assert json.loads(Path(result["files"]["result"]).read_text())["best"] == result["best"]
    report = Path(result["files"]["report_md"]).read_text()
    assert "Universe asked: AAPL, KO, XOM, daily returns 2010-01-01 to" in report
    assert PIPELINE_NOTE in report and "| lookback |" in report


def test_the_pipeline_flag_is_refused_when_the_engine_is_sagemaker(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATIGOS_COMPUTE_PIPELINE_ENGINE", "sagemaker")
    get_settings.cache_clear()
    assert main(["optimize", "--pipeline", "--trials", "4", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "--pipeline" in error and "POST /v1/optimizations" in error
    assert not (offline_data_dir / "pipelines").exists()
