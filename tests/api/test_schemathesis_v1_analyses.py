"""`/v1`'s portfolios, market data and one-shot analyses, and its conversations, profile and
memories, keep to the OpenAPI schema: schemathesis 4, every check, all four phases
(tests/support/schemathesis_run.py says how and what may be refused, and where `/v1` is cut). A
module of its own so that pytest-xdist runs it beside the rest of `/v1`
(tests/api/test_schemathesis.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.schemathesis_run import check_shard

pytestmark = pytest.mark.slow  # forty operations through four phases: a minute


def test_the_v1_portfolios_and_analyses_keep_to_their_schema(tmp_path: Path) -> None:
    check_shard(tmp_path / "data", "v1 analyses")
