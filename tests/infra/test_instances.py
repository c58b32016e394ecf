"""Two deployments of one stage side by side share no physical name: a pull request's instance
beside the dev stage (`tests.support.cdk_synth.PREVIEW`), and the fully optioned production instance
beside production (`OPTIONS`). A name two stacks both create (a table, a log group, an SES
identity) fails the second deployment with "already exists", and a name one deletes with itself
breaks the other; so every name an account (or the world, for buckets) holds once is derived
from the instance's own name, and the SES identity is created by the stage and shared by its
instances (`StageConfig.email_identity`)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import stage_config
from tests.support.cdk_synth import ACCOUNT, OPTIONS, PREVIEW, REGION, Synthesized
from tests.support.cfn_templates import as_list, identity_policies, render, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

NESTED_NAMES = {
    "AWS::Backup::BackupPlan": ("BackupPlan", "BackupPlanName"),
    "AWS::Backup::BackupSelection": ("BackupSelection", "SelectionName"),
    "AWS::Budgets::Budget": ("Budget", "BudgetName"),
    "AWS::CloudFront::CachePolicy": ("CachePolicyConfig", "Name"),
    "AWS::CloudFront::OriginAccessControl": ("OriginAccessControlConfig", "Name"),
}
"""Resources whose physical name sits one level down: (property, name)."""
NOT_PHYSICAL = {
    ("AWS::ApiGateway::Stage", "StageName"),  # a path segment within its own API
    ("AWS::ApiGatewayV2::Stage", "StageName"),
    ("AWS::ApiGateway::Deployment", "StageName"),
    ("AWS::Lambda::Alias", "Name"),  # `live`, an alias within its own function
    ("AWS::IAM::Policy", "PolicyName"),  # attached to its own role(s), never looked up by name
    ("AWS::CloudWatch::Alarm", "MetricName"),  # the metric watched (its namespace is checked)
    ("AWS::Budgets::Budget", "BudgetName"),  # checked through NESTED_NAMES
    ("AWS::Cognito::UserPoolClient", "ClientName"),  # within its own user pool
    ("AWS::ApiGateway::Authorizer", "Name"),  # within its own API
    ("AWS::ApiGatewayV2::Route", "RouteKey"),
    ("AWS::EC2::VPCEndpoint", "ServiceName"),  # the AWS service reached
    ("AWS::CodeDeploy::DeploymentGroup", "DeploymentConfigName"),  # one of AWS's configs
}
"""Properties ending in `Name` that name something inside another resource, not in the account."""


def physical_names(templates: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """Every physical name the deployment's templates give, as (resource type, name):
    top-level properties ending in `Name` (but `NOT_PHYSICAL`), the nested ones of
    `NESTED_NAMES`, SES e-mail identities, and CloudWatch namespaces the alarms and metric
    filters publish to or read (other than AWS's own). A name that refers to another resource
    (`Ref`, `Fn::GetAtt`) is that resource's, counted where it is given."""
    found: set[tuple[str, str]] = set()
    for template in templates.values():
        for resource in template["Resources"].values():
            kind, props = resource["Type"], resource.get("Properties", {})
            named = {k: v for k, v in props.items() if k.endswith("Name") or k == "Name"}
            if kind in NESTED_NAMES:
                outer, inner = NESTED_NAMES[kind]
                named[inner] = props[outer][inner]
            if kind == "AWS::SES::EmailIdentity":
                named["EmailIdentity"] = props["EmailIdentity"]
            for transform in props.get("MetricTransformations", []):
                named["MetricNamespace"] = transform["MetricNamespace"]
            if kind == "AWS::CloudWatch::Alarm" and not props.get("Namespace", "AWS/").startswith(
                "AWS/"
            ):
                named["Namespace"] = props["Namespace"]
            for key, value in named.items():
                if (kind, key) in NOT_PHYSICAL:
                    continue
                rendered = render(value)
                if isinstance(rendered, str):  # else a reference to a name given elsewhere
                    found.add((kind, rendered))
    return found


@pytest.mark.parametrize(("stage", "instance"), [("dev", PREVIEW), ("prod", OPTIONS)])
def test_two_instances_of_a_stage_share_no_physical_name(
    synthesized: Synthesized, stage: str, instance: str
) -> None:
    ours = physical_names(synthesized.templates[stage])
    theirs = physical_names(synthesized.templates[instance])
    shared = {name for _, name in ours} & {name for _, name in theirs}
    assert shared == set(), f"{instance} and {stage} both name {sorted(shared)}"
    kinds = {kind for kind, _ in theirs}
    # not vacuous: the names an account holds once are there, each the instance's own
    assert kinds & {"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"}
    for kind in (
        "AWS::SQS::Queue",
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Logs::LogGroup",
        "AWS::KMS::Alias",
        "AWS::SecretsManager::Secret",
        "AWS::Cognito::UserPool",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::Events::Rule",
        "AWS::CloudWatch::Alarm",
        "AWS::Logs::MetricFilter",
    ):
        assert kind in kinds, kind
    for kind, name in theirs:
        if kind == "AWS::Logs::LogGroup":  # its own, or its web ACLs' (WAF names those)
            own = (f"/stratigos/{instance}/", f"aws-waf-logs-stratigos-{instance}-")
            assert name.startswith(own), name
        elif kind in ("AWS::CloudWatch::Alarm", "AWS::Logs::MetricFilter") and "/" in name:
            assert name == f"Stratigos/{instance}", name  # the namespace of its own metrics


def test_an_instance_sends_from_its_stage_s_ses_identity_without_creating_it(
    synthesized: Synthesized,
) -> None:
    sender = synthesized.stages["prod"].config.notifications_email_from
    assert sender and synthesized.stages[OPTIONS].config.notifications_email_from == sender
    [identity] = resources(
        synthesized.templates["prod"]["compute"], "AWS::SES::EmailIdentity"
    ).values()
    assert identity["Properties"]["EmailIdentity"] == sender  # the stage creates it
    instance = synthesized.templates[OPTIONS]["compute"]
    assert resources(instance, "AWS::SES::EmailIdentity") == {}
    sends = [
        stmt
        for policy in identity_policies(instance).values()
        for stmt in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(action.startswith("ses:") for action in as_list(stmt["Action"]))
    ]
    [stmt] = sends
    assert sorted(as_list(stmt["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert render(stmt["Resource"]) == f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{sender}"
    # an instance that asks for its own identity (its own sender address) creates it
    config = stage_config(
        "dev",
        {"instance": PREVIEW, "email_identity": "create", "notifications_email_from": "a@b.io"},
    )
    assert config.creates_email_identity
    assert not stage_config("dev", {"instance": PREVIEW}).creates_email_identity
    assert stage_config("prod", {"notifications_email_from": "a@b.io"}).creates_email_identity
    assert not stage_config("prod").creates_email_identity  # no sender, no identity
    with pytest.raises(ValueError, match="email_identity"):
        stage_config("dev", {"email_identity": "mine"})
