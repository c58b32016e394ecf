"""checkov, a scanner this project did not write, over what AWS runs: production's templates,
the account's delivery and audit stacks, the three Dockerfiles and the workflows. Every check
passes or is skipped where the resource is made, with its reason (`infra.checkov.skip`, the
Dockerfiles' `# checkov:skip=` lines); a check failed, or skipped without a reason, fails.

checkov runs from its own venv (`.venv-scan`, `tests/support/checkov.py`), offline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import checkov
from tests.support.cdk_synth import ROOT, Synthesized

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

CANARY = {
    "Resources": {
        "Unversioned": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Unexplained": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"VersioningConfiguration": {"Status": "Enabled"}},
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "no"}]}},
        },
    }
}
"""A template checkov must fault: a bucket without versioning (CKV_AWS_21 fails), and one whose
skip of access logging (CKV_AWS_18) gives no real reason. Scanned with production's templates,
it shows the check has teeth."""
CANARY_FILE = "canary.template.json"
RECIPES = sorted((ROOT / "infra" / "docker").glob("*.Dockerfile"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.fixture(scope="module")
def scanned(
    synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Any]]:
    """checkov's reports by framework (`check_type`), of one run over production's templates,
    the account's, the canary (`CANARY`), the Dockerfiles and the workflows: each framework reads
    only its own kind of file, so one run reports what a run per framework would, with checkov
    started once."""
    production = sorted(
        synthesized.outdir / f"{stack.stack_name}.template.json"
        for stack in synthesized.stages["prod"].stacks.values()
    )
    account = [
        synthesized.outdir / f"stratigos-{kind}.template.json" for kind in ("delivery", "audit")
    ]
    canary = tmp_path_factory.mktemp("checkov") / CANARY_FILE
    canary.write_text(json.dumps(CANARY))
    reports = checkov.run(
        [*production, *account, canary, *RECIPES, *WORKFLOWS],
        ["cloudformation", "dockerfile", "github_actions"],
    )
    by_framework: dict[str, list[Any]] = {}
    for report in reports:
        by_framework.setdefault(report["check_type"], []).append(report)
    return by_framework


@pytest.mark.slow
def test_production_delivery_and_audit_templates_pass_checkov(
    scanned: dict[str, list[Any]],
) -> None:
    reports = scanned["cloudformation"]
    found = checkov.findings(reports)
    faulted = {(f.check, f.resource, f.problem) for f in found if f.file.endswith(CANARY_FILE)}
    assert {
        ("CKV_AWS_21", "AWS::S3::Bucket.Unversioned", "failed"),
        ("CKV_AWS_18", "AWS::S3::Bucket.Unexplained", "no reason"),
    } <= faulted
    assert [str(f) for f in found if not f.file.endswith(CANARY_FILE)] == []
    assert checkov.counts(reports, "passed") > 500  # production's templates were read


def test_dockerfiles_and_workflows_pass_checkov(scanned: dict[str, list[Any]]) -> None:
    assert len(RECIPES) == 3 and len(WORKFLOWS) >= 3
    assert set(scanned) == {"cloudformation", "dockerfile", "github_actions"}
    reports = [*scanned["dockerfile"], *scanned["github_actions"]]
    assert [str(f) for f in checkov.findings(reports)] == []
    assert checkov.counts(reports, "passed") > 300
