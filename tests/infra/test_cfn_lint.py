"""cfn-lint on every synthesized template (every stack of every stage, and the account stacks):
no errors, and only the warnings `tests/support/cfn_lint.py` allows, with its reasons (W3005
everywhere, W3010 in the network stack)."""

from __future__ import annotations

import pytest

from tests.support.cdk_synth import KINDS, OPTIONS, PREVIEW, REGION, STAGES, Synthesized
from tests.support.cfn_lint import problems

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


@pytest.mark.slow
@pytest.mark.parametrize("stage", [*STAGES, OPTIONS, PREVIEW, "account"])
def test_templates_pass_cfn_lint(synthesized: Synthesized, stage: str) -> None:
    """Every stack of the stage (network, edge, data, recovery included), of production with
    every option, and the account's."""
    assert set(synthesized.templates[stage]) >= ({"audit"} if stage == "account" else set(KINDS))
    assert problems(synthesized.templates[stage], REGION) == []


def test_the_check_reports_errors_and_unlisted_warnings_template_by_template() -> None:
    """The shared runner (`tests/support/cfn_lint.py`) reports each template's own matches: an
    error and a warning not allowed fail, W3005 is allowed, W3010 only in the network stack, and
    a clean template linted after them has none."""
    broken = {
        "Parameters": {"Unused": {"Type": "String"}},
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "DependsOn": "Topic",  # W3005: the Ref below already implies it
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "email",
                    "Endpoint": "ops@example.com",
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "soon"}},
        },
    }
    zones = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": "10.0.0.0/24",
                    "AvailabilityZone": "us-east-1a",  # W3010
                },
            },
        }
    }
    clean = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    found = problems({"api": broken, "network": zones, "compute": zones, "data": clean}, REGION)
    assert sorted(line.split(" ", 2)[:2] for line in found) == [
        ["api:", "E3012"],
        ["api:", "W2001"],
        ["compute:", "W3010"],
    ]
