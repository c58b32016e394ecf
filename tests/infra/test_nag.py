"""cdk-nag's AwsSolutions pack over every stack of every stage: nothing left but what the design
accepts, each acknowledgment with its reason (`infra/nag.py`)."""

from __future__ import annotations

import re

import pytest

from tests.support.cdk_synth import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def test_no_finding_is_left_on_any_stack(synthesized: Synthesized) -> None:
    assert synthesized.findings == []


def test_wildcards_are_acknowledged_by_pattern_with_reasons(synthesized: Synthesized) -> None:
    # the grants of the stacks produce wildcard findings, each matched by a listed pattern
    from infra.nag import WILDCARDS  # imported here: it imports the CDK (its node process)

    assert synthesized.acknowledged > 20
    for pattern, reason in WILDCARDS:
        re.compile(pattern)
        assert len(reason) > 30, pattern


def test_an_unlisted_wildcard_is_not_acknowledged() -> None:
    from infra.nag import wildcard_reason

    assert wildcard_reason("Action::s3:*") is None
    assert wildcard_reason("Resource::arn:<AWS::Partition>:s3:::someone-elses-bucket/*") is None
    assert wildcard_reason("Action::kms:GenerateDataKey*") is not None
