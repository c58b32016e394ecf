"""The CloudFormation execution policy of an account's CDK bootstrap: what CloudFormation may do
while it deploys a stage's stacks, instead of AdministratorAccess.

`execution_statements(prefix, partition, account)` is the policy `stratigos-cfn-execution` of the
account stack (`infra.stacks.delivery`), which `cdk bootstrap --cloudformation-execution-policies`
gives the bootstrap's execution role (docs/DEPLOY.md, "First deployment"). It allows:

- for each service the stages' templates use (`SERVICE_ACTIONS`, by CloudFormation type
  prefix; tests/infra/test_delivery.py fails on a template resource of a type it does not list),
  that service's actions, on resources named after the account's stage prefix where the service
  names them (`stratigos-pr-` in the preview account, `stratigos-staging`, `stratigos-prod`);
  S3, KMS, SSM and EC2 never on `*` (`scoped_statements`): buckets and parameters of the
  prefix, keys tagged `project=stratigos` (created with that tag), EC2 resources of the account
  (and its read-only `Describe*` calls anywhere);
- IAM on roles and policies of that prefix only, every role created with the permissions
  boundary `stratigos-boundary` (`BOUNDARY`, `boundary_statements`: the services the stages'
  functions and jobs call, `iam:PassRole` on the prefix's roles, no other IAM) and its policies
  written only while it has it (the condition `iam:PermissionsBoundary`), attaching only those
  policies and the AWS managed policies the stacks use (`MANAGED_POLICIES`), passing roles of
  that prefix only, and the service-linked roles the services create (`SERVICE_LINKED`);
- reading the bootstrap's own assets (Lambda reads code and images with the caller's rights);

and denies, whatever else allows it, any change to the account stack's own resources (the GitHub
roles, the OIDC provider, this policy, the boundary), removing a role's boundary or putting
another one, and IAM users, groups and access keys: a template deployed through the bootstrap can
neither widen its own delivery, nor create a role beyond the boundary (a role trusted by another
account holds at most the boundary), nor create a long-lived key.
"""

from __future__ import annotations

from typing import Any

from infra.config import PERMISSIONS_BOUNDARY

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
    "AWS::EC2::": ("ec2:*",),  # scoped apart (`scoped_statements`)
    "AWS::Events::": ("events:*",),
    "AWS::KMS::": ("kms:*",),  # scoped apart
    "AWS::Lambda::": ("lambda:*",),
    "AWS::Logs::": ("logs:*",),
    "AWS::Route53::": ("route53:*",),
    "AWS::S3::": ("s3:*",),  # scoped apart
    "AWS::SageMaker::": ("sagemaker:*",),
    "AWS::SES::": ("ses:*",),
    "AWS::SNS::": ("sns:*",),
    "AWS::SQS::": ("sqs:*",),
    "AWS::SSM::": ("ssm:*",),  # scoped apart
    "AWS::Scheduler::": ("scheduler:*",),
    "AWS::SecretsManager::": ("secretsmanager:*",),
    "AWS::WAFv2::": ("wafv2:*",),
    "AWS::XRay::": ("xray:*",),
    "Custom::": ("lambda:InvokeFunction",),
}
"""CloudFormation type prefix -> the actions CloudFormation needs for it (IAM's are scoped
apart, `iam_statements`, and so are S3's, KMS's, SSM's and EC2's, `scoped_statements`;
`AWS::CDK::Metadata` needs none)."""
SCOPED = ("s3", "kms", "ssm", "ec2")
"""Services never allowed on `*` (`scoped_statements` says on what)."""
TAG = ("project", "stratigos")
"""The tag every stack of the app puts on its resources (`infra.app`): a key is created with it,
and only a key bearing it is managed."""
KEY_ACTIONS = (
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncrypt*",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
)
"""What CloudFormation calls on a stage's key (create, describe, policy, rotation, aliases,
tags, deletion) and what a resource encrypted with it needs of its creator (grants and data
keys: a table, a secret)."""
BOUNDARY = PERMISSIONS_BOUNDARY
"""The permissions boundary every role of a stage is created with (the delivery stack's)."""
BOUNDARY_SERVICES = (
    "backup",
    "backup-storage",
    "bedrock",
    "cloudfront",
    "cloudwatch",
    "codedeploy",
    "dynamodb",
    "ec2",
    "ecr",
    "events",
    "execute-api",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sagemaker",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "tag",
    "xray",
)
"""The services the stages' roles call (their own policies and the AWS managed ones they are
given: logs and network interfaces, backups, CodeDeploy; CDK's custom resources), which the
boundary allows and nothing else (no IAM but `iam:PassRole` on the stage's roles, no STS, no
Organizations)."""
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
    apart = set(NAMED) | set(SCOPED)
    broad = sorted(
        {
            action
            for actions in SERVICE_ACTIONS.values()
            for action in actions
            if action.split(":")[0] not in apart
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
        + scoped_statements(prefix, partition, account)
        + iam_statements(prefix, partition, account)
        + platform_statements(partition, account)
        + guard_statements(partition, account)
    )


def scoped_statements(prefix: str, partition: str, account: str) -> list[dict[str, Any]]:
    """S3, KMS, SSM and EC2 (`SCOPED`) for the stage, never on `*` (see the module docstring):
    the prefix's buckets and their objects, the keys created with the app's tag and the
    prefix's aliases, the prefix's parameters (and CDK's cross-region exports of its stacks,
    the bootstrap's version), the account's EC2 resources."""
    tag_key, tag_value = TAG
    parameters = [
        f"arn:{partition}:ssm:*:{account}:parameter/{name}"
        for name in (f"{prefix}*", f"cdk/exports/{prefix}*", "cdk-bootstrap/*")
    ]
    return [
        {
            "Sid": "StageBuckets",  # CloudFormation names a bucket after its stack
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [f"arn:{partition}:s3:::{prefix}*", f"arn:{partition}:s3:::{prefix}*/*"],
        },
        {
            "Sid": "CreateTaggedKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:TagResource"],
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:RequestTag/{tag_key}": tag_value}},
        },
        {
            "Sid": "TaggedKeys",
            "Effect": "Allow",
            "Action": list(KEY_ACTIONS),
            "Resource": f"arn:{partition}:kms:*:{account}:key/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{tag_key}": tag_value}},
        },
        {
            "Sid": "StageKeyAliases",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": f"arn:{partition}:kms:*:{account}:alias/{prefix}*",
        },
        {
            "Sid": "ListKeys",  # take no resource
            "Effect": "Allow",
            "Action": ["kms:ListAliases", "kms:ListKeys"],
            "Resource": "*",
        },
        {
            "Sid": "StageParameters",
            "Effect": "Allow",
            "Action": "ssm:*",
            "Resource": parameters,
        },
        {
            "Sid": "AccountNetwork",
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": f"arn:{partition}:ec2:*:{account}:*",
        },
        {
            "Sid": "DescribeNetwork",  # Describe* takes no resource
            "Effect": "Allow",
            "Action": "ec2:Describe*",
            "Resource": "*",
        },
    ]


def boundary_arn(partition: str, account: str) -> str:
    """The ARN of the permissions boundary `BOUNDARY` in `account`."""
    return f"arn:{partition}:iam::{account}:policy/{BOUNDARY}"


def boundary_statements(prefix: str, partition: str, account: str) -> list[dict[str, Any]]:
    """The permissions boundary of every role a stage creates (see the module docstring): the
    services of `BOUNDARY_SERVICES`, passing the stage's own roles, nothing else."""
    return [
        {
            "Sid": "StageServices",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in BOUNDARY_SERVICES],
            "Resource": "*",
        },
        {
            "Sid": "PassStageRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:{partition}:iam::{account}:role/{prefix}*",
        },
    ]


def iam_statements(prefix: str, partition: str, account: str) -> list[dict[str, Any]]:
    """IAM for the stage's own roles and policies only (see the module docstring)."""
    iam = f"arn:{partition}:iam::{account}"
    managed = [f"arn:{partition}:iam::aws:policy/{name}" for name in MANAGED_POLICIES]
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(partition, account)}}
    roles = f"{iam}:role/{prefix}*"
    return [
        {
            "Sid": "StageRolesWithTheBoundary",  # created with it, their policies written with it
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
            "Resource": roles,
            "Condition": bounded,
        },
        {
            "Sid": "StageRoles",
            "Effect": "Allow",
            "Action": [
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
            ],
            "Resource": roles,
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
            "Resource": roles,
            "Condition": {
                "ArnLike": {"iam:PolicyARN": [*managed, f"{iam}:policy/{prefix}*"]},
                **bounded,
            },
        },
        {
            "Sid": "PassStageRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": roles,
        },
    ]


def platform_statements(partition: str, account: str) -> list[dict[str, Any]]:
    """The service-linked roles the services create (`SERVICE_LINKED`) and reading the
    bootstrap's own assets (Lambda reads code and images with the caller's rights)."""
    return [
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
                f"{iam}:policy/{BOUNDARY}",
                f"{iam}:oidc-provider/*",
                f"{iam}:role/cdk-*",
            ],
        },
        {
            "Sid": "KeepTheBoundary",  # no role loses it
            "Effect": "Deny",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": "*",
        },
        {
            "Sid": "NoOtherBoundary",
            "Effect": "Deny",
            "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"iam:PermissionsBoundary": boundary_arn(partition, account)}
            },
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
