"""cdk-nag's AwsSolutions pack over the app, and the findings the design accepts, each with its
reason in code.

`synth_checked(app)` (what `make cdk-synth` and `cdk synth` run through `infra.app.main`)
synthesizes with the pack as a validation plugin (`add_checks`), which fails the synthesis on
any finding that is not acknowledged. Findings are acknowledged in two ways:

- where the construct is made, with `acknowledge(construct, rule, reason)` (a public route,
  a secret that must not rotate, ...);
- IAM5 (wildcards in an identity policy), which reports one finding per wildcard and names the
  resource as the template spells it (an export of another stack, a logical id):
  `acknowledge_wildcards(app)` runs the pack once on the synthesized app and acknowledges each
  such finding whose wildcard `WILDCARDS` lists, with the reason given there. A wildcard it does not
  list stays a finding.

`findings(scope)` is what the pack reports now (empty when everything is fixed or acknowledged);
tests/infra/test_nag.py asserts it is empty for every stack of every stage.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PACK = "AwsSolutions"
BOOTSTRAP = "hnb659fds"
"""The CDK bootstrap's default qualifier (`infra.stacks.delivery`)."""
_WHERE = r"(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d+)"
"""An ARN's region and account: literal, or the pseudo parameters of an environment-agnostic
synthesis."""

_REPLICA_BUCKET = (
    r"stratigos-[a-z0-9-]+-replica-(market|documents|results|models)-(<AWS::AccountId>|\d+)"
)
"""A replica bucket's name (`infra.stacks.replication.replica_bucket_name`)."""

WILDCARDS: tuple[tuple[str, str], ...] = (
    (
        r"Action::s3:(GetObject|GetBucket|List|Abort|DeleteObject|PutObject|Put)\*",
        "CDK's S3 grant action groups (read, list, write, delete, abort uploads), on one bucket "
        "of the stage and, where the code uses one, one prefix of it",
    ),
    (
        r"Action::kms:(GenerateDataKey|ReEncrypt)\*",
        "data keys of the stage's own KMS key (the only key named), for its encrypted buckets, "
        "tables, queues and secrets",
    ),
    (
        r"Resource::\*",
        "actions that take no resource: X-Ray spans, ECR's authorization token, PutMetricData "
        "(conditioned on the namespace), CloudWatch Logs resource policies "
        "(tests/infra/test_stacks.py fails on any other action on '*')",
    ),
    (
        r"Resource::.*(ResultsBucket|MarketDataBucket)[0-9A-F]{8}.*/\*",
        "objects of one of the stage's own buckets (keys are per job, owner or version)",
    ),
    (
        r"Resource::.*MarketDataBucket[0-9A-F]{8}.*/(versions|incoming|review)/\*",
        "one prefix of the market-data bucket (versions, incoming files, review notes)",
    ),
    (
        r"Resource::.*OffloadBucket[0-9A-F]{8}.*/(stratigos/compute|checkpoints)/\*",
        "one prefix of the offload bucket (SageMaker shards, offloaded checkpoints)",
    ),
    (
        r"Resource::.*(Store|Checkpoint|Memory)(Global)?Table[0-9A-F]{8}.*/index/\*",
        "the indexes of the stage's own table (gsi1, gsi2)",
    ),
    (
        r"Resource::.*DocumentsBucket[0-9A-F]{8}.*/\*",
        "every version of the documents bucket, which only S3 Replication's role reads (the "
        "functions get documents/*: tests/infra/test_recovery.py)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:s3:::{_REPLICA_BUCKET}(/(versions|incoming|review|documents|strategy-models|pipelines/search))?/\*",
        "objects of one of the stage's replica buckets (S3 Replication writes them; a failover's "
        "functions use them as the stage's own, with the same prefixes)",
    ),
    (
        r"Resource::arn:<AWS::Partition>:kms:[a-z0-9-]+:(<AWS::AccountId>|\d+):key/\*",
        "the replica key, whose id the stage's region cannot know: only through S3 in the "
        "replica region and only a key whose alias is alias/stratigos-<stage>-replica",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:dynamodb:{_WHERE}:table/stratigos-[a-z0-9-]+-(store|checkpoints|memories)/index/\*",
        "the indexes of a failover's replica table (gsi1, gsi2)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:secretsmanager:{_WHERE}:secret:stratigos-[a-z0-9-]+/api-key-pepper-\?\?\?\?\?\?",
        "the replica of the API key pepper in a failover (its ARN ends in a suffix of its own)",
    ),
    (
        r"Resource::.*ResearchIndexBucket[0-9A-F]{8}.*/index/\*",
        "the research index's LanceDB files (one prefix of its own bucket)",
    ),
    (
        r"Resource::.*DocumentsBucket[0-9A-F]{8}.*/documents/\*",
        "the documents library's originals (one prefix of its own bucket)",
    ),
    (
        r"Resource::.*ModelArtifactsBucket[0-9A-F]{8}.*/(strategy-models/)?\*",
        "the owners' strategy model versions (one prefix of its own bucket, per owner below "
        "it); every version of the bucket only for S3 Replication's role",
    ),
    (
        r"Resource::.*AuditBucket[0-9A-F]{8}.*/(config/)?\*",
        "AWS Config's deliveries into the audit bucket (config/ written, the bucket read)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:iam::(<AWS::AccountId>|\d+):role/cdk-{BOOTSTRAP}-([a-z-]+-)?\*",
        "the CDK bootstrap's roles of the account in any region (all of them for a deploy role; "
        "the lookup role for the plan role; the execution role for the preview role)",
    ),
    (
        r"Resource::arn:<AWS::Partition>:cloudformation:\*:(<AWS::AccountId>|\d+):stack/stratigos-(pr-|staging|prod)\*/\*",
        "the stacks of the account's stage, in any of its regions (its own, us-east-1's edge, "
        "the replica region)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:ssm:\*:(<AWS::AccountId>|\d+):parameter/cdk-bootstrap/{BOOTSTRAP}/version",
        "the bootstrap's version parameter, which the CDK CLI reads in each region it deploys to",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:s3:::cdk-{BOOTSTRAP}-assets-(<AWS::AccountId>|\d+)-\*(/\*)?",
        "the bootstrap's asset buckets of the account (one per region), where the preview role "
        "publishes a pull request's files",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:ecr:\*:(<AWS::AccountId>|\d+):repository/cdk-{BOOTSTRAP}-container-assets-(<AWS::AccountId>|\d+)-\*",
        "the bootstrap's image repositories of the account (one per region), where the preview "
        "role pushes a pull request's images",
    ),
    (
        r"Resource::<ApiFunction[0-9A-F]{8}\.Arn>:\*",
        "the API function's versions: the release's smoke hook invokes the one it tests",
    ),
    (
        r"Resource::<ReleaseSmokeHook[0-9A-F]{8}\.Arn>:\*",
        "the smoke hook's versions, which CodeDeploy invokes during a release",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:s3:::cdk-{BOOTSTRAP}-assets-[^/]+/\*",
        "the CDK bootstrap's asset bucket, which holds the zipped web files the bucket "
        "deployment copies",
    ),
    (
        r"Resource::.*WebBucket[0-9A-F]{8}.*/\*",
        "the web UI's files in its own bucket (the deployment replaces them)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:logs:{_WHERE}:log-group:/aws/sagemaker/ProcessingJobs:\*",
        "SageMaker's log group of processing jobs (one stream per job)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:sagemaker:{_WHERE}:processing-job/pipelines-\*",
        "the processing jobs SageMaker Pipelines starts for the search pipeline's steps (it names "
        "them pipelines-<execution>-<step>-...; the only pipeline the role runs is the stage's)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:sagemaker:{_WHERE}:pipeline/stratigos-[a-z0-9-]+-search/execution/\*",
        "the executions of the stage's search pipeline (one id per run)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:logs:{_WHERE}:log-group:/aws/sagemaker/Endpoints/\*",
        "SageMaker's log groups of endpoints (the estimates' endpoint writes its own)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:sagemaker:{_WHERE}:processing-job/stratigos-[a-z0-9-]+-batch-\*",
        "the stage's own processing jobs, named per batch (stratigos-<stage>-batch-*)",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:secretsmanager:{_WHERE}:secret:stratigos-[a-z0-9-]+/alpaca/\*",
        "each owner's Alpaca keys secret (stratigos-<stage>/alpaca/<owner>); the code reads only "
        "the deployment owner's",
    ),
    (
        rf"Resource::arn:<AWS::Partition>:execute-api:{_WHERE}:<WebSocketApi[0-9A-F]{{8}}>/\*/\*/@connections/\*",
        "the connections of the stage's own WebSocket API (one id per client)",
    ),
)
"""IAM5 wildcards the design accepts: (pattern of the finding inside `IAM5[...]`, reason)."""


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the AwsSolutions finding `rule` (``IAM4[...]``, ``S1``) on `scope` and
    everything below it, for `reason`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}-{rule}", reason=reason))


CDK_HANDLERS = (
    "BucketNotificationsHandler",
    "AWS679f53fac002430cb0da5b7982bd2287",
    "Custom::CDKBucketDeployment",
)
"""Construct ids (prefixes) of CDK's own custom-resource functions: S3 bucket notifications,
`AwsCustomResource` (the log group policy of an EventBridge rule) and `BucketDeployment` (the
web UI's files)."""


def acknowledge_cdk_handlers(stack: IConstruct) -> None:
    """Acknowledge IAM4 (AWS's basic execution policy) on CDK's own custom-resource functions
    directly in `stack` (`CDK_HANDLERS`): CDK writes them, and they only log."""
    for child in stack.node.children:
        if child.node.id.startswith(CDK_HANDLERS):
            acknowledge(
                child,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "a custom-resource function CDK writes (bucket notifications, a log group "
                "policy, a bucket deployment): it logs with AWS's basic execution policy",
            )
            acknowledge(
                child,
                "L1",
                "CDK chooses and updates the runtime of its own custom-resource functions",
            )


def add_checks(app: IConstruct) -> None:
    """Run the AwsSolutions pack when `app` synthesizes: any finding not acknowledged fails it."""
    from cdk_nag import AwsSolutionsChecks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def findings(scope: IConstruct) -> list[tuple[str, str, str]]:
    """What the AwsSolutions pack reports on `scope` now: (rule, severity, construct path)."""
    from cdk_nag import AwsSolutionsChecks

    report: Any = AwsSolutionsChecks().validate_scope(scope)
    return [
        (violation.rule_name, violation.severity, resource.construct_path)
        for violation in report.violations
        for resource in violation.violating_resources
    ]


def wildcard_reason(finding: str) -> str | None:
    """The reason `WILDCARDS` gives for the IAM5 finding `finding` (what `IAM5[...]` holds),
    None when it lists none."""
    for pattern, reason in WILDCARDS:
        if re.fullmatch(pattern, finding):
            return reason
    return None


def acknowledge_wildcards(scope: IConstruct) -> int:
    """Acknowledge every IAM5 finding under `scope` that `WILDCARDS` accepts (see the module
    docstring); how many were acknowledged."""
    count = 0
    for rule, _severity, path in findings(scope):
        found = re.fullmatch(rf"{PACK}-(IAM5\[(.+)\])", rule)
        reason = wildcard_reason(found.group(2)) if found else None
        if found is None or reason is None:
            continue
        acknowledge(_construct_at(scope, path), found.group(1), reason)
        count += 1
    return count


def synth_checked(app: Any) -> Any:
    """Synthesize `app` with the AwsSolutions pack: a first synthesis resolves the references
    between stacks (IAM5 names a resource as the template finally spells it, an export of
    another stack), `acknowledge_wildcards` acknowledges the accepted wildcards, and the second
    synthesis runs the pack, failing on any finding left. The cloud assembly."""
    app.synth()
    acknowledge_wildcards(app)
    add_checks(app)
    return app.synth(force=True)


def _construct_at(scope: IConstruct, path: str) -> IConstruct:
    """The construct at `path` (a construct path from the root of `scope`'s tree)."""
    node: IConstruct = scope.node.root
    for part in path.split("/"):
        node = node.node.find_child(part)
    return node
