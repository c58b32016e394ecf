"""A `@given` test parametrized a thousand times runs every invocation
(`tests/support/hypothesis_chain.py`: without it, Hypothesis' plugin nests each invocation's
settings in the previous one's and the invocations past ~960 fail with a RecursionError)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVOCATIONS = 1000
PLUGIN = ("-p", "tests.support.hypothesis_chain")

PARAMETRIZED = f"""
import pytest
from hypothesis import given, settings, strategies as st

@pytest.mark.parametrize("i", range({INVOCATIONS}))
@settings(max_examples=1, deadline=None, database=None)
@given(x=st.none())
def test_each(i, x):
    assert x is None
"""


def test_a_property_test_parametrized_a_thousand_times_runs_every_invocation(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_parametrized.py").write_text(PARAMETRIZED)
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *PLUGIN,
            "test_parametrized.py",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert f"{INVOCATIONS} passed" in ran.stdout
