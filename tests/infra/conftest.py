"""The synthesized CDK apps the infra tests read, each synthesized once per test session (on
one pytest-xdist worker: the modules reading them form the `cdk` group, see
`tests/support/scheduling.py`); how they are made: `tests/support/cdk_synth.py`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cdk_synth import (
    API_FAILOVER,
    REPLICA_FAILOVER,
    Synthesized,
    synthesize,
    synthesize_production,
)


@pytest.fixture(scope="session")
def cdk_workdir() -> Iterator[Path]:
    """A temporary directory for HOME and the cloud assemblies."""
    with tempfile.TemporaryDirectory(prefix="stratigos-cdk-", ignore_cleanup_errors=True) as d:
        yield Path(d)


@pytest.fixture(scope="session")
def synthesized(cdk_workdir: Path) -> Synthesized:
    """Every stage of the app (and the `OPTIONS` and `PREVIEW` instances), in one app."""
    return synthesize(cdk_workdir)


@pytest.fixture(scope="session")
def failover_primary(cdk_workdir: Path) -> dict[str, Any]:
    """Production with the API's failover name (`API_FAILOVER`), synthesized on its own."""
    return synthesize_production(cdk_workdir / "failover-primary", API_FAILOVER)


@pytest.fixture(scope="session")
def failover_standby(cdk_workdir: Path) -> dict[str, Any]:
    """The standby of `failover_primary` (its failover deployment), synthesized on its own."""
    return synthesize_production(
        cdk_workdir / "failover-standby", {**API_FAILOVER, "failover": "true"}
    )


@pytest.fixture(scope="session")
def replica_failover(cdk_workdir: Path) -> dict[str, Any]:
    """Production failed over onto its replicas (`REPLICA_FAILOVER`), synthesized on its own."""
    return synthesize_production(cdk_workdir / "replica-failover", REPLICA_FAILOVER)
