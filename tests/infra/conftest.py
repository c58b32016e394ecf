"""Synthesis of the CDK app, once per test session (see `tests/support/cdk_synth.py`)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cdk_synth import Synthesized, synthesize


@pytest.fixture(scope="session")
def cdk_workdir() -> Iterator[Path]:
    """A temporary directory for HOME and the cloud assembly."""
    with tempfile.TemporaryDirectory(prefix="stratigos-cdk-", ignore_cleanup_errors=True) as d:
        yield Path(d)


@pytest.fixture(scope="session")
def synthesized(cdk_workdir: Path) -> Synthesized:
    """Every stage of the app, synthesized once per session."""
    return synthesize(cdk_workdir)
