"""The architecture picture in docs/DEPLOY.md is the one the app draws (`infra/diagram.py`)."""

from __future__ import annotations

import pytest

from infra.diagram import block, current_block, edges, nodes
from tests.support.cdk_synth import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def test_the_picture_in_the_deployment_guide_is_the_apps(synthesized: Synthesized) -> None:
    prod = synthesized.templates["prod"]
    assert current_block() == block(prod), "run `python -m infra.diagram` and commit"


def test_the_picture_shows_the_flows_the_templates_hold(synthesized: Synthesized) -> None:
    prod = synthesized.templates["prod"]
    shown = nodes(prod)
    by_label = {label: logical_id for logical_id, (_, _, label) in shown.items()}
    flows = {(shown[a][2], shown[b][2]) for a, b in edges(prod)}
    assert ("jobs", "worker") in flows  # the job queue feeds the worker
    assert ("market data bucket", "ingest-market-data") in flows  # its events, the rule
    assert ("ingest-market-data", "ingest") in flows
    assert ("CloudFront", "web bucket") in flows and ("CloudFront", "api") in flows
    assert ("api", "store") in flows and ("worker", "market data bucket") in flows
    # the cleanup's purge: deleted documents' originals, deleted chat threads' checkpoints; and
    # the research index's old versions
    assert ("cleanup", "documents bucket") in flows and ("cleanup", "checkpoints") in flows
    assert ("cleanup", "research index bucket") in flows
    assert ("worker", "documents bucket") not in flows  # the documents are the API's
    assert ("ws", "checkpoints") not in flows
    assert "vpc" in by_label and "plan" in by_label
