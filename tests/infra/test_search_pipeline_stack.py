"""The search pipeline and the estimates' serverless endpoint as the CDK app creates them.

- The pipeline's definition in the template is what `pipeline_definition` generates (the one
  generator: validated offline, accepted by moto and executed step by step in
  tests/graphs/test_search_pipeline.py), its steps in the processing image built from the lock,
  their environment valid settings; its execution role runs only its steps' processing jobs and
  passes only the steps' role, which holds the run's prefix, the market data, the owners' models
  and the store actions the training step's code calls, derived from the code; the worker alone
  may start its executions and read an ended one's parameters and failure reason (derived from
  the code), and EventBridge delivers the ended executions to it.
- The endpoint is serverless with the stage's memory and concurrency, in the same image; its role
  only reads the owners' models as `services.estimates` does (derived); only the API may invoke
  it, on that endpoint's ARN, and the API is told its name.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.access import STORE_ACCESS
from infra.config import stage_config
from tests.support.cdk_synth import KINDS, STAGES, Synthesized
from tests.support.cfn_templates import (
    actions_of,
    as_list,
    function_by_name,
    identity_policies,
    one,
    policies_of_role,
    resources,
    role_of,
)
from tests.support.pipeline_schema import PIPELINE_DEFINITION
from tests.support.store_access import StoreCode, direct_store_calls

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ROOT = Path(__file__).resolve().parents[2]
# `infra.stacks.search_pipeline` (the CDK, its node process) and `jobs.pipeline` (scipy, numba:
# ~1 s) are imported by the tests that read them, not when the module is collected.


def _role_id(template: dict[str, Any], fragment: str) -> str:
    (found,) = [k for k in resources(template, "AWS::IAM::Role") if fragment in k]
    return found


def _definition(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definition document of a `PipelineDefinitionBody` (a `Fn::Join` of JSON text and
    tokens), each token as a placeholder string; and the tokens by placeholder."""
    tokens: dict[str, Any] = {}
    seen: dict[str, str] = {}
    if isinstance(body, str):
        return json.loads(body), tokens
    separator, parts = body["Fn::Join"]
    text = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
        else:  # the same token, the same placeholder
            key = json.dumps(part, sort_keys=True)
            placeholder = seen.setdefault(key, f"token-{len(seen)}-resolved-at-deployment")
            tokens[placeholder] = part
            text.append(placeholder)
    return json.loads(separator.join(text)), tokens


def _processing_image_hash(synthesized: Synthesized, stage: str) -> str:
    assets = json.loads((synthesized.outdir / f"stratigos-{stage}-compute.assets.json").read_text())
    (found,) = [
        key
        for key, asset in assets["dockerImages"].items()
        if asset["source"]["dockerFile"] == "infra/docker/processing.Dockerfile"
    ]
    return str(found)


def _store_calls(functions: set[str]) -> set[str]:
    """The store methods `services.strategy_model`'s `functions` call on their `store`."""
    tree = ast.parse((ROOT / "services" / "strategy_model.py").read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "store"
                ):
                    found.add(call.func.attr)
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_the_pipeline_is_the_generated_definition_in_the_processing_image(
    synthesized: Synthesized, stage: str
) -> None:
    from jobs.pipeline.sagemaker_definition import (
        SHARDS_PARAMETER,
        PipelineConfig,
        pipeline_definition,
        problems,
    )
    from jobs.pipeline.steps import SEARCH_PIPELINE

    raw = synthesized.templates[stage]["compute"]
    props = one(raw, "AWS::SageMaker::Pipeline", PipelineName=f"stratigos-{stage}-search")
    document, tokens = _definition(props["PipelineDefinition"]["PipelineDefinitionBody"])
    assert problems(document) == []
    jsonschema.Draft7Validator(PIPELINE_DEFINITION).validate(document)
    (first, *_) = [s for s in document["Steps"] if s["Type"] == "Processing"]
    arguments = first["Arguments"]
    image = arguments["AppSpecification"]["ImageUri"]
    role = arguments["RoleArn"]
    environment = arguments["Environment"]
    expected = pipeline_definition(
        PipelineConfig(
            image_uri=image,
            role_arn=role,
            instance_type=stage_config(stage).sagemaker_instance_type,
            environment=environment,
            shards=stage_config(stage).sagemaker_instance_count,
            network=arguments.get("NetworkConfig"),  # the stage's VPC (test_hardening.py)
        )
    )
    assert document == expected  # the one generator, whatever the tokens stand for
    # the optimization step's fleet: the stage's, by default (production: 4)
    (fleet,) = [p for p in document["Parameters"] if p["Name"] == SHARDS_PARAMETER]
    assert fleet["DefaultValue"] == stage_config(stage).sagemaker_instance_count
    assert fleet["DefaultValue"] == (4 if stage == "prod" else 1)
    names = [s.name for s in SEARCH_PIPELINE]
    found = [s["Name"] for s in document["Steps"]]
    assert found == [*names[:3], "training-if-asked", names[4]]
    assert _processing_image_hash(synthesized, stage) in json.dumps(tokens[image])
    assert tokens[role] == {"Fn::GetAtt": [_role_id(raw, "SearchPipelineStepRole"), "Arn"]}
    assert props["RoleArn"] == {"Fn::GetAtt": [_role_id(raw, "SearchPipelineExecutionRole"), "Arn"]}
    # the steps' settings: the store on AWS, the batches on the instance
    from settings import Settings, environment_values, setting_fields

    fields = {setting.env_name for setting in setting_fields(Settings)}
    assert set(environment) <= fields
    assert environment["STRATIGOS_STORE_BACKEND"] == "aws"
    assert environment["STRATIGOS_COMPUTE_BACKEND"] == "local"
    # the fleet's instances share their slices in the stage's own region
    assert environment["STRATIGOS_COMPUTE_AWS_REGION"] == environment["STRATIGOS_STORE_AWS_REGION"]
    values = {n: "filled-in-at-deployment" if v in tokens else v for n, v in environment.items()}
    Settings.model_validate(environment_values(Settings, values))


def _statements(raw: dict[str, Any], fragment: str) -> list[dict[str, Any]]:
    return policies_of_role(raw, _role_id(raw, fragment))


@pytest.mark.parametrize("stage", STAGES)
def test_the_pipelines_roles_are_least_privilege(synthesized: Synthesized, stage: str) -> None:
    from infra.stacks.search_pipeline import PIPELINE_PREFIX

    raw = synthesized.templates[stage]["compute"]
    for fragment in ("SearchPipelineExecutionRole", "SearchPipelineStepRole"):
        role = resources(raw, "AWS::IAM::Role")[_role_id(raw, fragment)]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
        assert "ManagedPolicyArns" not in role
    execution = _statements(raw, "SearchPipelineExecutionRole")
    assert actions_of(execution) == {
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
        "sagemaker:AddTags",
        "iam:PassRole",
    }
    for stmt in execution:
        resource = json.dumps(stmt["Resource"])
        if stmt["Action"] == "iam:PassRole":
            assert "SearchPipelineStepRole" in resource
            assert stmt["Condition"]["StringEquals"]["iam:PassedToService"]
        else:
            assert resource.endswith(':processing-job/pipelines-*"]]}'), resource
    steps = _statements(raw, "SearchPipelineStepRole")
    assert {a.split(":")[0] for a in actions_of(steps)} == {
        "s3",
        "kms",
        "dynamodb",
        "ecr",
        "logs",
        "cloudwatch",
    }
    access = STORE_ACCESS["pipeline"]
    for stmt in steps:
        actions, resource = as_list(stmt["Action"]), json.dumps(stmt["Resource"])
        assert "DocumentsBucket" not in resource
        if any(a.startswith("dynamodb:") for a in actions):
            (action,) = actions
            assert action in access.table
            keys = stmt["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert keys == [f"{f}*" for f in access.families[action]]
        if "ModelArtifactsBucket" in resource:
            assert set(actions) == set(access.models) and '"/strategy-models/*"' in resource
        if "ResultsBucket" in resource and any(a.startswith("s3:Put") for a in actions):
            assert resource.endswith(f'"/{PIPELINE_PREFIX}/*"]]}}'), resource
        if "MarketDataBucket" in resource:
            assert not any(a.startswith(("s3:Put", "s3:Delete")) for a in actions)


def test_the_pipelines_and_the_endpoints_store_actions_are_what_their_code_calls() -> None:
    """The training step calls `services.strategy_model.learn` (which reads the newest version
    and its file, and stores the next); the endpoint `services.estimates.estimate_strategy`,
    which reads through `owner_model` / `load_version` only."""
    code = StoreCode()
    training = _store_calls({"learn", "load_version", "owner_model"})
    assert {"put_strategy_model", "latest_strategy_model"} <= training
    needs = code.needs(training)
    access = STORE_ACCESS["pipeline"]
    assert needs.table == set(access.table) and needs.models == set(access.models)
    assert not needs.index and not needs.results and not needs.documents
    assert {a: set(f) for a, f in needs.families.items()} == {
        a: set(f) for a, f in access.families.items()
    }
    assert direct_store_calls(["services.estimates"]) == {}  # it reads through owner_model
    reading = _store_calls({"load_version", "owner_model"})
    assert "put_strategy_model" not in reading
    needs = code.needs(reading)
    access = STORE_ACCESS["estimates"]
    assert needs.table == set(access.table) and needs.models == set(access.models) == {
        "s3:GetObject"
    }
    assert {a: set(f) for a, f in needs.families.items()} == {
        a: set(f) for a, f in access.families.items()
    }


def _client_calls(module: str, functions: set[str], client: str) -> set[str]:
    """The methods `functions` of `module` (top-level or of its classes) call on `client` (a
    name or an attribute of that name: `sagemaker`, `self.sagemaker`, `pipeline`)."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
                    value = call.func.value
                    name = value.attr if isinstance(value, ast.Attribute) else None
                    name = value.id if isinstance(value, ast.Name) else name
                    if name == client:
                        found.add(call.func.attr)
    return found


def _iam(operation: str) -> str:
    """`start_pipeline_execution` -> `sagemaker:StartPipelineExecution`."""
    return "sagemaker:" + "".join(part.capitalize() for part in operation.split("_"))


@pytest.mark.parametrize("stage", STAGES)
def test_the_worker_holds_the_pipeline_calls_its_code_makes_and_no_one_else_does(
    synthesized: Synthesized, stage: str
) -> None:
    """Least privilege, derived from the code: the worker's handler starts an execution
    (`SageMakerPipeline.start`) and the completion reads the ended execution's parameters and
    failure reason; the worker's role holds exactly those calls, on this pipeline and its
    executions; no other role holds any call on pipeline executions."""
    from infra.stacks.search_pipeline import PIPELINE_PREFIX

    assert _client_calls("graphs.pipeline_jobs", {"_start_on_sagemaker"}, "pipeline") == {"start"}
    starting = _client_calls("jobs.pipeline.sagemaker_pipeline", {"start"}, "sagemaker")
    ending = _client_calls(
        "jobs.pipeline.completion", {"complete_execution", "_run_of"}, "sagemaker"
    )
    assert starting == {"start_pipeline_execution"}
    assert ending == {"list_pipeline_parameters_for_execution", "describe_pipeline_execution"}
    compute = synthesized.templates[stage]["compute"]
    worker = role_of(compute, f"stratigos-{stage}-worker")
    pipeline = f':pipeline/stratigos-{stage}-search"]]}}'
    held: dict[str, str] = {}
    for stmt in policies_of_role(compute, worker):
        for action in as_list(stmt["Action"]):
            if action.startswith("sagemaker:") and "Pipeline" in action:
                (resource,) = as_list(stmt["Resource"])
                held[action] = json.dumps(resource)
    assert set(held) == {_iam(op) for op in starting | ending}
    for operation in starting:
        assert held[_iam(operation)].endswith(pipeline)
    for operation in ending:
        assert held[_iam(operation)].endswith(pipeline.replace('"]]}', '/execution/*"]]}'))
    variables = function_by_name(compute, f"stratigos-{stage}-worker")["Environment"]["Variables"]
    assert variables["STRATIGOS_COMPUTE_PIPELINE_ENGINE"] == "sagemaker"
    assert variables["STRATIGOS_COMPUTE_PIPELINE_NAME"] == f"stratigos-{stage}-search"
    assert variables["STRATIGOS_COMPUTE_PIPELINE_PREFIX"] == PIPELINE_PREFIX
    assert "ResultsBucket" in json.dumps(variables["STRATIGOS_COMPUTE_PIPELINE_BUCKET"])
    for kind in KINDS:
        for policy in identity_policies(synthesized.templates[stage][kind]).values():
            roles = policy["Properties"].get("Roles", [])
            for stmt in policy["Properties"]["PolicyDocument"]["Statement"]:
                if [a for a in as_list(stmt["Action"]) if "PipelineExecution" in a]:
                    assert kind == "compute" and roles == [{"Ref": worker}], (kind, roles)


@pytest.mark.parametrize("stage", STAGES)
def test_the_pipelines_ended_executions_reach_the_worker(
    synthesized: Synthesized, stage: str
) -> None:
    """The rule matches this pipeline's executions that succeeded, failed or stopped, as the
    completion reads them, and delivers them to the worker, retried, undelivered ones kept."""
    from jobs.pipeline.completion import DETAIL_TYPE, ENDED

    compute = synthesized.templates[stage]["compute"]
    rule = one(compute, "AWS::Events::Rule", Name=f"stratigos-{stage}-search-ends")
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.sagemaker"] and pattern["detail-type"] == [DETAIL_TYPE]
    assert pattern["detail"]["currentPipelineExecutionStatus"] == list(ENDED)
    (arn,) = pattern["detail"]["pipelineArn"]
    assert json.dumps(arn).endswith(f':pipeline/stratigos-{stage}-search"]]}}')
    (target,) = rule["Targets"]
    worker = one(compute, "AWS::Lambda::Function", FunctionName=f"stratigos-{stage}-worker")
    (worker_id,) = [
        k
        for k, v in resources(compute, "AWS::Lambda::Function").items()
        if v["Properties"] is worker
    ]
    assert target["Arn"] == {"Fn::GetAtt": [worker_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert target["DeadLetterConfig"]["Arn"] == worker["DeadLetterConfig"]["TargetArn"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_estimates_endpoint_is_serverless_in_the_same_image(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["compute"]
    config = stage_config(stage)
    (endpoint_config,) = resources(raw, "AWS::SageMaker::EndpointConfig").values()
    (variant,) = endpoint_config["Properties"]["ProductionVariants"]
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": config.estimates_memory_mb,
        "MaxConcurrency": config.estimates_max_concurrency,
    }
    assert "InstanceType" not in variant
    (model,) = resources(raw, "AWS::SageMaker::Model").values()
    container = model["Properties"]["PrimaryContainer"]
    assert _processing_image_hash(synthesized, stage) in json.dumps(container["Image"])
    environment = container["Environment"]
    assert environment["STRATIGOS_STORE_BACKEND"] == "aws"
    from settings import Settings, environment_values

    values = {
        n: v if isinstance(v, str) else "filled-in-at-deployment" for n, v in environment.items()
    }
    Settings.model_validate(environment_values(Settings, values))  # what the container reads
    assert model["Properties"]["ExecutionRoleArn"] == {
        "Fn::GetAtt": [_role_id(raw, "EstimatesRole"), "Arn"]
    }
    one(raw, "AWS::SageMaker::Endpoint", EndpointName=f"stratigos-{stage}-estimates")
    statements = _statements(raw, "EstimatesRole")
    access = STORE_ACCESS["estimates"]
    for stmt in statements:
        actions, resource = as_list(stmt["Action"]), json.dumps(stmt["Resource"])
        assert not any(a.startswith(("s3:Put", "s3:Delete", "dynamodb:Put")) for a in actions)
        assert "ResultsBucket" not in resource
        if any(a.startswith("secretsmanager:") for a in actions):
            assert set(actions) <= {
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            }
        if "ModelArtifactsBucket" in resource:
            assert actions == ["s3:GetObject"] and '"/strategy-models/*"' in resource
        if any(a.startswith("dynamodb:") for a in actions):
            (action,) = actions
            keys = stmt["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert keys == [f"{f}*" for f in access.families[action]]


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_api_may_invoke_the_endpoint_and_it_is_told_its_name(
    synthesized: Synthesized, stage: str
) -> None:
    api = synthesized.templates[stage]["api"]
    function = function_by_name(api, f"stratigos-{stage}-api")
    name = function["Environment"]["Variables"]["STRATIGOS_API_ESTIMATES_ENDPOINT_NAME"]
    assert name == f"stratigos-{stage}-estimates"
    holders = []
    for kind in KINDS:
        raw = synthesized.templates[stage][kind]
        for policy in identity_policies(raw).values():
            for stmt in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "sagemaker:InvokeEndpoint" in as_list(stmt["Action"]):
                    assert as_list(stmt["Action"]) == ["sagemaker:InvokeEndpoint"]
                    resource = json.dumps(stmt["Resource"])
                    assert resource.endswith(f':endpoint/stratigos-{stage}-estimates"]]}}')
                    holders.append((kind, policy["Properties"]["Roles"]))
    assert holders == [("api", [{"Ref": function["Role"]["Fn::GetAtt"][0]}])]
