"""Deployed strategies on AWS (issue 17): the schedule tick, the owners' Alpaca key secrets, the
SES sender and their alarms, asserted on the synthesized stacks of every stage. The execution queue
is the store's (no queue of its own): its dead letters are counted from the worker's logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cdk_synth import ACCOUNT, KINDS, REGION, STAGES, Synthesized
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
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def logical_id(template: dict[str, Any], kind: str, **properties: Any) -> str:
    """The logical id of the single resource of `kind` whose properties include `properties`."""
    found = [
        k
        for k, v in resources(template, kind).items()
        if all(v["Properties"].get(p) == value for p, value in properties.items())
    ]
    assert len(found) == 1, f"{len(found)} {kind} with {properties}"
    return found[0]


def arn_of(resource_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [resource_id, "Arn"]}


def worker_env(raw: dict[str, Any], stage: str) -> dict[str, Any]:
    variables: dict[str, Any] = function_by_name(raw, f"stratigos-{stage}-worker")["Environment"][
        "Variables"
    ]
    return variables


def mapping_of(raw: dict[str, Any], queue_id: str) -> dict[str, Any]:
    return one(raw, "AWS::Lambda::EventSourceMapping", EventSourceArn=arn_of(queue_id))


# -- the schedule tick ---------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_schedule_ticks_the_worker_queue_with_a_dead_letter_queue(
    synthesized: Synthesized, stage: str
) -> None:
    from aws_cdk.assertions import Match

    raw = synthesized.templates[stage]["compute"]
    template = synthesized.template(stage, "compute")
    queue_id = logical_id(raw, "AWS::SQS::Queue", QueueName=f"stratigos-{stage}-schedule-ticks")
    dlq_id = logical_id(raw, "AWS::SQS::Queue", QueueName=f"stratigos-{stage}-schedule-dlq")
    role_id = logical_id(raw, "AWS::IAM::Role", RoleName=f"stratigos-{stage}-scheduler")
    group_id = logical_id(raw, "AWS::Scheduler::ScheduleGroup", Name=f"stratigos-{stage}")

    # the tick only: the stages' market data comes from files, with no refresh to schedule
    # (the refresh from Alpaca: tests/infra/test_production.py)
    template.resource_count_is("AWS::Scheduler::Schedule", 1)
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "Name": f"stratigos-{stage}-fire-due-schedules",
            "GroupName": {"Ref": group_id},
            "ScheduleExpression": "rate(1 minute)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {
                "Arn": arn_of(queue_id),
                "RoleArn": arn_of(role_id),
                "Input": Match.serialized_json({"kind": "fire_due_schedules"}),
                "DeadLetterConfig": {"Arn": arn_of(dlq_id)},
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 300},
            },
        },
    )
    # the tick queue: encrypted with the project key, failed ticks to the same dead letters
    queue = raw["Resources"][queue_id]["Properties"]
    dlq = raw["Resources"][dlq_id]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": arn_of(dlq_id), "maxReceiveCount": 3}
    for props in (queue, dlq):
        assert "Fn::ImportValue" in props["KmsMasterKeyId"]  # the foundation key
        assert "FifoQueue" not in props  # Scheduler's dead-letter queue must be standard
    worker = function_by_name(raw, f"stratigos-{stage}-worker")
    assert queue["VisibilityTimeout"] >= worker["Timeout"]  # Lambda's condition
    mapping = mapping_of(raw, queue_id)
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["FunctionName"] == {
        "Ref": logical_id(raw, "AWS::Lambda::Function", FunctionName=f"stratigos-{stage}-worker")
    }


@pytest.mark.parametrize("stage", STAGES)
def test_scheduler_role_sends_to_its_queues_only(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["compute"]
    queue_id = logical_id(raw, "AWS::SQS::Queue", QueueName=f"stratigos-{stage}-schedule-ticks")
    dlq_id = logical_id(raw, "AWS::SQS::Queue", QueueName=f"stratigos-{stage}-schedule-dlq")
    role_id = logical_id(raw, "AWS::IAM::Role", RoleName=f"stratigos-{stage}-scheduler")
    role = raw["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert render(trust["Condition"]["ArnEquals"]["aws:SourceArn"]) == (
        f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/stratigos-{stage}"
    )
    assert "ManagedPolicyArns" not in role
    assert policies_of_role(raw, role_id) == []  # inline only: in place before the schedule
    (policy,) = role["Policies"]
    stmts = policy["PolicyDocument"]["Statement"]
    assert actions_of(stmts) == {"sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"}
    sends = [s for s in stmts if as_list(s["Action"]) == ["sqs:SendMessage"]]
    assert sorted(json.dumps(s["Resource"]) for s in sends) == sorted(
        json.dumps(arn_of(q)) for q in (queue_id, dlq_id)
    )
    (kms,) = [s for s in stmts if s not in sends]
    assert "Fn::ImportValue" in kms["Resource"]  # the foundation key, through SQS only
    via = render(kms["Condition"]["StringEquals"]["kms:ViaService"])
    assert via == f"sqs.{REGION}.amazonaws.com"


@pytest.mark.parametrize("stage", STAGES)
def test_the_execution_queue_is_the_store_s_no_queue_of_its_own(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["compute"]
    names = [
        r["Properties"].get("QueueName", "") for r in resources(raw, "AWS::SQS::Queue").values()
    ]
    assert not [n for n in names if "execution" in n]
    assert "STRATIGOS_EXECUTION_QUEUE_URL" not in worker_env(raw, stage)


@pytest.mark.parametrize("stage", STAGES)
def test_worker_announces_the_jobs_it_submits(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["compute"]
    queue_id = logical_id(raw, "AWS::SQS::Queue", QueueName=f"stratigos-{stage}-jobs")
    assert worker_env(raw, stage)["STRATIGOS_JOBS_QUEUE_URL"] == {"Ref": queue_id}
    stmts = policies_of_role(raw, role_of(raw, f"stratigos-{stage}-worker"))
    assert "sqs:SendMessage" in actions_of([s for s in stmts if s["Resource"] == arn_of(queue_id)])


# -- the Alpaca keys -----------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_each_owner_s_alpaca_keys_are_readable_by_the_worker_and_the_api_only(
    synthesized: Synthesized, stage: str
) -> None:
    pattern = f"stratigos-{stage}/alpaca/{{owner}}"
    secrets = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:stratigos-{stage}/alpaca/*"
    functions = {"compute": f"stratigos-{stage}-worker", "api": f"stratigos-{stage}-api"}
    readers = []
    for kind in KINDS:
        template = synthesized.templates[stage][kind]
        assert not resources(template, "AWS::SecretsManager::Secret") or kind == "foundation"
        for policy in identity_policies(template).values():
            for stmt in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "alpaca" in json.dumps(stmt["Resource"]):
                    assert render(stmt["Resource"]) == secrets  # the owners' secrets only
                    assert set(as_list(stmt["Action"])) == {
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:DescribeSecret",
                    }
                    readers.append((kind, policy["Properties"]["Roles"]))
        if kind in functions:
            function = function_by_name(template, functions[kind])
            assert function["Environment"]["Variables"]["STRATIGOS_ALPACA_SECRET_ARN"] == pattern
    assert sorted(readers) == sorted(
        (kind, [{"Ref": role_of(synthesized.templates[stage][kind], name)}])
        for kind, name in functions.items()
    )


# -- e-mail --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_ses_identity_and_sending_scoped_to_it(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["compute"]
    sender = synthesized.stages[stage].config.notifications_email_from
    senders = []
    for kind in KINDS:
        template = synthesized.templates[stage][kind]
        for policy in identity_policies(template).values():
            for stmt in policy["Properties"]["PolicyDocument"]["Statement"]:
                if any(a.startswith("ses:") for a in as_list(stmt["Action"])):
                    senders.append((kind, policy["Properties"]["Roles"], stmt))
    env = worker_env(raw, stage)
    if sender is None:  # a stage without a sender (dev, staging here) sends no e-mail
        assert not senders and not resources(raw, "AWS::SES::EmailIdentity")
        assert not any(name.startswith("STRATIGOS_NOTIFICATIONS_") for name in env)
        return
    identity_id = logical_id(raw, "AWS::SES::EmailIdentity", EmailIdentity=sender)
    ((kind, roles, stmt),) = senders
    assert (kind, roles) == ("compute", [{"Ref": role_of(raw, f"stratigos-{stage}-worker")}])
    assert sorted(as_list(stmt["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    resource = render(stmt["Resource"])
    identity_arn = ["arn:", "aws", f":ses:{REGION}:{ACCOUNT}:identity/", {"Ref": identity_id}]
    assert resource == {"Fn::Join": ["", identity_arn]}  # the sender identity only
    assert env["STRATIGOS_NOTIFICATIONS_EMAIL_TRANSPORT"] == "ses"
    assert env["STRATIGOS_NOTIFICATIONS_EMAIL_FROM"] == sender
    assert env["STRATIGOS_NOTIFICATIONS_SES_REGION"] == REGION


# -- alarms --------------------------------------------------------------------------------


def alarm(template: dict[str, Any], name: str) -> dict[str, Any]:
    return one(template, "AWS::CloudWatch::Alarm", AlarmName=name)


def imported(value: dict[str, Any], stage: str, logical_id_prefix: str) -> bool:
    """`value` imports an output of the compute stack made from `logical_id_prefix`'s resource."""
    name = value.get("Fn::ImportValue", "")
    return (
        isinstance(name, str)
        and name.startswith(f"stratigos-{stage}-compute:ExportsOutput")
        and logical_id_prefix in name
    )


@pytest.mark.parametrize("stage", STAGES)
def test_deployment_alarms_notify_the_topic(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["operations"]
    template = synthesized.template(stage, "operations")
    topic = {"Ref": logical_id(raw, "AWS::SNS::Topic", TopicName=f"stratigos-{stage}-alarms")}
    p = f"stratigos-{stage}-"
    queue_alarms = {
        f"{p}schedule-dlq-depth": (
            "ScheduleTicksDeadLetterQueue",
            "ApproximateNumberOfMessagesVisible",
            1,
            "GreaterThanOrEqualToThreshold",
        ),
        # stuck schedules: a tick waits more than 5 minutes for the worker
        f"{p}schedule-stuck": (
            "ScheduleTicksQueue",
            "ApproximateAgeOfOldestMessage",
            300,
            "GreaterThanThreshold",
        ),
    }
    for name, (queue, metric, threshold, comparison) in queue_alarms.items():
        props = alarm(raw, name)
        assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic], name
        assert (props["Namespace"], props["MetricName"]) == ("AWS/SQS", metric), name
        assert props["Statistic"] == "Maximum" and props["Period"] == 300, name
        assert (props["Threshold"], props["ComparisonOperator"]) == (threshold, comparison)
        (dimension,) = props["Dimensions"]
        assert dimension["Name"] == "QueueName"
        assert imported(dimension["Value"], stage, queue), (name, dimension)
        assert props["TreatMissingData"] == "notBreaching"

    # dead-lettered orders and reconciliation mismatches: metric filters on the worker's logs
    template.resource_count_is("AWS::Logs::MetricFilter", 2)
    filters = {
        f["Properties"]["FilterName"]: f["Properties"]
        for f in resources(raw, "AWS::Logs::MetricFilter").values()
    }
    for event, alarm_name in (
        ("order_dead_lettered", f"{p}execution-dead-letters"),
        ("reconciliation_mismatch", f"{p}reconciliation-mismatch"),
    ):
        (metric_filter,) = [f for f in filters.values() if event in f["FilterPattern"]]
        assert imported(metric_filter["LogGroupName"], stage, "WorkerLogs")
        # the JSON formatter writes the event as a field of the line (settings.logs)
        assert metric_filter["FilterPattern"] == f'{{ $.event = "{event}" }}'
        (transformation,) = metric_filter["MetricTransformations"]
        assert transformation["MetricValue"] == "1"
        props = alarm(raw, alarm_name)
        assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
        assert (props["Namespace"], props["MetricName"]) == (
            transformation["MetricNamespace"],
            transformation["MetricName"],
        )
        assert props["Namespace"] == f"Stratigos/{stage}"
        assert props["Statistic"] == "Sum" and props["Period"] == 300
        assert props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
