"""checkov's findings the design accepts, each suppressed where the resource is made, with its
reason.

checkov (tests/infra/test_checkov.py runs it over the synthesized templates of production, the
delivery stack and the audit stack) reads a resource's `Metadata.checkov.skip`: a list of
`{"id": <check>, "comment": <reason>}`. `skip(construct, check, reason)` writes one such entry on
the construct's CloudFormation resource (an L2 construct's default child); a check skipped
without a reason is refused here and by the test. `skip_cdk_handlers(app)` does the same, as an
aspect, for the Lambda functions CDK writes itself (custom-resource providers: bucket
notifications, auto-deleted objects, log group policies, the web files' deployment, the default
security group's restriction), which run once per deployment and are CDK's to configure.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Aspects, CfnResource, IAspect
from constructs import IConstruct

CDK_HANDLER_MARKERS = (
    "BucketNotificationsHandler",
    "AWS679f53fac002430cb0da5b7982bd2287",
    "Custom::CDKBucketDeployment",
    "CustomResourceProvider",
)
"""Parts of the construct paths of the Lambda functions CDK writes for its custom resources."""
CDK_HANDLER_SKIPS = {
    "CKV_AWS_115": "a CDK custom-resource function: CloudFormation invokes it once per "
    "deployment, so no concurrency limit is needed",
    "CKV_AWS_116": "a CDK custom-resource function: CloudFormation invokes it synchronously "
    "and fails the deployment when it fails; there is no asynchronous event to keep",
    "CKV_AWS_117": "a CDK custom-resource function: it calls only AWS APIs during a "
    "deployment and holds no data, so it runs outside the stage's VPC",
    "CKV_AWS_173": "a CDK custom-resource function: its environment names resources only, "
    "no secret (Lambda encrypts it at rest with its own key)",
}
"""What checkov reports on CDK's own custom-resource functions, and why each is accepted."""


def resource_of(scope: IConstruct) -> CfnResource:
    """The CloudFormation resource of `scope`: itself, or an L2 construct's default child."""
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource of its own")
    return resource


def skip(scope: IConstruct, check: str, reason: str) -> None:
    """Let checkov skip `check` (``CKV_AWS_116``) on `scope`'s resource, for `reason` (a
    sentence; at least 20 characters)."""
    if len(reason.strip()) < 20:
        raise ValueError(f"checkov skip of {check} on {scope.node.path} needs a reason")
    resource = resource_of(scope)
    metadata: Any = resource.get_metadata("checkov") or {}
    entries = [entry for entry in metadata.get("skip", []) if entry["id"] != check]
    resource.add_metadata("checkov", {"skip": [*entries, {"id": check, "comment": reason}]})


def skips(scope: IConstruct) -> dict[str, str]:
    """The checks skipped on `scope`'s resource, with their reasons."""
    metadata: Any = resource_of(scope).get_metadata("checkov") or {}
    return {entry["id"]: entry["comment"] for entry in metadata.get("skip", [])}


@jsii.implements(IAspect)
class _CdkHandlers:
    """Skips `CDK_HANDLER_SKIPS` on every Lambda function CDK writes for a custom resource."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource) or node.cfn_resource_type != "AWS::Lambda::Function":
            return
        if any(marker in node.node.path for marker in CDK_HANDLER_MARKERS):
            for check, reason in CDK_HANDLER_SKIPS.items():
                skip(node, check, reason)


def skip_cdk_handlers(scope: IConstruct) -> None:
    """Skip `CDK_HANDLER_SKIPS` on CDK's custom-resource functions under `scope` at synthesis."""
    Aspects.of(scope).add(_CdkHandlers())
