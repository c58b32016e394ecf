"""`/v1`'s searches, deployments and their trading, ideas, documents, reports and the owner's
records keep to the OpenAPI schema: schemathesis 4, every check, all four phases
(tests/support/schemathesis_run.py says how and what may be refused, and where `/v1` is cut); and
every operation of the schema is fuzzed by exactly one shard (the rest of `/v1`:
tests/api/test_schemathesis_v1_analyses.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.schemathesis_run import SHARDS, check_shard, fuzz_app

pytestmark = pytest.mark.slow  # sixty operations through four phases: a minute


def test_every_operation_is_in_one_shard(tmp_path: Path) -> None:
    with fuzz_app(tmp_path / "data") as app:
        paths = TestClient(app).get("/v1/openapi.json").json()["paths"]
    assert len(paths) > 100
    for path in paths:
        assert sum(1 for regex in SHARDS.values() if re.match(regex, path)) == 1, path


def test_the_v1_searches_and_deployments_keep_to_their_schema(tmp_path: Path) -> None:
    check_shard(tmp_path / "data", "v1 searches")
