"""Never a false success: a job becomes succeeded only with a complete, successful result.

- The store refuses to complete a job with a document that states a failure or misses trials
  (`tests/store/contract/test_results.py`, on SQLite and on DynamoDB + S3).
- The optimization handler refuses a failed or incomplete run document (as a resumed run that
  had failed returns), so the worker fails the job with the run's reason.
- A store whose file is deleted or replaced while in use says so on the next operation, and
  `stratigos optimize` then exits non-zero instead of reporting a result it could not store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphs.pipeline_jobs import RunFailedError, verify_result
from store import StoreUnavailableError
from store.sqlite import SQLiteStore

GOOD = {
    "status": "succeeded",
    "n_trials": 2,
    "trials": [{"trial": 0}, {"trial": 1}],
    "best": {"config": {"target_vol": 0.1}},
}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({**GOOD, "status": "failed", "reason": "StoreUnavailableError: locked"}, "run r1 failed"),
        ({**GOOD, "n_trials": 80}, "counts 80 trials but holds 2"),
        ({**GOOD, "best": None}, "has no best configuration"),
        ({**GOOD, "trials": [], "n_trials": 0}, "holds 0 trials of 0"),
    ],
)
def test_the_handler_refuses_a_result_that_is_not_a_complete_success(
    document: dict[str, Any], problem: str
) -> None:
    with pytest.raises(RunFailedError, match=problem):
        verify_result("r1", document)
    verify_result("r1", GOOD)
    verify_result("r1", {**GOOD, "status": "partial", "best": None})


def test_a_deleted_store_file_is_reported_not_silently_recreated(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = SQLiteStore(path)
    store.list_jobs("alice")
    for leftover in tmp_path.glob("store.sqlite*"):
        leftover.unlink()
    with pytest.raises(StoreUnavailableError, match="was deleted or replaced while in use"):
        store.list_jobs("alice")
    assert not path.exists()  # nothing recreated an empty store behind the user's back


def test_optimize_fails_when_its_store_is_deleted_mid_run(
    offline_data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.cli import main
    from api.reports.terminal import TerminalRenderer
    from tests.support.requests import TINY

    handle = TerminalRenderer.handle

    def delete_on_progress(self: TerminalRenderer, event: Any) -> None:
        if event.type == "progress" and event.data.get("unit") == "trials":
            for leftover in offline_data_dir.glob("store.sqlite*"):
                leftover.unlink()
        handle(self, event)

    monkeypatch.setattr(TerminalRenderer, "handle", delete_on_progress)
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    code = main(["optimize", "--request", str(request), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "was deleted or replaced while in use" in captured.err
    assert "Traceback" not in captured.err
