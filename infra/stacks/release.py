"""Releases of the API function: each deployment's new version is smoke-tested before any caller
reaches it, then shifted to by CodeDeploy, and rolled back automatically when it fails.

- Alias `live` of the API function (with `api_provisioned_concurrency` warm instances): what the
  REST API invokes. A deployment publishes a new version; CodeDeploy (deployment group
  `<prefix>-api`) moves the alias to it: 10 % of requests for 5 minutes, then all, in staging and
  production (`CANARY`), at once elsewhere.
- Before any traffic moves, the hook `<prefix>-api-smoke` (`infra/hooks/smoke.py`) invokes the new
  version with `GET /v1/health/live` and `GET /v1/health` and fails the deployment unless both
  answer 2xx.
- While traffic moves, the alarm `<prefix>-api-release-errors` (any error of the alias in a
  minute) and the REST API's 5xx alarm `<prefix>-api-release-5xx` stop it.
- A failed hook, an alarm or a failed deployment roll the alias back to the previous version;
  CloudFormation then fails and rolls back the stack update (the workflow's deploy step fails).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.checkov import skip
from infra.config import StageConfig
from infra.nag import acknowledge
from infra.stacks.common import log_group

HOOKS = Path(__file__).resolve().parents[1] / "hooks"
CANARY_STAGES = ("staging", "prod")
"""Stages whose API releases are canaries (10 % for 5 minutes); the others shift at once."""


class ApiRelease(Construct):
    """The alias, its deployment group, smoke hook and rollback alarms (see the module
    docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        function: lambda_.Function,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.alias = function.add_alias(
            "live", provisioned_concurrent_executions=config.api_provisioned_concurrency or None
        )
        self.hook = lambda_.Function(
            self,
            "SmokeHook",
            function_name=f"{config.prefix}-api-smoke",
            description="CodeDeploy BeforeAllowTraffic: GET /v1/health of the new API version",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="smoke.handler",
            code=lambda_.Code.from_asset(str(HOOKS), exclude=["__init__.py", "__pycache__"]),
            timeout=Duration.minutes(5),
            environment={"FUNCTION_NAME": function.function_name},
            log_group=log_group(self, "SmokeHookLogs", config, "api-smoke", key=key),
            reserved_concurrent_executions=1,  # one release at a time
        )
        function.grant_invoke(self.hook)
        for check, reason in (
            (
                "CKV_AWS_116",
                "CodeDeploy waits for the hook's report: a failed invocation fails "
                "the release, which rolls back; no event to keep",
            ),
            ("CKV_AWS_117", "it calls only the Lambda and CodeDeploy APIs, and holds no data"),
            ("CKV_AWS_173", "its environment names the API function only, no secret"),
        ):
            skip(self.hook, check, reason)
        acknowledge(
            self.hook,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "AWS's managed policy of a function's own logs, which CDK attaches to every function",
        )
        canary = config.stage in CANARY_STAGES
        self.group = codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            deployment_group_name=f"{config.prefix}-api",
            alias=self.alias,
            deployment_config=(
                codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES
                if canary
                else codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE
            ),
            pre_hook=self.hook,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        self.hook.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadOwnDeployments",
                actions=["codedeploy:GetDeployment"],
                resources=[self.group.deployment_group_arn],
            )
        )
        acknowledge(
            self.group,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSCodeDeployRoleForLambdaLimited]",
            "CodeDeploy's managed policy for Lambda deployments (move an alias, invoke the hooks "
            "of its deployment group)",
        )
        self.config = config

    def watch(self, api: apigw.RestApi) -> None:
        """Roll back on the alias's errors and on the REST API's 5xx answers (see the module
        docstring)."""
        prefix = self.config.prefix
        minute = Duration.minutes(1)
        for name, metric in (
            ("api-release-errors", self.alias.metric_errors(period=minute, statistic="Sum")),
            ("api-release-5xx", api.metric_server_error(period=minute, statistic="Sum")),
        ):
            self.group.add_alarm(
                cloudwatch.Alarm(
                    self,
                    name,
                    alarm_name=f"{prefix}-{name}",
                    alarm_description="Rolls a release of the API back (CodeDeploy)",
                    metric=metric,
                    threshold=1,
                    comparison_operator=(
                        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
                    ),
                    evaluation_periods=1,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
