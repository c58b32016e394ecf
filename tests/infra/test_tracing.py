"""The stacks' tracing: every function exports its spans to X-Ray's OTLP endpoint, with the
permission to; Transaction Search only where a stage asks for it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import stage_config
from tests.support.cdk_synth import KINDS, STAGES, Synthesized
from tests.support.cfn_templates import as_list, identity_policies, render, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def _image_functions(synthesized: Synthesized, stage: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kind in KINDS:
        template = synthesized.templates[stage][kind]
        for logical_id, fn in resources(template, "AWS::Lambda::Function").items():
            if fn["Properties"].get("PackageType") == "Image":
                found.append((kind, {"id": logical_id, **fn["Properties"]}))
    return found


def _role_actions(template: dict[str, Any], role_ref: str) -> set[str]:
    actions: set[str] = set()
    for resource in identity_policies(template).values():
        props = resource["Properties"]
        if {"Ref": role_ref} in props.get("Roles", []):
            for stmt in props["PolicyDocument"]["Statement"]:
                if stmt["Effect"] == "Allow" and "*" in as_list(stmt["Resource"]):
                    actions |= set(as_list(stmt["Action"]))
    return actions


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_sends_spans_to_xray_and_may(synthesized: Synthesized, stage: str) -> None:
    assert stage_config(stage).tracing == "xray"
    functions = _image_functions(synthesized, stage)
    assert len(functions) == 4
    for kind, fn in functions:
        variables = fn["Environment"]["Variables"]
        assert variables["STRATIGOS_TRACING"] == "xray"
        assert variables["STRATIGOS_OTEL_SERVICE_NAME"] == fn["FunctionName"]
        role = fn["Role"]["Fn::GetAtt"][0]
        actions = _role_actions(synthesized.templates[stage][kind], role)
        assert {"xray:PutSpans", "xray:PutSpansForIndexing"} <= actions, fn["FunctionName"]
    # account-wide: no stage turns Transaction Search on by default
    operations = synthesized.templates[stage]["operations"]
    assert resources(operations, "AWS::XRay::TransactionSearchConfig") == {}


def test_a_stage_with_transaction_search_creates_it_in_its_operations_stack(
    synthesized: Synthesized,
) -> None:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.context import cdk_context
    from infra.stages import add_stage

    app = App(context={**cdk_context(), "account": "123456789012", "region": "us-east-1"})
    stacks = add_stage(app, stage_config("dev", {"transaction_search": "true"}))
    template = Template.from_stack(stacks.operations)
    template.resource_count_is("AWS::XRay::TransactionSearchConfig", 1)
    template.resource_count_is("AWS::Logs::ResourcePolicy", 1)


def test_transaction_search_lets_xray_write_the_spans_log_group(synthesized: Synthesized) -> None:
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Match, Template

    from infra.stacks.monitoring import transaction_search

    stack = Stack(App(), "Search", env={"account": "123456789012", "region": "eu-west-1"})
    transaction_search(stack, "TransactionSearch")
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::XRay::TransactionSearchConfig",
        {
            "Properties": {"IndexingPercentage": 1},
            "DependsOn": Match.array_with(
                [Match.string_like_regexp("TransactionSearchLogsPolicy")]
            ),
        },
    )
    [policy] = template.find_resources("AWS::Logs::ResourcePolicy").values()
    [statement] = json.loads(render(policy["Properties"]["PolicyDocument"]))["Statement"]
    assert statement["Principal"] == {"Service": "xray.amazonaws.com"}
    assert statement["Action"] == "logs:PutLogEvents"
    assert "arn:aws:logs:eu-west-1:123456789012:log-group:aws/spans:*" in statement["Resource"]
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:xray:eu-west-1:123456789012:*"
    }


def test_tracing_settings_from_cdk_context() -> None:
    assert stage_config("dev", {"tracing": "off"}).tracing == "off"
    assert stage_config("prod", {"transaction_search": "true"}).transaction_search is True
    with pytest.raises(ValueError, match="tracing='jaeger' must be 'off' or 'xray'"):
        stage_config("dev", {"tracing": "jaeger"})
