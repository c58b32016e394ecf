"""Delivery no pull request can turn against production: one account per stage, the roles each
account's delivery stack holds and whom they trust, the bootstrap's execution policy, and the
workflows that use them (prod only after CI and a diff of the same commit, and a reviewer)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.github import MAIN, OIDC_SUBJECT_CLAIMS, REFS
from infra.pins import check, unpinned_actions
from infra.stacks.execution_policy import (
    BOUNDARY,
    BOUNDARY_SERVICES,
    MANAGED_POLICIES,
    PROTECTED_ROLES,
    SERVICE_ACTIONS,
)
from tests.support.cdk_synth import (
    ACCOUNT,
    PREVIEW,
    REPOSITORY,
    STAGES,
    Synthesized,
    isolated_cdk_environment,
)
from tests.support.cfn_templates import as_list, one, render, resources
from tests.support.iam_eval import Request, allowed

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
OIDC = "token.actions.githubusercontent.com"
PREFIXES = {"preview": "stratigos-pr-", "staging": "stratigos-staging", "prod": "stratigos-prod"}


@pytest.fixture(scope="module")
def accounts(synthesized: Synthesized, cdk_workdir: Path) -> dict[str, dict[str, Any]]:
    """The delivery stack of each account (production's from the session's app; the preview
    and staging accounts' synthesized here), by the account's stage, with cdk-nag's findings on
    the two."""
    workdir = cdk_workdir / "accounts"
    with isolated_cdk_environment(workdir):
        from aws_cdk import App, BootstraplessSynthesizer, Environment

        from infra.nag import acknowledge_wildcards, findings
        from infra.stacks.delivery import DeliveryStack

        app = App(outdir=str(workdir / "cdk.out"))
        for stage in ("preview", "staging"):
            DeliveryStack(
                app,
                f"delivery-{stage}",
                repository=REPOSITORY,
                account_stage=stage,
                env=Environment(account=ACCOUNT, region="us-east-1"),
                synthesizer=BootstraplessSynthesizer(),
            )
        app.synth()
        acknowledge_wildcards(app)
        found = findings(app)
    templates = {
        stage: json.loads((workdir / "cdk.out" / f"delivery-{stage}.template.json").read_text())
        for stage in ("preview", "staging")
    }
    return templates | {"prod": synthesized.templates["account"]["delivery"], "findings": found}


def roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["RoleName"]: r for r in resources(template, "AWS::IAM::Role").values()}


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_cdk_nag_accepts_every_account_s_delivery(accounts: dict[str, Any]) -> None:
    assert accounts["findings"] == []


def test_each_account_s_roles_trust_one_environment_of_this_repository_exactly(
    accounts: dict[str, Any],
) -> None:
    expected = {
        "preview": {"stratigos-preview": "preview"},
        "staging": {"stratigos-deploy-staging": "staging"},
        "prod": {"stratigos-deploy-prod": "production", "stratigos-plan-prod": "production-plan"},
    }
    for stage, github in expected.items():
        found = roles(accounts[stage])
        assert set(found) == {*github, "stratigos-apigateway-logging"}
        for name, environment in github.items():
            (statement,) = found[name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
            subject = f"repo:{REPOSITORY}:environment:{environment}"
            if environment == "preview":  # a pull request's merge ref, of this repository
                assert statement["Condition"] == {
                    "StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{OIDC}:sub": f"{subject}:ref:refs/pull/*/merge"},
                }
            else:  # exact: main only, no wildcard
                assert statement["Condition"] == {
                    "StringEquals": {
                        f"{OIDC}:aud": "sts.amazonaws.com",
                        f"{OIDC}:sub": f"{subject}:ref:refs/heads/main",
                    }
                }
            assert "Federated" in statement["Principal"]  # GitHub's OIDC provider
            trust = [{k: v for k, v in render(statement).items() if k != "Principal"}]
            for ref, trusted in (
                ("refs/heads/main", environment != "preview"),
                ("refs/heads/feature", False),
                ("refs/pull/12/merge", environment == "preview"),
                ("refs/tags/v1", False),
            ):
                token = {f"{OIDC}:aud": "sts.amazonaws.com", f"{OIDC}:sub": f"{subject}:ref:{ref}"}
                request = Request("sts:AssumeRoleWithWebIdentity", context=token)
                assert allowed(trust, request) is trusted, (name, ref)
            other = {
                f"{OIDC}:aud": "sts.amazonaws.com",
                f"{OIDC}:sub": f"repo:{REPOSITORY}:ref:refs/heads/main",
            }
            assert not allowed(trust, Request("sts:AssumeRoleWithWebIdentity", context=other))


def test_the_preview_role_can_only_touch_pull_request_stacks(accounts: dict[str, Any]) -> None:
    template = accounts["preview"]
    role_id, role = next(
        (k, v)
        for k, v in resources(template, "AWS::IAM::Role").items()
        if v["Properties"]["RoleName"] == "stratigos-preview"
    )
    statements = role_statements(template, role_id)
    boundary = one(
        template, "AWS::IAM::ManagedPolicy", ManagedPolicyName="stratigos-preview-boundary"
    )
    assert role["Properties"]["PermissionsBoundary"]["Ref"]  # the boundary below
    assert boundary["PolicyDocument"]["Statement"] == statements  # nothing attached widens it
    text = json.dumps(render(statements))
    assert "staging" not in text and "prod" not in text
    for statement in statements:
        actions = as_list(statement["Action"])
        assert "sts:AssumeRole" not in actions  # not the bootstrap's deploy role: its own rights
        if any(a.startswith("cloudformation:") for a in actions):
            assert render(statement["Resource"]) == (
                f"arn:aws:cloudformation:*:{ACCOUNT}:stack/stratigos-pr-*/*"
            )
        if "iam:PassRole" in actions:
            assert render(statement["Resource"]) == (
                f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-*"
            )
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
            }
    assert all(
        not a.startswith("iam:") or a == "iam:PassRole"
        for s in statements
        for a in as_list(s["Action"])
    )


def test_the_plan_role_only_reads(accounts: dict[str, Any]) -> None:
    template = accounts["prod"]
    role_id = next(
        k
        for k, v in resources(template, "AWS::IAM::Role").items()
        if v["Properties"]["RoleName"] == "stratigos-plan-prod"
    )
    actions = {a for s in role_statements(template, role_id) for a in as_list(s["Action"])}
    # no role to assume: CDK's lookup role holds ReadOnlyAccess over the whole account
    assert actions == {
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
        "ssm:GetParameter",
    }


def execution_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = one(template, "AWS::IAM::ManagedPolicy", ManagedPolicyName="stratigos-cfn-execution")
    return [render(s) for s in policy["PolicyDocument"]["Statement"]]


@pytest.mark.parametrize("stage", ["preview", "staging", "prod"])
def test_the_execution_policy_is_not_administrator_access(
    accounts: dict[str, Any], stage: str
) -> None:
    statements = execution_policy(accounts[stage])
    prefix = PREFIXES[stage]
    for statement in statements:
        actions = as_list(statement["Action"])
        assert statement["Effect"] == "Deny" or ("*" not in actions and "iam:*" not in actions)
        if statement["Effect"] == "Allow":
            for action in actions:
                if action.startswith("iam:") and action != "iam:CreateServiceLinkedRole":
                    for resource in as_list(statement["Resource"]):
                        assert re.fullmatch(
                            rf"arn:aws:iam::{ACCOUNT}:(role|policy)/{re.escape(prefix)}\*", resource
                        ), (action, resource)
    denied = {r for s in statements if s["Effect"] == "Deny" for r in as_list(s["Resource"])}
    for role in PROTECTED_ROLES:
        assert f"arn:aws:iam::{ACCOUNT}:role/{role}" in denied
    assert f"arn:aws:iam::{ACCOUNT}:oidc-provider/*" in denied
    assert f"arn:aws:iam::{ACCOUNT}:policy/stratigos-cfn-execution*" in denied
    users = next(s for s in statements if s.get("Sid") == "NoUsersOrKeys")
    assert "iam:CreateAccessKey" in users["Action"] and users["Effect"] == "Deny"


def test_the_execution_policy_covers_every_resource_the_stages_create(
    synthesized: Synthesized,
) -> None:
    types = {
        resource["Type"]
        for stage in (*STAGES, PREVIEW, "options")
        for template in synthesized.templates[stage].values()
        for resource in template["Resources"].values()
    }
    uncovered = {
        t
        for t in types
        if not t.startswith("AWS::IAM::")
        and t != "AWS::CDK::Metadata"
        and not any(t.startswith(prefix) for prefix in SERVICE_ACTIONS)
    }
    assert uncovered == set()


# -- workflows -----------------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads `on` as True
    return loaded


def steps_text(job: dict[str, Any]) -> str:
    return json.dumps(job["steps"])


def test_every_action_is_pinned_by_commit() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "uses:" in text
        assert unpinned_actions(text) == [], path.name
        for sha in re.findall(r"@([0-9a-f]+) # v\d", text):
            assert len(sha) == 40
    assert check() == []  # and every image base by digest (tests/infra/test_images.py)


def test_no_pull_request_job_can_reach_staging_or_production() -> None:
    for name in ("ci.yml", "preview.yml"):
        flow = workflow(name)
        assert "pull_request" in flow["on"] and "pull_request_target" not in flow["on"]
        assert "id-token" not in flow.get("permissions", {})
        text = (WORKFLOWS / name).read_text()
        assert "stratigos-deploy" not in text and "stratigos-plan" not in text
        for job_name, job in flow["jobs"].items():
            granted = job.get("permissions", {})
            if granted.get("id-token") == "write":
                assert (name, job_name, job["environment"]) == ("preview.yml", "preview", "preview")
                assert "role/stratigos-preview" in steps_text(job)


def test_production_deploys_only_a_commit_ci_passed_after_its_diff_and_a_reviewer() -> None:
    flow = workflow("deploy.yml")
    assert flow["on"] == {
        "workflow_run": {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}
    }
    assert flow["permissions"] == {"contents": "read"}
    assert flow["env"]["SHA"] == "${{ github.event.workflow_run.head_sha }}"
    jobs = flow["jobs"]
    gate = jobs["staging"]["if"]
    for condition in (
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'push'",
        "github.event.workflow_run.head_repository.full_name == github.repository",
    ):
        assert condition in gate
    assert jobs["production-plan"]["needs"] == "staging"
    assert jobs["production"]["needs"] == "production-plan"
    roles = {
        "staging": ("staging", "stratigos-deploy-staging"),
        "production-plan": ("production-plan", "stratigos-plan-prod"),
        "production": ("production", "stratigos-deploy-prod"),
    }
    for job_name, (environment, role) in roles.items():
        job = jobs[job_name]
        assert job["environment"] == environment
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        checkout = next(s for s in job["steps"] if "actions/checkout" in s.get("uses", ""))
        assert checkout["with"]["ref"] == "${{ env.SHA }}"  # the commit CI passed, and no other
        assert f"role/{role}" in steps_text(job)
        assert "vars.AWS_ACCOUNT_ID" in steps_text(job)  # each environment names its account
    plan = steps_text(jobs["production-plan"])
    assert "make cdk-diff STAGE=prod" in plan and "GITHUB_STEP_SUMMARY" in plan
    production = steps_text(jobs["production"])
    assert 'sha256sum --check --strict \\"$RUNNER_TEMP/plan.sha256\\"' in production  # as diffed
    assert production.index("plan.sha256") < production.index("make cdk-deploy STAGE=prod")
    for job_name in ("staging", "production"):
        steps = [s.get("name", "") for s in jobs[job_name]["steps"]]
        assert (
            steps.index("deploy")
            < steps.index("smoke test")
            < steps.index("roll back to the previous commit")
        )
        rollback = jobs[job_name]["steps"][-1]
        assert rollback["if"] == "failure() && steps.previous.outputs.sha != ''"
        assert "make pins-check" in steps_text(jobs[job_name])


def test_pull_requests_get_production_s_template_diff_without_credentials() -> None:
    flow = workflow("ci.yml")
    diff = flow["jobs"]["diff"]
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert diff["permissions"] == {"contents": "read", "pull-requests": "write"}
    text = steps_text(diff)
    assert "STAND_INS=1" in text and "infra.template_diff --stage prod" in text
    assert "gh pr comment" in text and "configure-aws-credentials" not in text
    assert "make cdk-synth STAGE=prod STAND_INS=1" in steps_text(flow["jobs"]["synth"])


ROLE_WRITES = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
"""What writes a role's permissions: allowed only with the boundary in place."""


@pytest.mark.parametrize("stage", ["preview", "staging", "prod"])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    action=st.sampled_from(ROLE_WRITES),
    boundary=st.sampled_from(["ours", "none", "another"]),
    inside=st.booleans(),
)
def test_a_stage_can_only_create_and_change_roles_under_the_boundary(
    accounts: dict[str, Any], stage: str, suffix: str, action: str, boundary: str, inside: bool
) -> None:
    """A pull request's template (or any stage's) cannot make a role beyond the boundary: every
    write of a role's permissions needs the boundary `stratigos-boundary` on it, on the stage's
    roles only."""
    statements = execution_policy(accounts[stage])
    ours = f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY}"
    context = {
        "ours": {"iam:PermissionsBoundary": ours},
        "none": {},
        "another": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/other-{suffix}"},
    }[boundary]
    name = f"{PREFIXES[stage]}{suffix}" if inside else f"outside-{suffix}"
    request = Request(action, f"arn:aws:iam::{ACCOUNT}:role/{name}", context)
    assert allowed(statements, request) is (inside and boundary == "ours")


@pytest.mark.parametrize("stage", ["preview", "staging", "prod"])
def test_nobody_removes_or_edits_the_boundary(accounts: dict[str, Any], stage: str) -> None:
    statements = execution_policy(accounts[stage])
    prefix = PREFIXES[stage]
    role = f"arn:aws:iam::{ACCOUNT}:role/{prefix}worker"
    ours = f"arn:aws:iam::{ACCOUNT}:policy/{BOUNDARY}"
    bounded = {"iam:PermissionsBoundary": ours}
    assert not allowed(statements, Request("iam:DeleteRolePermissionsBoundary", role, bounded))
    managed = f"arn:aws:iam::aws:policy/{MANAGED_POLICIES[0]}"
    attach = {"iam:PolicyARN": managed}
    assert allowed(statements, Request("iam:AttachRolePolicy", role, attach | bounded))
    assert not allowed(statements, Request("iam:AttachRolePolicy", role, attach))
    administrator = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert not allowed(statements, Request("iam:AttachRolePolicy", role, administrator | bounded))
    for action in (
        "iam:CreatePolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
    ):
        assert not allowed(statements, Request(action, ours)), action
    for protected in (*PROTECTED_ROLES, "cdk-hnb659fds-cfn-exec-role-1-us-east-1"):
        target = f"arn:aws:iam::{ACCOUNT}:role/{protected.rstrip('*')}x"
        assert not allowed(statements, Request("iam:PutRolePolicy", target, bounded)), protected
    # the boundary itself is the delivery stack's, with the same statements in every account
    policy = one(accounts[stage], "AWS::IAM::ManagedPolicy", ManagedPolicyName=BOUNDARY)
    limits = [render(s) for s in policy["PolicyDocument"]["Statement"]]
    assert not allowed(limits, Request("iam:CreateRole", role))
    assert not allowed(limits, Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/x"))
    assert allowed(limits, Request("iam:PassRole", role))
    assert not allowed(limits, Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin"))
    for service in BOUNDARY_SERVICES:
        assert allowed(limits, Request(f"{service}:AnyAction")), service


@pytest.mark.parametrize("stage", ["preview", "staging", "prod"])
def test_the_execution_policy_has_no_s3_kms_ssm_or_ec2_wildcard_on_everything(
    accounts: dict[str, Any], stage: str
) -> None:
    statements = execution_policy(accounts[stage])
    prefix = PREFIXES[stage]
    read_only = {"kms:ListAliases", "kms:ListKeys", "ec2:Describe*"}
    for statement in statements:
        if statement["Effect"] != "Allow" or "*" not in as_list(statement["Resource"]):
            continue
        for action in as_list(statement["Action"]):
            service = action.split(":")[0]
            if service in ("s3", "kms", "ssm", "ec2") and action not in read_only:
                # creating a key is allowed on * only with the app's tag in the request
                assert action in ("kms:CreateKey", "kms:TagResource"), action
                assert statement["Condition"] == {
                    "StringEquals": {"aws:RequestTag/project": "stratigos"}
                }
    bucket = f"arn:aws:s3:::{prefix}foundation-resultsbucket-abc"
    assert allowed(statements, Request("s3:PutBucketPolicy", bucket))
    assert not allowed(statements, Request("s3:PutBucketPolicy", "arn:aws:s3:::someone-else"))
    assert not allowed(statements, Request("s3:GetObject", "arn:aws:s3:::someone-else/key"))
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"
    ours = {"aws:ResourceTag/project": "stratigos"}
    assert allowed(statements, Request("kms:ScheduleKeyDeletion", key, ours))
    assert not allowed(statements, Request("kms:ScheduleKeyDeletion", key, {}))
    assert not allowed(statements, Request("kms:CreateKey", "*", {}))
    parameter = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{prefix}x/replica-key-arn"
    assert allowed(statements, Request("ssm:PutParameter", parameter))
    other = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/database/password"
    assert not allowed(statements, Request("ssm:GetParameter", other))
    assert not allowed(
        statements, Request("ec2:CreateVpc", "arn:aws:ec2:us-east-1:999999999999:vpc/x")
    )
    assert allowed(statements, Request("ec2:CreateVpc", f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/*"))


def test_the_guide_sets_the_subject_template_the_roles_trust() -> None:
    """The roles name the ref in the token's `sub`, which GitHub writes only once the
    repository's subject template includes it: the guide's command sets the claims the stack
    expects, and the workflows run where the roles' refs say (a pull request's merge ref for
    preview, main for the deploy workflow's jobs)."""
    text = (ROOT / "docs" / "DEPLOY.md").read_text()
    found = re.search(r'"include_claim_keys": (\[[^\]]*\])', text)
    assert found and json.loads(found.group(1)) == list(OIDC_SUBJECT_CLAIMS)
    assert set(workflow("preview.yml")["on"]) == {"pull_request"}
    assert REFS == {"preview": "refs/pull/*/merge"} and MAIN == "refs/heads/main"
    deploy = workflow("deploy.yml")["on"]
    assert set(deploy) == {"workflow_run"} and deploy["workflow_run"]["branches"] == ["main"]
