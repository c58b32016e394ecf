"""The `/v1` operations keep to the OpenAPI schema: schemathesis 4, every check, all four phases
(tests/support/schemathesis_run.py says how and what may be refused); and every operation of the
schema is fuzzed by exactly one shard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.schemathesis_run import SHARDS, check_shard, fuzz_app

pytestmark = pytest.mark.slow  # a hundred operations through four phases: a minute and more


def test_every_operation_is_in_one_shard(tmp_path: Path) -> None:
    with fuzz_app(tmp_path / "data") as app:
        paths = TestClient(app).get("/v1/openapi.json").json()["paths"]
    assert len(paths) > 100
    for path in paths:
        assert sum(1 for regex in SHARDS.values() if re.match(regex, path)) == 1, path


def test_the_v1_api_keeps_to_its_schema(tmp_path: Path) -> None:
    check_shard(tmp_path / "data", "v1")
