"""docs/recording.md's walkthrough runs exactly as written, in an empty folder, as a new developer
would run it: a test of their own request recorded with the pytest plugin and replayed, and a
request recorded and replayed from the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "recording.md"


def walkthrough() -> str:
    """The bash block between the walkthrough markers of docs/recording.md."""
    text = DOC.read_text()
    section = text.split("<!-- walkthrough", 1)[1].split("<!-- end walkthrough -->", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert match, "no bash block in the walkthrough"
    return match.group(1)


def developer_env(home: Path) -> dict[str, str]:
    """A shell of a developer with Stratigos' environment active and no AWS account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_"))}
    env.pop("PYTEST_ADDOPTS", None)
    env["HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_the_walkthrough_records_and_replays_a_developers_own_request(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    env = developer_env(tmp_path / "home")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert output.count("1 passed") == 2, output
    assert "my-request: reproduced exactly" in output
    assert (folder / "tests" / "cassettes" / "test_my_request.yaml").is_file()
    assert (folder / "cassettes" / "my-request.snapshot.json").is_file()

    # the developer changes the request without recording again: the test says so
    test_file = folder / "tests" / "test_my_strategy.py"
    test_file.write_text(test_file.read_text().replace('"seed": 1', '"seed": 9'))
    again = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_my_strategy.py", "-q"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 1, again.stdout + again.stderr
    assert "changed since it was recorded" in again.stdout
    assert "--record-cassettes=test_my_request" in again.stdout
