"""Delivery: the roles GitHub Actions deploys with, through OIDC (no long-lived keys); one per
account, when the context names the repository (`-c github_repository=owner/name`).

- The OIDC provider of `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`).
- Role `stratigos-deploy`: assumable only by this repository's jobs running in its `staging` or
  `production` environment (`.github/workflows/deploy.yml`, which requires reviewers where the
  environments say); role `stratigos-preview`: only by its jobs in the `preview` environment
  (`.github/workflows/preview.yml`, per pull request). Each may only assume the CDK bootstrap
  roles of the account (`cdk-<qualifier>-*`), which do the deploying; nothing else.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import BOOTSTRAP

GITHUB_OIDC = "token.actions.githubusercontent.com"
BOOTSTRAP_QUALIFIER = BOOTSTRAP
"""The CDK bootstrap's qualifier (its roles are `cdk-hnb659fds-*-<account>-<region>`)."""
ENVIRONMENTS = {"deploy": ("staging", "production"), "preview": ("preview",)}
"""Role name suffix -> the GitHub environments whose jobs may assume it."""


class DeliveryStack(Stack):
    """The GitHub OIDC provider and the deploy and preview roles (see the module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, repository: str, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ValueError(f"github_repository={repository!r} must be owner/name")
        self.provider = iam.OidcProviderNative(
            self, "GitHub", url=f"https://{GITHUB_OIDC}", client_ids=["sts.amazonaws.com"]
        )
        bootstrap = self.format_arn(
            service="iam", region="", resource="role", resource_name=f"cdk-{BOOTSTRAP_QUALIFIER}-*"
        )
        self.roles: dict[str, iam.Role] = {}
        for name, environments in ENVIRONMENTS.items():
            role = iam.Role(
                self,
                f"{name.title()}Role",
                role_name=f"stratigos-{name}",
                description=f"GitHub Actions of {repository} ({', '.join(environments)})",
                max_session_duration=Duration.hours(1),
                assumed_by=iam.WebIdentityPrincipal(
                    self.provider.oidc_provider_arn,
                    conditions={
                        "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                        "StringLike": {
                            f"{GITHUB_OIDC}:sub": [
                                f"repo:{repository}:environment:{environment}"
                                for environment in environments
                            ]
                        },
                    },
                ),
            )
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="AssumeCdkBootstrapRoles", actions=["sts:AssumeRole"], resources=[bootstrap]
                )
            )
            self.roles[name] = role
