"""`stratigos optimize` tells each of a run's warnings once: live in its trace, or else in the
summary that follows (a warning the trace printed is not repeated beside the result)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from tests.support.requests import SMALL_REQUEST

REQUEST = {
    **SMALL_REQUEST,
    "warm_start": False,
    "seed": 5,
    "search_space": {
        **SMALL_REQUEST["search_space"],
        "lookback": {"low": 21, "high": 42, "step": 21},  # the winner at an end: a warning
    },
}


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "trace"])
def test_every_warning_of_the_result_is_printed_exactly_once(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], quiet: bool
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    flags = ["--quiet"] if quiet else []
    assert main(["optimize", "--request", str(request), *flags]) == 0
    out = capsys.readouterr().out
    (results,) = [line for line in out.splitlines() if line.startswith("Results: ")]
    warnings = json.loads(Path(results.removeprefix("Results: ")).read_text())["warnings"]
    assert any("search range" in warning for warning in warnings)
    for warning in warnings:
        assert out.count(warning) == 1, (warning, out)
