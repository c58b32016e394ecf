"""Assertions on the synthesized stacks of every stage: what holds for every stack, the
foundation (key, tables, buckets, secret) and compute (queues, worker, SageMaker Processing).
The API, Bedrock grants and operations are in `test_api_and_operations.py`."""

from __future__ import annotations

import json
from datetime import date
from importlib.metadata import version
from typing import Any

import pytest

from infra.access import PURGE_DOCUMENT_ACTIONS, PURGE_MODEL_ACTIONS, STORE_ACCESS
from infra.config import stage_config
from infra.images import supported_runtime
from tests.support.cdk_synth import ACCOUNT, KINDS, REGION, STAGES, Synthesized, scratch_left
from tests.support.cfn_templates import (
    actions_of,
    as_list,
    function_by_name,
    identity_policies,
    one,
    policies_of_role,
    render,
    resources,
    role_of,
    statements,
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

DATA_SERVICES = ("dynamodb", "s3", "sqs", "kms", "secretsmanager", "bedrock", "sagemaker", "sns")
SAGEMAKER_ROLES = {"SearchPipelineStepRole": "pipeline", "EstimatesRole": "estimates"}
ALLOWED_ON_ANY_RESOURCE = {
    "xray:PutTraceSegments",  # X-Ray accepts no resource-level permissions
    "xray:PutTelemetryRecords",
    "xray:PutSpans",  # the app's OpenTelemetry spans to X-Ray's OTLP endpoint
    "xray:PutSpansForIndexing",
    "ecr:GetAuthorizationToken",  # account-wide by design; pulls are scoped to the repository
    "cloudwatch:PutMetricData",  # conditioned on the namespace
    "logs:PutResourcePolicy",  # CDK's custom resource letting EventBridge write the log group
    "logs:DeleteResourcePolicy",
}


# -- every stack ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_every_stack_synthesizes_with_resources(synthesized: Synthesized, stage: str) -> None:
    for kind in KINDS:
        template = synthesized.template(stage, kind)
        assert template.to_json()["Resources"], f"{stage}/{kind} is empty"


def test_every_lambda_runtime_in_the_templates_is_supported(synthesized: Synthesized) -> None:
    """Of every stack of every instance and the account's: a runtime AWS has not deprecated
    (`infra.images.supported_runtime`)."""
    runtimes = {
        resource["Properties"]["Runtime"]
        for stacks in synthesized.templates.values()
        for template in stacks.values()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function" and "Runtime" in resource["Properties"]
    }
    assert runtimes  # CDK's own helper functions name theirs
    assert {r for r in runtimes if not supported_runtime(r, date.today())} == set()


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_and_no_data_actions_on_any_resource(
    synthesized: Synthesized, stage: str
) -> None:
    for kind in KINDS:
        for stmt in statements(synthesized.templates[stage][kind]):
            actions = as_list(stmt["Action"])
            for action in actions:
                name = action.partition(":")[2]
                assert action != "*" and name != "*", f"{stage}/{kind}: wildcard action {action}"
            if stmt["Effect"] == "Allow" and "*" in as_list(stmt["Resource"]):
                assert set(actions) <= ALLOWED_ON_ANY_RESOURCE, (stage, kind, actions)
                assert not any(a.split(":")[0] in DATA_SERVICES for a in actions)


@pytest.mark.parametrize("stage", STAGES)
def test_functions_trace_and_log_json(synthesized: Synthesized, stage: str) -> None:
    names = set()
    for kind in KINDS:
        template = synthesized.templates[stage][kind]
        for props in resources(template, "AWS::Lambda::Function").values():
            if props["Properties"].get("PackageType") != "Image":
                continue  # CDK's own custom resource providers
            p = props["Properties"]
            names.add(p["FunctionName"])
            assert p["TracingConfig"] == {"Mode": "Active"}
            assert p["LoggingConfig"]["LogFormat"] == "JSON"
            assert p["Environment"]["Variables"]["STRATIGOS_LOG_FORMAT"] == "json"
            log_group = p["LoggingConfig"]["LogGroup"]["Ref"]
            retention = template["Resources"][log_group]["Properties"]["RetentionInDays"]
            assert retention == stage_config(stage).log_retention_days
    assert names == {f"stratigos-{stage}-{n}" for n in ("api", "ws", "worker", "cleanup")}


PENDING_SETTINGS = {
    "STRATIGOS_WS_CALLBACK_URL",  # read by api.ws_gateway itself, not a Settings field
}


@pytest.mark.parametrize("stage", STAGES)
def test_function_settings_are_application_settings(synthesized: Synthesized, stage: str) -> None:
    """Every STRATIGOS_* variable a function gets is a field of `settings.Settings`, and the
    values validate together (a value CloudFormation fills in at deployment, such as the pepper
    secret's ARN, stands in as a placeholder string: it is set)."""
    from settings import Settings, environment_values, setting_fields

    fields = {setting.env_name for setting in setting_fields(Settings)}
    for kind in KINDS:
        for fn in resources(synthesized.templates[stage][kind], "AWS::Lambda::Function").values():
            variables = fn["Properties"].get("Environment", {}).get("Variables", {})
            names = {n for n in variables if n.startswith("STRATIGOS_")}
            assert names <= fields | PENDING_SETTINGS, names - fields - PENDING_SETTINGS
            values = {
                n: v if isinstance(v, str) else "filled-in-at-deployment"
                for n, v in variables.items()
                if n in fields
            }
            Settings.model_validate(environment_values(Settings, values))


# -- foundation ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_foundation_tables(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.template(stage, "foundation")
    raw = synthesized.templates[stage]["foundation"]
    template.resource_count_is("AWS::DynamoDB::Table", 3)
    template.resource_count_is("AWS::DynamoDB::GlobalTable", 0)
    key_id = next(iter(resources(raw, "AWS::KMS::Key")))
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    common = {
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
    }
    store = one(raw, "AWS::DynamoDB::Table", TableName=f"stratigos-{stage}-store")
    assert {k: store[k] for k in common} == common
    assert store["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    gsi1, gsi2 = store["GlobalSecondaryIndexes"]
    assert gsi1["IndexName"] == "gsi1"
    assert gsi1["KeySchema"] == [
        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
    ]
    # an owner's ideas by creation time (store.aws.ideas); the store reads each idea by key
    assert gsi2["IndexName"] == "gsi2"
    assert gsi2["KeySchema"] == [
        {"AttributeName": "gsi2pk", "KeyType": "HASH"},
        {"AttributeName": "gsi2sk", "KeyType": "RANGE"},
    ]
    assert gsi2["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert {a["AttributeName"]: a["AttributeType"] for a in store["AttributeDefinitions"]} == {
        "pk": "S",
        "sk": "S",
        "gsi1pk": "S",
        "gsi1sk": "S",
        "gsi2pk": "S",
        "gsi2sk": "S",
    }
    checkpoints = one(raw, "AWS::DynamoDB::Table", TableName=f"stratigos-{stage}-checkpoints")
    assert {k: checkpoints[k] for k in common} == common
    assert checkpoints["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    memories = one(raw, "AWS::DynamoDB::Table", TableName=f"stratigos-{stage}-memories")
    no_ttl = {k: v for k, v in common.items() if k != "TimeToLiveSpecification"}
    assert {k: memories[k] for k in no_ttl} == no_ttl
    # a memory lasts until it is forgotten; then its overwritten item expires
    assert memories["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # the key schema LangGraph's DynamoDBStore.setup() creates (langgraph_checkpoint_aws)
    assert memories["KeySchema"] == checkpoints["KeySchema"]
    assert {a["AttributeName"]: a["AttributeType"] for a in memories["AttributeDefinitions"]} == {
        "PK": "S",
        "SK": "S",
    }
    retain = stage_config(stage).retain_data
    for logical_id in resources(raw, "AWS::DynamoDB::Table"):
        resource = raw["Resources"][logical_id]
        assert resource["DeletionPolicy"] == ("Retain" if retain else "Delete")
        assert resource["Properties"].get("DeletionProtectionEnabled", False) is retain


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_api_function_reaches_the_memory_table_with_the_store_calls_it_needs(
    synthesized: Synthesized, stage: str
) -> None:
    from infra.stacks.common import MEMORY_ACTIONS

    foundation = synthesized.templates[stage]["foundation"]
    table_id = next(
        logical_id
        for logical_id, resource in resources(foundation, "AWS::DynamoDB::Table").items()
        if resource["Properties"]["TableName"] == f"stratigos-{stage}-memories"
    )
    granted: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        for stmt in statements(synthesized.templates[stage][kind]):
            if table_id in json.dumps(stmt["Resource"]):
                granted.setdefault(kind, []).append(stmt)
    assert set(granted) == {"api"}
    api = synthesized.templates[stage]["api"]
    role = role_of(api, f"stratigos-{stage}-api")
    on_table = [s for s in policies_of_role(api, role) if table_id in json.dumps(s["Resource"])]
    assert on_table == granted["api"]
    assert actions_of(on_table) == set(MEMORY_ACTIONS)
    key_stmts = [
        s
        for s in policies_of_role(api, role)
        if "kms:GenerateDataKey*" in as_list(s["Action"])
        and "dynamodb." in json.dumps(s.get("Condition", {}))
    ]
    assert key_stmts, "the API function decrypts the memory table's key through DynamoDB only"


@pytest.mark.parametrize("stage", STAGES)
def test_foundation_key_and_secret(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["foundation"]
    key_id, key = next(iter(resources(raw, "AWS::KMS::Key").items()))
    assert key["Properties"]["EnableKeyRotation"] is True
    one(raw, "AWS::KMS::Alias", AliasName=f"alias/stratigos-{stage}")
    secret = one(raw, "AWS::SecretsManager::Secret", Name=f"stratigos-{stage}/api-key-pepper")
    assert secret["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32


@pytest.mark.parametrize("stage", STAGES)
def test_foundation_buckets_encrypted_private_tls_only(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["foundation"]
    key_id = next(iter(resources(raw, "AWS::KMS::Key")))
    buckets = resources(raw, "AWS::S3::Bucket")
    logs = {k for k in buckets if k.startswith("AccessLogsBucket")}
    # market data, results, offload, documents, model artifacts, research index; their access logs
    assert len(buckets) == 7 and len(logs) == 1
    (log_bucket,) = logs
    for name, bucket in buckets.items():
        if name != log_bucket:  # every bucket logs its accesses to the access-log bucket
            logging = bucket["Properties"]["LoggingConfiguration"]
            assert logging["DestinationBucketName"] == {"Ref": log_bucket}
            assert logging["LogFilePrefix"] == f"{name[:-8]}/"
    # S3's log delivery cannot write with a KMS key: the log bucket is SSE-S3, and expires
    log_props = buckets.pop(log_bucket)["Properties"]
    assert log_props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert log_props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90
    for props in (b["Properties"] for b in buckets.values()):
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        }
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
    tls_denied = set()
    for policy in resources(raw, "AWS::S3::BucketPolicy").values():
        for stmt in policy["Properties"]["PolicyDocument"]["Statement"]:
            if stmt["Effect"] == "Deny" and stmt.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                tls_denied.add(policy["Properties"]["Bucket"]["Ref"])
    assert tls_denied == {*buckets, log_bucket}


@pytest.mark.parametrize("stage", STAGES)
def test_foundation_bucket_versioning_and_lifecycle(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["foundation"]
    buckets = {k: v["Properties"] for k, v in resources(raw, "AWS::S3::Bucket").items()}
    by_prefix = {k.split("Bucket")[0]: v for k, v in buckets.items()}
    assert by_prefix["MarketData"]["VersioningConfiguration"] == {"Status": "Enabled"}
    # results are versioned only where AWS Backup copies them (it needs versioning)
    if stage_config(stage).backup:
        assert by_prefix["Results"]["VersioningConfiguration"] == {"Status": "Enabled"}
    else:
        assert "VersioningConfiguration" not in by_prefix["Results"]
    rules = {r["Id"]: r for r in by_prefix["Results"]["LifecycleConfiguration"]["Rules"]}
    days = stage_config(stage).results_glacier_days
    assert days == 30
    assert rules["results-to-glacier-instant-retrieval"]["Prefix"] == "results/"
    assert rules["results-to-glacier-instant-retrieval"]["Transitions"] == [
        {"StorageClass": "GLACIER_IR", "TransitionInDays": days}
    ]
    assert rules["archive-to-glacier"]["Prefix"] == "archive/"
    assert rules["archive-to-glacier"]["Transitions"] == [
        {"StorageClass": "GLACIER", "TransitionInDays": days}
    ]
    offload = {r["Id"]: r for r in by_prefix["Offload"]["LifecycleConfiguration"]["Rules"]}
    assert offload["expire-compute-scratch"]["Prefix"] == "stratigos/compute/"
    assert offload["expire-compute-scratch"]["ExpirationInDays"] == 14


@pytest.mark.parametrize("stage", STAGES)
def test_documents_bucket_versioned_with_ia_glacier_and_noncurrent_expiry(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["foundation"]
    (props,) = [
        v["Properties"]
        for k, v in resources(raw, "AWS::S3::Bucket").items()
        if k.startswith("DocumentsBucket")
    ]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    moves = rules["documents-to-infrequent-access-then-glacier"]
    assert "Prefix" not in moves and moves["Status"] == "Enabled"
    assert moves["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER", "TransitionInDays": 90},
    ]
    expiry = rules["expire-noncurrent-documents"]
    days = stage_config(stage).documents_noncurrent_days
    assert days == 30
    assert expiry["NoncurrentVersionExpiration"] == {"NoncurrentDays": days}
    assert expiry["ExpiredObjectDeleteMarker"] is True
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7
    }
    outputs = raw["Outputs"]["DocumentsBucketName"]["Value"]
    assert outputs["Ref"].startswith("DocumentsBucket")


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_names_the_documents_bucket_and_only_the_api_and_the_purge_use_it(
    synthesized: Synthesized, stage: str
) -> None:
    """Every function that opens the store gets STRATIGOS_STORE_DOCUMENTS_S3_BUCKET (none
    falls back to the results bucket); only the API's role has statements on that bucket (read,
    write and restore on `documents/*` objects), and the cleanup's (the purge: delete every
    version of `documents/*` objects, list the versions under `documents/`)."""
    functions = 0
    for kind in KINDS:
        raw = synthesized.templates[stage][kind]
        for fn in resources(raw, "AWS::Lambda::Function").values():
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if env.get("STRATIGOS_STORE_BACKEND") != "aws":
                continue
            functions += 1
            assert "DocumentsBucket" in json.dumps(env["STRATIGOS_STORE_DOCUMENTS_S3_BUCKET"])
        for policy in identity_policies(raw).values():
            stmts = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if "DocumentsBucket" in json.dumps(s["Resource"])
            ]
            roles = policy["Properties"].get("Roles", [])
            api_role = kind == "api" and {"Ref": role_of(raw, f"stratigos-{stage}-api")} in roles
            cleanup = (
                kind == "operations"
                and {"Ref": role_of(raw, f"stratigos-{stage}-cleanup")} in roles
            )
            if not (api_role or cleanup):
                assert stmts == [], (kind, roles)
                continue
            # exactly what the code calls (infra.access, tests/infra/test_least_privilege.py)
            expected = STORE_ACCESS["api"].documents if api_role else PURGE_DOCUMENT_ACTIONS
            assert actions_of(stmts) == set(expected)
            for stmt in stmts:  # the bucket (listing versions) and its documents/ objects only
                for resource in as_list(stmt["Resource"]):
                    if "Fn::Join" in resource:
                        bucket, pattern = resource["Fn::Join"][1]
                        assert pattern == "/documents/*", resource
                    else:
                        bucket = resource
                    assert "DocumentsBucket" in bucket["Fn::ImportValue"], resource
    assert functions >= 4  # api, websocket, worker, cleanup (and the rest that open the store)


@pytest.mark.parametrize("stage", STAGES)
def test_the_model_artifacts_bucket_is_the_api_s_and_the_worker_s(
    synthesized: Synthesized, stage: str
) -> None:
    """The owners' strategy models have a bucket of their own (the stage's key, versioned where
    the results bucket is, so backed up and replicated with it, its name an output); every
    function that opens the store names it (none falls back to the results bucket); only the API,
    the worker, the pipeline's steps, the estimates' endpoint and the cleanup (its purge) hold
    statements on it: what their code calls (`infra.access`), on `strategy-models/*` only."""
    foundation = synthesized.templates[stage]["foundation"]
    buckets = resources(foundation, "AWS::S3::Bucket").items()
    (props,) = [v["Properties"] for k, v in buckets if k.startswith("ModelArtifactsBucket")]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption["BucketKeyEnabled"] is True
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    (results,) = [v["Properties"] for k, v in buckets if k.startswith("ResultsBucket")]
    assert props.get("VersioningConfiguration") == results.get("VersioningConfiguration")
    rules = {r["Id"] for r in props["LifecycleConfiguration"]["Rules"]}
    assert "abort-incomplete-uploads" in rules
    assert all("Transitions" not in r for r in props["LifecycleConfiguration"]["Rules"])
    output = foundation["Outputs"]["ModelArtifactsBucketName"]["Value"]
    assert output["Ref"].startswith("ModelArtifactsBucket")
    holders = set()
    functions = 0
    for kind in KINDS:
        raw = synthesized.templates[stage][kind]
        function_of_role = {}
        for fn in resources(raw, "AWS::Lambda::Function").values():
            function_of_role[fn["Properties"]["Role"]["Fn::GetAtt"][0]] = fn["Properties"].get(
                "FunctionName"
            )
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if env.get("STRATIGOS_STORE_BACKEND") != "aws":
                continue
            functions += 1
            named = json.dumps(env["STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET"])
            assert "ModelArtifactsBucket" in named
        for policy in identity_policies(raw).values():
            stmts = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if "ModelArtifactsBucket" in json.dumps(s["Resource"])
            ]
            if not stmts:
                continue
            (role,) = policy["Properties"]["Roles"]
            function = function_of_role.get(role["Ref"])
            own = str(function).removeprefix(f"stratigos-{stage}-")
            name = SAGEMAKER_ROLES.get(role["Ref"][:-8], own)  # SageMaker's by logical id
            assert name in ("api", "worker", "pipeline", "estimates", "cleanup"), (kind, function)
            holders.add(name)
            expected = PURGE_MODEL_ACTIONS if name == "cleanup" else STORE_ACCESS[name].models
            assert actions_of(stmts) == set(expected)
            for stmt in stmts:
                for resource in as_list(stmt["Resource"]):
                    bucket, pattern = resource["Fn::Join"][1]
                    assert pattern == "/strategy-models/*", resource
                    assert "ModelArtifactsBucket" in bucket["Fn::ImportValue"], resource
    assert holders == {"api", "worker", "pipeline", "estimates", "cleanup"}  # cleanup: the purge
    assert functions >= 4


@pytest.mark.parametrize("stage", STAGES)
def test_the_research_index_bucket_is_the_api_s_the_worker_s_and_the_cleanup_s(
    synthesized: Synthesized, stage: str
) -> None:
    """The index bucket is neither versioned nor moved out of Standard (searches read it and
    the cleanup deletes LanceDB's old files); the API (uploads, search, the chat) and the worker
    (the workflow's market analysis) name it and may read and write its `index/` objects, the
    cleanup (old versions, `store.lance_versions`) read, write and delete them; no other role."""
    foundation = synthesized.templates[stage]["foundation"]
    (props,) = [
        v["Properties"]
        for k, v in resources(foundation, "AWS::S3::Bucket").items()
        if k.startswith("ResearchIndexBucket")
    ]
    assert "VersioningConfiguration" not in props
    assert all("Transitions" not in r for r in props["LifecycleConfiguration"]["Rules"])
    assert (
        props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    )
    names: set[str] = set()
    for kind in KINDS:
        raw = synthesized.templates[stage][kind]
        for fn in resources(raw, "AWS::Lambda::Function").values():
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if "STRATIGOS_RESEARCH_INDEX_URI" in env:
                names.add(fn["Properties"]["FunctionName"])
                assert "ResearchIndexBucket" in json.dumps(env["STRATIGOS_RESEARCH_INDEX_URI"])
        homes = {"api": "api", "compute": "worker", "operations": "cleanup"}
        allowed = (
            [{"Ref": role_of(raw, f"stratigos-{stage}-{homes[kind]}")}] if kind in homes else []
        )
        granted = []  # a role's statements may span its policies (CDK's overflow policies)
        for policy in identity_policies(raw).values():
            stmts = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if "ResearchIndexBucket" in json.dumps(s["Resource"])
            ]
            roles = policy["Properties"].get("Roles", [])
            if not any(role in roles for role in allowed):
                assert stmts == [], (kind, roles)
                continue
            granted += stmts
        if allowed:
            actions = actions_of(granted)
            assert {"s3:GetObject*", "s3:List*", "s3:PutObject"} <= actions
            assert ("s3:DeleteObject*" in actions) == (kind == "operations"), (kind, actions)
            for stmt in granted:
                for resource in as_list(stmt["Resource"]):
                    if "Fn::Join" in resource:
                        assert resource["Fn::Join"][1][1] == "/index/*", resource
    assert names == {f"stratigos-{stage}-{name}" for name in ("api", "worker", "cleanup")}


# -- compute -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_compute_queue_dead_letter_queue_and_worker(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["compute"]
    queues = resources(raw, "AWS::SQS::Queue")
    dlq_id = next(
        k
        for k, v in queues.items()
        if v["Properties"]["QueueName"] == f"stratigos-{stage}-jobs-dlq"
    )
    queue_id = next(
        k for k, v in queues.items() if v["Properties"]["QueueName"] == f"stratigos-{stage}-jobs"
    )
    queue = queues[queue_id]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    for q in queues.values():
        assert "Fn::ImportValue" in q["Properties"]["KmsMasterKeyId"]  # the foundation key
    mapping = one(
        raw, "AWS::Lambda::EventSourceMapping", EventSourceArn={"Fn::GetAtt": [queue_id, "Arn"]}
    )
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    worker = function_by_name(raw, f"stratigos-{stage}-worker")
    assert worker["ImageConfig"]["Command"] == ["jobs.lambda_handlers.sqs_worker"]
    assert worker["Timeout"] == 900
    # the queue outlives a worker's run before redelivering the message
    assert queue["VisibilityTimeout"] >= worker["Timeout"]


@pytest.mark.parametrize("stage", STAGES)
def test_compute_worker_environment_matches_the_backend(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["compute"]
    env = function_by_name(raw, f"stratigos-{stage}-worker")["Environment"]["Variables"]
    assert env["STRATIGOS_STORE_BACKEND"] == "aws"
    assert env["STRATIGOS_STORE_TABLE_PREFIX"] == f"stratigos-{stage}-"
    assert env["STRATIGOS_MODEL_PROVIDER"] == "bedrock"
    assert env["STRATIGOS_DATA_DIR"] == "/tmp/stratigos"
    # numba's cache and CPU target are the image's (its ENV: tests/infra/test_images.py)
    assert [name for name in env if name.startswith("NUMBA_")] == []
    backend = stage_config(stage).compute_backend
    assert env["STRATIGOS_COMPUTE_BACKEND"] == backend
    statements_ = policies_of_role(raw, role_of(raw, f"stratigos-{stage}-worker"))
    sagemaker = [s for s in statements_ if "sagemaker:CreateProcessingJob" in as_list(s["Action"])]
    if backend == "local":
        assert "STRATIGOS_COMPUTE_SAGEMAKER_ROLE_ARN" not in env
        assert sagemaker == []
        return
    role_id = next(iter(k for k in resources(raw, "AWS::IAM::Role") if "ProcessingRole" in k))
    assert env["STRATIGOS_COMPUTE_SAGEMAKER_ROLE_ARN"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert "STRATIGOS_COMPUTE_SAGEMAKER_BUCKET" in env
    assert env["STRATIGOS_COMPUTE_SAGEMAKER_IMAGE_URI"]  # the processing image asset
    assert env["STRATIGOS_COMPUTE_SAGEMAKER_JOB_NAME_PREFIX"] == f"stratigos-{stage}-batch"
    (stmt,) = sagemaker
    assert render(stmt["Resource"]) == (
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/stratigos-{stage}-batch-*"
    )
    (pass_role,) = [s for s in statements_ if as_list(s["Action"]) == ["iam:PassRole"]]
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


@pytest.mark.parametrize("stage", STAGES)
def test_processing_role_is_least_privilege(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["compute"]
    role_id, role = next(
        (k, v) for k, v in resources(raw, "AWS::IAM::Role").items() if "ProcessingRole" in k
    )
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert "ManagedPolicyArns" not in role["Properties"]
    stmts = policies_of_role(raw, role_id)
    services = {a.split(":")[0] for a in actions_of(stmts)}
    assert services == {"s3", "kms", "ecr", "logs", "cloudwatch"}
    for stmt in stmts:
        if any(a.startswith("s3:Put") for a in as_list(stmt["Action"])):
            # writes only under the shard prefix
            resource = json.dumps(stmt["Resource"])
            assert resource.endswith('"/stratigos/compute/*"]]}'), resource


@pytest.mark.parametrize("stage", STAGES)
def test_processing_image_asset(synthesized: Synthesized, stage: str) -> None:
    assets = json.loads((synthesized.outdir / f"stratigos-{stage}-compute.assets.json").read_text())
    files = {a["source"]["dockerFile"] for a in assets["dockerImages"].values()}
    assert files == {"infra/docker/processing.Dockerfile", "infra/docker/lambda.Dockerfile"}


def test_the_web_files_are_staged_in_the_assembly_and_no_temporary_copy_is_left(
    synthesized: Synthesized,
) -> None:
    """The edge's bucket deployment ships the page (with plotly's version) and the static files
    from the cloud assembly, and the directory it was made from is gone (`infra.stacks.edge`)."""
    assert scratch_left(synthesized.outdir.parent) == []
    edge = synthesized.stages["prod"].stacks["edge"].stack_name
    assets = json.loads((synthesized.outdir / f"{edge}.assets.json").read_text())
    staged = [
        synthesized.outdir / asset["source"]["path"]
        for asset in assets["files"].values()
        if (synthesized.outdir / asset["source"]["path"] / "index.html").is_file()
    ]
    [web] = staged
    assert version("plotly") in (web / "index.html").read_text(encoding="utf-8")
    assert (web / "static" / "vendor" / "plotly.min.js").stat().st_size > 1_000_000
