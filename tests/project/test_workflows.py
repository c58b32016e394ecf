"""The delivery files: GitHub workflows clean under actionlint (installed with the test tools),
CI running the README's test command, and the Makefile's CDK targets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def test_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"ci.yml", "deploy.yml", "preview.yml"}
    found = subprocess.run(
        [str(ACTIONLINT), "-color=false", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 0, found.stdout + found.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    """The check has teeth: an unknown expression context fails it."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ nosuch.value }}\n"
    )
    found = subprocess.run(
        [str(ACTIONLINT), "-color=false", str(broken)], capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 1 and "nosuch" in found.stdout


def test_ci_runs_the_readme_test_command_and_synthesizes_production() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    ci = (WORKFLOWS / "ci.yml").read_text()
    assert "run: make test" in ci and "make cdk-synth STAGE=prod" in ci
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ["make test"]


def test_deployments_use_oidc_roles_and_no_keys() -> None:
    for name in ("deploy.yml", "preview.yml"):
        text = (WORKFLOWS / name).read_text()
        assert "id-token: write" in text and "role-to-assume:" in text
        assert not re.search(r"aws-(access-key-id|secret-access-key)", text)
    # after CI on main (tests/infra/test_delivery.py)
    deploy = (WORKFLOWS / "deploy.yml").read_text()
    assert "workflow_run:" in deploy and "branches: [main]" in deploy
    preview = (WORKFLOWS / "preview.yml").read_text()
    assert "closed" in preview and "destroy" in preview and "instance=" in preview


def test_the_makefile_has_the_cdk_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("cdk-synth:", "cdk-diff:", "cdk-deploy:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    assert "cfn-lint" in makefile and "STAGE ?= prod" in makefile
