"""Commands that need no numbers, models or AWS import none of them: `--help`, `jobs list`,
`keys list` and `profile show` load no LangChain, LangGraph, pandas, numpy, scipy, numba or
boto3 (a stray top-level import anywhere on their path fails here, not in a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langchain", "langchain_core", "langchain_aws", "langgraph", "pandas", "numpy")
HEAVY += ("scipy", "numba", "boto3", "botocore", "pyarrow", "sklearn", "optuna")
RUN = """
import json, sys
from api.cli import main
sys.argv = ["stratigos", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


@pytest.mark.parametrize(
    "command",
    [["--help"], ["jobs", "list"], ["keys", "list", "--owner", "alice"], ["profile", "show"]],
    ids=" ".join,
)
def test_commands_without_numbers_import_nothing_heavy(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(command)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STRATIGOS_DATA_DIR": str(tmp_path)},
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    assert sorted(set(report["modules"]) & set(HEAVY)) == []
