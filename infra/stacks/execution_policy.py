"""The CloudFormation execution policy of an account's CDK bootstrap: what CloudFormation may do
while it deploys a stage's stacks, instead of AdministratorAccess.

`execution_statements(prefix, partition, account)` is the policy `stratigos-cfn-execution` of the
account stack (`infra.stacks.delivery`), which `cdk bootstrap --cloudformation-execution-policies`
gives the bootstrap's execution role (docs/DEPLOY.md, "First deployment"). It allows:

- for each service the stages' templates use (`SERVICE_ACTIONS`, by CloudFormation type
  prefix; tests/infra/test_delivery.py fails on a template resource of a type it does not list),
  that service's actions, on resources named after the account's stage prefix where the service
  names them (`stratigos-pr-` in the preview account, `stratigos-staging`, `stratigos-prod`);
- IAM on roles and policies of that prefix only, attaching only those policies and the AWS
  managed policies the stacks use (`MANAGED_POLICIES`), passing roles of that prefix only, and the service-linked roles
  the services create (`SERVICE_LINKED`);
- reading the bootstrap's own assets (Lambda reads code and images with the caller's rights);

and denies, whatever else allows it, any change to the account stack's own resources (the GitHub
roles, the OIDC provider, this policy) and to IAM users, groups and access keys: a template
deployed through the bootstrap can neither widen its own delivery nor create a long-lived key.
"""

from __future__ import annotations

from typing import Any

SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "AWS::ApiGateway::": ("apigateway:*",),
    "AWS::ApiGatewayV2::": ("apigateway:*",),
    "AWS::Backup::": ("backup:*", "backup-storage:MountCapsule"),
    "AWS::Budgets::": ("budgets:*",),
    "AWS::CertificateManager::": ("acm:*",),
    "AWS::Chatbot::": ("chatbot:*",),
    "AWS::CloudFront::": ("cloudfront:*",),
    "AWS::CloudWatch::": ("cloudwatch:*",),
    "AWS::CodeDeploy::": ("codedeploy:*",),
    "AWS::Cognito::": ("cognito-idp:*",),
    "AWS::DynamoDB::": ("dynamodb:*", "application-autoscaling:*"),
    "AWS::EC2::": ("ec2:*",),
    "AWS::Events::": ("events:*",),
    "AWS::KMS::": ("kms:*",),
    "AWS::Lambda::": ("lambda:*",),
    "AWS::Logs::": ("logs:*",),
    "AWS::Route53::": ("route53:*",),
    "AWS::S3::": ("s3:*",),
    "AWS::SageMaker::": ("sagemaker:*",),
    "AWS::SES::": ("ses:*",),
    "AWS::SNS::": ("sns:*",),
    "AWS::SQS::": ("sqs:*",),
    "AWS::SSM::": ("ssm:*",),
    "AWS::Scheduler::": ("scheduler:*",),
    "AWS::SecretsManager::": ("secretsmanager:*",),
    "AWS::WAFv2::": ("wafv2:*",),
    "AWS::XRay::": ("xray:*",),
    "Custom::": ("lambda:InvokeFunction",),
}
"""CloudFormation type prefix -> the actions CloudFormation needs for it (IAM's are scoped
apart, `iam_statements`; `AWS::CDK::Metadata` needs none)."""
NAMED: dict[str, tuple[str, ...]] = {
    "dynamodb": ("table/{p}*",),
    # layers (CDK's AWS CLI layer) and event source mappings have names of their own
    "lambda": ("function:{p}*", "layer:*", "event-source-mapping:*"),
    "sqs": ("{p}*",),
    "sns": ("{p}*",),
    "scheduler": ("schedule-group/{p}*", "schedule/{p}*/*"),
    "secretsmanager": ("secret:{p}*",),
}
"""Services whose resources carry the stage's prefix in their ARN (regional, the account's): a
statement of their own, limited to it."""
MANAGED_POLICIES = (
    "service-role/AWSLambdaBasicExecutionRole",
    "service-role/AWSLambdaVPCAccessExecutionRole",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
    "service-role/AWSCodeDeployRoleForLambdaLimited",
)
"""The AWS managed policies the stages' roles are given (each acknowledged where it is used)."""
SERVICE_LINKED = (
    "replication.dynamodb.amazonaws.com",
    "backup.amazonaws.com",
    "management.chatbot.amazonaws.com",
    "wafv2.amazonaws.com",
    "ops.apigateway.amazonaws.com",
)
"""Services that create a service-linked role on first use (global tables, AWS Backup, AWS
Chatbot, WAF's logging, API Gateway)."""
PROTECTED_ROLES = ("stratigos-deploy-*", "stratigos-plan-*", "stratigos-preview*")
"""The account stack's GitHub roles, which no stage deployment may change."""
EXECUTION_POLICY = "stratigos-cfn-execution"


def execution_statements(prefix: str, partition: str, account: str) -> list[dict[str, Any]]:
    """The execution policy's statements (IAM JSON) for the stacks named `prefix...` in
    `account` (see the module docstring)."""
    named = set(NAMED)
    broad = sorted(
        {
            action
            for actions in SERVICE_ACTIONS.values()
            for action in actions
            if action.split(":")[0] not in named
        }
    )
    statements: list[dict[str, Any]] = [
        {"Sid": "StageServices", "Effect": "Allow", "Action": broad, "Resource": "*"}
    ]
    for service, patterns in sorted(NAMED.items()):
        statements.append(
            {
                "Sid": f"Stage{service.title()}",
                "Effect": "Allow",
                "Action": f"{service}:*",
                "Resource": [
                    f"arn:{partition}:{service}:*:{account}:{pattern.format(p=prefix)}"
                    for pattern in patterns
                ],
            }
        )
    return (
        statements
        + iam_statements(prefix, partition, account)
        + guard_statements(partition, account)
    )


def iam_statements(prefix: str, partition: str, account: str) -> list[dict[str, Any]]:
    """IAM for the stage's own roles and policies only (see the module docstring)."""
    iam = f"arn:{partition}:iam::{account}"
    managed = [f"arn:{partition}:iam::aws:policy/{name}" for name in MANAGED_POLICIES]
    return [
        {
            "Sid": "StageRoles",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:DetachRolePolicy",
            ],
            "Resource": f"{iam}:role/{prefix}*",
        },
        {
            "Sid": "StagePolicies",  # CDK moves a role's statements beyond IAM's size limit there
            "Effect": "Allow",
            "Action": [
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": f"{iam}:policy/{prefix}*",
        },
        {
            "Sid": "StageRolesAwsManagedPolicies",
            "Effect": "Allow",
            "Action": "iam:AttachRolePolicy",
            "Resource": f"{iam}:role/{prefix}*",
            "Condition": {"ArnLike": {"iam:PolicyARN": [*managed, f"{iam}:policy/{prefix}*"]}},
        },
        {
            "Sid": "PassStageRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"{iam}:role/{prefix}*",
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}},
        },
        {
            "Sid": "ReadBootstrapAssets",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:SetRepositoryPolicy",
            ],
            "Resource": [
                f"arn:{partition}:s3:::cdk-*-assets-{account}-*/*",
                f"arn:{partition}:ecr:*:{account}:repository/cdk-*-container-assets-{account}-*",
            ],
        },
    ]


def guard_statements(partition: str, account: str) -> list[dict[str, Any]]:
    """What no stage deployment may do, whatever the rest allows (see the module docstring)."""
    iam = f"arn:{partition}:iam::{account}"
    return [
        {
            "Sid": "NeverTheDeliveryItself",
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": [
                *(f"{iam}:role/{role}" for role in PROTECTED_ROLES),
                f"{iam}:policy/{EXECUTION_POLICY}*",
                f"{iam}:oidc-provider/*",
                f"{iam}:role/cdk-*",
            ],
        },
        {
            "Sid": "NoUsersOrKeys",
            "Effect": "Deny",
            "Action": [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:CreateGroup",
                "iam:AddUserToGroup",
                "iam:AttachUserPolicy",
                "iam:PutUserPolicy",
            ],
            "Resource": "*",
        },
    ]
