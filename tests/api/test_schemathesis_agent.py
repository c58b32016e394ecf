"""The Agent Protocol (`/agent`) and 001's unversioned paths keep to the OpenAPI schema:
schemathesis 4, every check, all four phases (tests/support/schemathesis_run.py says how and what
may be refused). A module of its own so that pytest-xdist runs it beside the `/v1` shard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.schemathesis_run import check_shard

pytestmark = pytest.mark.slow  # fifty operations through four phases


def test_the_agent_protocol_and_001_paths_keep_to_their_schema(tmp_path: Path) -> None:
    check_shard(tmp_path / "data", "agent and 001")
