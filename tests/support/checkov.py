"""Running checkov, from its own venv (`.venv-scan`, `make scan-venv`), in the infra tests.

checkov pins tabulate < 0.10, which requirements.lock is past, so it lives in a venv of its own
made from `requirements-scan.lock` (`requirements-scan.in`); `make test` makes it before the
suite runs. `run(paths, frameworks)` runs it offline (`--skip-download`: no platform, no guideline
download) and gives its JSON reports, one per framework; `Finding` lists what failed and what was
skipped without a reason.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cdk_synth import ROOT

SCAN_VENV = ROOT / ".venv-scan"
MIN_REASON = 20
"""The shortest reason a skip may give (characters)."""


def scanner(name: str) -> Path:
    """The executable `name` of the scanners' venv; outside CI a missing venv skips the test
    and says how to make it, in CI (`CI` set) it fails."""
    path = SCAN_VENV / "bin" / name
    if not path.exists():
        message = f"{path} is missing: `make scan-venv` installs the scanners (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(paths: Iterable[Path], frameworks: Sequence[str], *, cwd: Path = ROOT) -> list[Any]:
    """checkov's JSON reports (one per framework) on the files `paths`."""
    command = [str(scanner("checkov")), "--skip-download", "--compact"]
    command += ["--output", "json", "--framework", *frameworks]
    for path in paths:
        command += ["--file", str(path)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode not in (0, 1):  # 1: checks failed (the reports say which)
        raise AssertionError(f"checkov exited {done.returncode}: {done.stderr[-2000:]}")
    reports = json.loads(done.stdout)
    return reports if isinstance(reports, list) else [reports]


@dataclass(frozen=True)
class Finding:
    """One failed check, or one skipped without a reason."""

    check: str
    file: str
    resource: str
    problem: str

    def __str__(self) -> str:
        return f"{self.check} {self.problem}: {self.resource} ({self.file})"


def findings(reports: Sequence[Any]) -> list[Finding]:
    """Every failed check of `reports`, and every skipped one whose reason is shorter than
    `MIN_REASON` characters."""
    found = []
    for report in reports:
        results = report.get("results", {})
        for check in results.get("failed_checks", []):
            found.append(
                Finding(check["check_id"], check["file_path"], check["resource"], "failed")
            )
        for check in results.get("skipped_checks", []):
            reason = (check.get("check_result", {}).get("suppress_comment") or "").strip()
            if len(reason) < MIN_REASON:
                found.append(
                    Finding(check["check_id"], check["file_path"], check["resource"], "no reason")
                )
    return found


def counts(reports: Sequence[Any], kind: str) -> int:
    """How many checks of `reports` ended as `kind` (`passed`, `failed`, `skipped`)."""
    return sum(report.get("summary", {}).get(kind, 0) for report in reports)
