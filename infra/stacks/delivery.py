"""Delivery: what one AWS account of a stage holds for GitHub Actions to deploy it, with no
long-lived key. One account per stage: `preview` (the pull requests' stacks), `staging`, `prod`.

Stack `stratigos-delivery`, deployed once per account by an administrator with plain
CloudFormation (it is synthesized without the CDK bootstrap, which it precedes:
docs/DEPLOY.md, "First deployment"), when the context names the repository and the account's
stage (`-c github_repository=owner/name -c delivery=<preview|staging|prod>`):

- the OIDC provider of `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`);
- the managed policy `stratigos-cfn-execution` (`infra.stacks.execution_policy`), the bootstrap
  execution role's only policy, limited to the account's stage prefix (`PREFIXES`);
- API Gateway's account-wide logging role (`AWS::ApiGateway::Account` of the region), so no
  stage's stack creates or retains one;
- the permissions boundary `stratigos-boundary` (`infra.stacks.execution_policy.BOUNDARY`), which
  every role a stage creates carries (the execution policy refuses a role without it);
- the GitHub roles of the account's stage (`ROLES`), each assumable only by this repository's jobs
  running in one GitHub environment on the ref `infra.github.REFS` names: the token's `sub` is
  `repo:<owner>/<name>:environment:<env>:ref:<ref>`, the repository's OIDC subject template
  being `repo`, `context`, `ref` (docs/DEPLOY.md, "First deployment"); a fork's pull request
  gets no token:
  - preview: `stratigos-preview` (environment `preview`) deploys and destroys the stacks
    `stratigos-pr-*` itself, through CloudFormation with the bootstrap's execution role, and
    nothing else: not the bootstrap's deploy role, no other stack; its permissions boundary
    is the same statements, so nothing attached later widens it;
  - staging: `stratigos-deploy-staging` (environment `staging`) may assume the account's CDK
    bootstrap roles, which deploy, and read its stacks' outputs (the smoke test's addresses);
  - prod: `stratigos-deploy-prod` (environment `production`, which requires a reviewer) the
    same, and `stratigos-plan-prod` (environment `production-plan`) reads the deployed
    templates for `cdk diff` and nothing more (not CDK's lookup role, whose ReadOnlyAccess
    reads the whole account).

A pull request's job can only ever hold the preview role, of the preview account: no role of the
staging or production account trusts its token.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.checkov import skip
from infra.github import MAIN, REFS
from infra.nag import BOOTSTRAP, acknowledge
from infra.stacks.execution_policy import (
    BOUNDARY,
    EXECUTION_POLICY,
    boundary_statements,
    execution_statements,
)

GITHUB_OIDC = "token.actions.githubusercontent.com"
BOOTSTRAP_QUALIFIER = BOOTSTRAP
"""The CDK bootstrap's qualifier (its roles are `cdk-hnb659fds-*-<account>-<region>`)."""
PREFIXES = {"preview": "stratigos-pr-", "staging": "stratigos-staging", "prod": "stratigos-prod"}
"""The account's stage -> the prefix of every stack and resource it deploys."""
ROLES: dict[str, dict[str, str]] = {
    "preview": {"stratigos-preview": "preview"},
    "staging": {"stratigos-deploy-staging": "staging"},
    "prod": {"stratigos-deploy-prod": "production", "stratigos-plan-prod": "production-plan"},
}
"""The account's stage -> its GitHub roles and the environment each trusts."""


class DeliveryStack(Stack):
    """The OIDC provider, execution policy, logging role and GitHub roles of one account (see
    the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: str,
        account_stage: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ValueError(f"github_repository={repository!r} must be owner/name")
        if account_stage not in ROLES:
            raise ValueError(f"delivery={account_stage!r} must be one of {', '.join(ROLES)}")
        self.repository = repository
        self.prefix = PREFIXES[account_stage]
        self.provider = iam.OidcProviderNative(
            self, "GitHub", url=f"https://{GITHUB_OIDC}", client_ids=["sts.amazonaws.com"]
        )
        statements = execution_statements(self.prefix, self.partition, self.account)
        self.execution_policy = iam.CfnManagedPolicy(
            self,
            "ExecutionPolicy",
            managed_policy_name=EXECUTION_POLICY,
            description=f"CDK bootstrap execution role: the {self.prefix}* stacks only",
            policy_document={"Version": "2012-10-17", "Statement": statements},
        )
        self._acknowledge_wildcards(self.execution_policy, statements)
        limits = boundary_statements(self.prefix, self.partition, self.account)
        self.boundary = iam.CfnManagedPolicy(
            self,
            "StageBoundary",
            managed_policy_name=BOUNDARY,
            description=f"Permissions boundary of every {self.prefix}* role",
            policy_document={"Version": "2012-10-17", "Statement": limits},
        )
        self._acknowledge_wildcards(self.boundary, limits)
        for check in ("CKV_AWS_107", "CKV_AWS_109", "CKV_AWS_111"):
            skip(
                self.execution_policy,
                check,
                "CloudFormation's execution policy: it creates and deletes the stage's "
                "resources, whose ids (API Gateway, CloudFront, Cognito) it cannot know before; "
                "IAM only on the stage's roles, under the boundary, never users or keys",
            )
        for check in ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111"):
            skip(
                self.boundary,
                check,
                "a permissions boundary grants nothing: it is the most a stage's role may ever "
                "do (the services the stage calls, no IAM but passing its own roles)",
            )
        self._api_gateway_logging()
        self.roles: dict[str, iam.Role] = {}
        for name, environment in ROLES[account_stage].items():
            self.roles[name] = self._role(name, environment)
        if account_stage == "preview":
            self._preview(self.roles["stratigos-preview"])
        for name, role in self.roles.items():
            if name.startswith("stratigos-deploy-"):
                role.add_to_policy(
                    iam.PolicyStatement(
                        sid="AssumeCdkBootstrapRoles",
                        actions=["sts:AssumeRole"],
                        resources=[self.bootstrap_role("*")],
                    )
                )
                role.add_to_policy(  # the smoke test's addresses, the commit to roll back to
                    iam.PolicyStatement(
                        sid="ReadStageOutputs",
                        actions=["cloudformation:DescribeStacks"],
                        resources=[self.stacks_arn()],
                    )
                )
            elif name.startswith("stratigos-plan-"):
                self._plan(role)

    def _acknowledge_wildcards(
        self, policy: iam.CfnManagedPolicy, statements: list[dict[str, Any]]
    ) -> None:
        """Acknowledge each wildcard of the allowing statements of the execution policy or of
        the boundary (cdk-nag's IAM5): what CloudFormation creates and deletes for a stage is a
        service's whole set of actions, on resources named after the stage's prefix where the
        service names them; the boundary is the ceiling of the stage's roles, the services
        they call (tests/infra/test_delivery.py checks both policies' shape)."""
        account = "<AWS::AccountId>" if Token.is_unresolved(self.account) else self.account
        for statement in statements:
            if statement["Effect"] != "Allow":
                continue
            for key, kind in (("Action", "Action"), ("Resource", "Resource")):
                values = statement[key] if isinstance(statement[key], list) else [statement[key]]
                for value in values:
                    if "*" not in value:
                        continue
                    shown = value.replace(self.partition, "<AWS::Partition>")
                    shown = shown.replace(self.account, account)
                    acknowledge(
                        policy,
                        f"IAM5[{kind}::{shown}]",
                        "the CloudFormation execution policy or the stage's permissions "
                        "boundary: a service's actions on the stage's resources (by prefix "
                        "where the service names them), never IAM beyond the stage's roles "
                        "(infra.stacks.execution_policy)",
                    )

    def _role(self, name: str, environment: str) -> iam.Role:
        """The role `name`, assumable by this repository's jobs in `environment` only, on the
        ref `REFS` names for it."""
        ref = REFS.get(environment, MAIN)
        subject = f"repo:{self.repository}:environment:{environment}:ref:{ref}"
        match = "StringLike" if "*" in ref else "StringEquals"
        conditions: dict[str, Any] = {"StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"}}
        conditions.setdefault(match, {})[f"{GITHUB_OIDC}:sub"] = subject
        return iam.Role(
            self,
            "".join(part.title() for part in name.split("-")),
            role_name=name,
            description=f"GitHub Actions of {self.repository} (environment {environment})",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                self.provider.oidc_provider_arn, conditions=conditions
            ),
        )

    def bootstrap_role(self, kind: str) -> str:
        """The ARN (pattern) of the CDK bootstrap role `kind` of this account, any region."""
        return self.format_arn(
            service="iam", region="", resource="role", resource_name=f"cdk-{BOOTSTRAP}-{kind}"
        )

    def _preview(self, role: iam.Role) -> None:
        """The preview role's own rights (see the module docstring), as its policy and as its
        permissions boundary."""
        statements = preview_statements(self)
        boundary = iam.ManagedPolicy(
            self,
            "PreviewBoundary",
            managed_policy_name="stratigos-preview-boundary",
            description="The most stratigos-preview may ever do: the stratigos-pr-* stacks",
            statements=statements,
        )
        iam.PermissionsBoundary.of(role).apply(boundary)
        for statement in statements:
            role.add_to_policy(statement)

    def _plan(self, role: iam.Role) -> None:
        """`cdk diff` against the deployed stacks: read their templates and the bootstrap's
        version, change nothing (no lookup role: the CLI reads with these credentials)."""
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadDeployedTemplates",
                actions=["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
                resources=[self.stacks_arn()],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="BootstrapVersion",
                actions=["ssm:GetParameter"],
                resources=[self.bootstrap_version_arn()],
            )
        )

    def stacks_arn(self) -> str:
        """The ARN pattern of the account's stage stacks, any region."""
        return self.format_arn(
            service="cloudformation",
            region="*",
            resource="stack",
            resource_name=f"{self.prefix}*/*",
        )

    def bootstrap_version_arn(self) -> str:
        """The ARN pattern of the bootstrap's version parameter, any region."""
        return self.format_arn(
            service="ssm",
            region="*",
            resource="parameter",
            resource_name=f"cdk-bootstrap/{BOOTSTRAP}/version",
        )

    def _api_gateway_logging(self) -> None:
        """API Gateway's logging role for the account and region (`AWS::ApiGateway::Account`)."""
        role = iam.Role(
            self,
            "ApiGatewayLogging",
            role_name="stratigos-apigateway-logging",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        acknowledge(
            role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account role for its logs: AWS's managed policy is the documented one",
        )
        apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)


def preview_statements(stack: DeliveryStack) -> list[iam.PolicyStatement]:
    """What `stratigos-preview` may do: CloudFormation on `stratigos-pr-*` stacks with the
    bootstrap's execution role, the bootstrap's assets and version; nothing else."""
    account = stack.account
    assets = f"arn:{stack.partition}:s3:::cdk-{BOOTSTRAP}-assets-{account}-*"
    repository = stack.format_arn(
        service="ecr",
        region="*",
        resource="repository",
        resource_name=f"cdk-{BOOTSTRAP}-container-assets-{account}-*",
    )
    return [
        iam.PolicyStatement(
            sid="PullRequestStacks",
            actions=[
                "cloudformation:CreateChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:DescribeStackResources",
                "cloudformation:ListStackResources",
                "cloudformation:GetTemplate",
                "cloudformation:GetTemplateSummary",
                "cloudformation:DeleteStack",
            ],
            resources=[stack.stacks_arn()],
        ),
        iam.PolicyStatement(
            sid="PassExecutionRole",
            actions=["iam:PassRole"],
            resources=[stack.bootstrap_role("cfn-exec-role-*")],
            conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="BootstrapVersion",
            actions=["ssm:GetParameter"],
            resources=[stack.bootstrap_version_arn()],
        ),
        iam.PolicyStatement(
            sid="PublishFileAssets",
            actions=[
                "s3:GetObject",
                "s3:PutObject",
                "s3:GetBucketLocation",
                "s3:GetEncryptionConfiguration",
                "s3:ListBucket",
            ],
            resources=[assets, f"{assets}/*"],
        ),
        iam.PolicyStatement(
            sid="PublishImageAssets",
            actions=[
                "ecr:BatchCheckLayerAvailability",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:DescribeRepositories",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            resources=[repository],
        ),
        iam.PolicyStatement(
            sid="RegistryLogin",
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],  # takes no resource
        ),
    ]
