"""Failover without hands: Route 53 moves the API to the standby region when the primary's
readiness fails, and the standby's data comes back from the backup copies by itself
(docs/DEPLOY.md, "Failover without hands"; seed 002: "Route 53 health checks redirect traffic
to the secondary region").

With `api_failover_domain` (a name in the stage's hosted zone, `api.example.com`):

- Stack `stratigos-<stage>-api-failover` (`ApiFailoverStack`), in each deployment's region: an
  ACM certificate for the name (DNS-validated in the zone), the API's regional custom domain on
  it (TLS 1.2, mapped to the REST API's stage) and the name's failover alias record: PRIMARY in
  the stage's deployment, SECONDARY in its failover deployment (`failover=true`, the standby in
  `replica_region`). The PRIMARY carries a Route 53 health check of the primary's own REST API
  address, `GET /<stage>/v1/health` over HTTPS every `CHECK_INTERVAL_S` seconds, unhealthy after
  `FAILURE_THRESHOLD` failures in a row: readiness, 503 when the store cannot be read or
  written (docs/api.md), so a region whose API or data is down fails it. Route 53 then
  answers the name with the SECONDARY (alias TTL 60 s): `FAILOVER_SECONDS` at worst, and back to
  the PRIMARY by itself once it is healthy again. The alarm `<prefix>-primary-unhealthy`
  (Route 53 publishes health-check metrics in us-east-1 only, so the stage must be there)
  tells the alarm topic after `standby_restore_after_minutes` of failure, and again when it
  recovers.
- With `restores_standby` (the data has backup copies in `replica_region` but no replicas;
  production's default): the alarm's ALARM state is forwarded to `replica_region`'s default
  event bus, where stack `stratigos-<stage>-standby` (`StandbyRestoreStack`) starts the state
  machine `<prefix>-standby-restore`. It restores the newest completed copy of each of the
  three tables and four buckets from the vault `<prefix>-replica` under the names the failover
  deployment reads (the tables' own names, the buckets' replica names, all with the replica
  key), in parallel, and waits for each restore job (`RESTORE_POLL_S`). Started by hand with
  `{"suffix": "-drill"}` it restores under names ending so (the drill); a target that exists
  fails its restore job, so a second start changes nothing.

What it gives: on replicas, RPO the replication's (tables seconds, buckets 15 minutes) and RTO
`FAILOVER_SECONDS`; on the backup copies, RPO and RTO `infra.stacks.recovery.RPO_HOURS` and
`RTO_HOURS` (1 h, 4 h: the last hourly copy; the wait, then the restore, which the drill times).

The failover deployment itself (`-c failover=true`, docs/DEPLOY.md) is deployed ahead of time
and stays idle (warm-but-idle: functions and APIs cost nothing while unused; the VPC's NAT
gateways and endpoints do): on replicas it serves at once, on copies once the restore is done
(its readiness answers 503 until then).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.config import StageConfig
from infra.failover_options import restores_standby
from infra.nag import acknowledge
from infra.stacks.api import ApiStack
from infra.stacks.foundation import FoundationStack
from infra.stacks.replication import (
    REPLICATED,
    replica_bucket_name,
    replica_key_parameter,
    replica_vault_name,
)

HEALTH_PATH = "v1/health"
"""The readiness route the health check requests (open without authentication)."""
CHECK_INTERVAL_S = 30
FAILURE_THRESHOLD = 3
ALIAS_TTL_S = 60
"""The TTL Route 53 gives an alias of an API Gateway regional domain."""
FAILOVER_SECONDS = CHECK_INTERVAL_S * FAILURE_THRESHOLD + ALIAS_TTL_S
"""At worst, from the primary's failure to clients resolving the standby (150 s)."""
METRICS_REGION = "us-east-1"
"""Where Route 53 publishes its health checks' metrics (and so where their alarms can be)."""
RESTORE_POLL_S = 60
STATE_CHANGE = "CloudWatch Alarm State Change"


def alarm_name(config: StageConfig) -> str:
    """The primary's health alarm, `<prefix>-primary-unhealthy`."""
    return f"{config.prefix}-primary-unhealthy"


def restore_machine_name(config: StageConfig) -> str:
    """The standby's restore state machine, `<prefix>-standby-restore`."""
    return f"{config.prefix}-standby-restore"


def _alarm_arn(stack: Stack, config: StageConfig, region: str) -> str:
    return stack.format_arn(
        service="cloudwatch",
        region=region,
        resource="alarm",
        resource_name=alarm_name(config),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def _alarm_pattern(arn: str) -> events.EventPattern:
    """The primary's health alarm going into ALARM."""
    return events.EventPattern(
        source=["aws.cloudwatch"],
        detail_type=[STATE_CHANGE],
        resources=[arn],
        detail={"state": {"value": ["ALARM"]}},
    )


class ApiFailoverStack(Stack):
    """The API's failover name in one deployment's region (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: ApiStack,
        topic: sns.ITopic,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        assert config.api_failover_domain and config.hosted_zone_id and config.hosted_zone_name
        self.config = config
        name = config.api_failover_domain.rstrip(".")
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
        )
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.domain = apigw.DomainName(
            self,
            "Domain",
            domain_name=name,
            certificate=certificate,
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
            mapping=api.rest_api,
        )
        self.role = "SECONDARY" if config.failover else "PRIMARY"
        self.health_check: route53.CfnHealthCheck | None = None
        self.alarm: cloudwatch.Alarm | None = None
        if self.role == "PRIMARY":
            self.health_check = self._health_check(api)
            self.alarm = self._alarm(topic)
        self.record = route53.CfnRecordSet(
            self,
            "Record",
            hosted_zone_id=config.hosted_zone_id,
            name=f"{name}.",
            type="A",
            set_identifier=f"{config.prefix}-{self.role.lower()}",
            failover=self.role,
            health_check_id=None
            if self.health_check is None
            else self.health_check.attr_health_check_id,
            alias_target=route53.CfnRecordSet.AliasTargetProperty(
                dns_name=self.domain.domain_name_alias_domain_name,
                hosted_zone_id=self.domain.domain_name_alias_hosted_zone_id,
                evaluate_target_health=False,
            ),
        )

    def _health_check(self, api: ApiStack) -> route53.CfnHealthCheck:
        """HTTPS readiness of the primary's own REST API address (never the failover name,
        which may already point at the standby)."""
        stage = api.rest_api.deployment_stage.stage_name
        return route53.CfnHealthCheck(
            self,
            "HealthCheck",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=(
                    f"{api.rest_api.rest_api_id}.execute-api.{self.region}.{self.url_suffix}"
                ),
                resource_path=f"/{stage}/{HEALTH_PATH}",
                port=443,
                enable_sni=True,
                request_interval=CHECK_INTERVAL_S,
                failure_threshold=FAILURE_THRESHOLD,
            ),
            health_check_tags=[
                route53.CfnHealthCheck.HealthCheckTagProperty(
                    key="Name", value=f"{self.config.prefix}-primary-api"
                )
            ],
        )

    def _alarm(self, topic: sns.ITopic) -> cloudwatch.Alarm:
        """The health check failing `standby_restore_after_minutes` minutes in a row (the
        topic hears it and its recovery); with `restores_standby`, the standby's restore
        starts then."""
        config = self.config
        if not Token.is_unresolved(self.region) and self.region != METRICS_REGION:
            raise ValueError(
                f"api_failover_domain: Route 53 publishes health-check metrics in "
                f"{METRICS_REGION} only; the stage is in {self.region}"
            )
        assert self.health_check is not None
        minutes = config.standby_restore_after_minutes
        alarm = cloudwatch.Alarm(
            self,
            "PrimaryUnhealthy",
            alarm_name=alarm_name(config),
            alarm_description=(
                f"The primary API's readiness ({HEALTH_PATH}) failed for {minutes} minutes: "
                "Route 53 answers the failover name with the standby"
                + (" and the standby's data is restored" if restores_standby(config) else "")
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/Route53",
                metric_name="HealthCheckStatus",
                dimensions_map={"HealthCheckId": self.health_check.attr_health_check_id},
                statistic="Minimum",
                period=Duration.minutes(1),
                region=METRICS_REGION,
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        alarm.add_ok_action(cloudwatch_actions.SnsAction(topic))
        if restores_standby(config):
            assert config.replica_region
            bus = events.EventBus.from_event_bus_arn(
                self,
                "StandbyBus",
                self.format_arn(
                    service="events",
                    region=config.replica_region,
                    resource="event-bus",
                    resource_name="default",
                ),
            )
            events.Rule(
                self,
                "RestoreStandby",
                rule_name=f"{config.prefix}-restore-standby",
                description="The primary stayed unhealthy: restore the standby's data there",
                event_pattern=_alarm_pattern(alarm.alarm_arn),
                targets=[events_targets.EventBus(bus)],
            )
        return alarm


class StandbyRestoreStack(Stack):
    """The standby's restore from the backup copies, in `replica_region` (see the module
    docstring). `foundation`: the primary's (its buckets' ARNs, by a cross-region reference;
    its tables by name)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        primary_region: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        vault = replica_vault_name(config)
        key_arn = ssm.StringParameter.value_for_string_parameter(
            self, replica_key_parameter(config)
        )
        self.vault_arn = self.format_arn(
            service="backup",
            resource="backup-vault",
            resource_name=vault,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        backup_role = self.format_arn(
            service="iam", region="", resource="role", resource_name=f"{config.prefix}-backup"
        )
        self.targets = self._targets(foundation, primary_region, key_arn)
        checked = self._checked_restores(backup_role)
        self.machine = self._state_machine(checked, backup_role)
        events.Rule(
            self,
            "PrimaryUnhealthy",
            rule_name=f"{config.prefix}-standby-restore",
            description="The primary stayed unhealthy (its alarm, forwarded): restore the data",
            event_pattern=_alarm_pattern(_alarm_arn(self, config, primary_region)),
            targets=[
                events_targets.SfnStateMachine(
                    self.machine, input=events.RuleTargetInput.from_object({"suffix": ""})
                )
            ],
        )

    def _targets(
        self, foundation: FoundationStack, primary_region: str, key_arn: str
    ) -> list[tuple[str, str, str, dict[str, str]]]:
        """What the restore restores: each table and replicated bucket of the primary as (its
        name in the standby, the ARN of its source, the restore metadata's field naming it, the
        metadata that encrypts it with the replica key `key_arn`)."""
        config = self.config
        targets: list[tuple[str, str, str, dict[str, str]]] = []
        for table in (
            config.store_table_name,
            config.checkpoint_table_name,
            config.memory_table_name,
        ):
            source = self.format_arn(
                service="dynamodb", region=primary_region, resource="table", resource_name=table
            )
            targets.append(
                (
                    table,
                    source,
                    "TargetTableName",
                    {"encryptionType": "KMS", "kmsMasterKeyArn": key_arn},
                )
            )
        buckets = {
            "market": foundation.market_data_bucket,
            "documents": foundation.documents_bucket,
            "results": foundation.results_bucket,
            "models": foundation.model_artifacts_bucket,
        }
        for kind in REPLICATED:
            targets.append(
                (
                    replica_bucket_name(config, kind, self.account),
                    buckets[kind].bucket_arn,
                    "DestinationBucketName",
                    {
                        "NewBucket": "true",
                        "Encrypted": "true",
                        "EncryptionType": "SSE-KMS",
                        "KMSKey": key_arn,
                    },
                )
            )
        return targets

    def _checked_restores(self, backup_role: str) -> sfn.Choice:
        """The restore of every target at once (`backup_role` restoring), after the input's
        suffix is checked (a dash then 1-12 lower-case letters or digits, or none)."""
        restores = sfn.Parallel.jsonata(self, "Restore every table and bucket")
        for index, (name, source, field, extra) in enumerate(self.targets):
            restores.branch(self._branch(index, name, source, field, extra, backup_role))
        checked = sfn.Choice.jsonata(self, "A suffix of letters and digits, or none")
        checked.when(
            sfn.Condition.jsonata(
                "{% $not($exists($states.input.suffix)) or $states.input.suffix = '' or "
                "$contains($states.input.suffix, /^-[a-z0-9]{1,12}$/) %}"
            ),
            restores,
        ).otherwise(
            sfn.Fail.jsonata(
                self, "Refused", error="BadSuffix", cause="suffix: a dash then 1-12 a-z0-9"
            )
        )
        return checked

    def _state_machine(self, checked: sfn.Choice, backup_role: str) -> sfn.StateMachine:
        """The restore's state machine (from `checked`, logged and traced), allowed to read the
        replica vault's recovery points and to pass `backup_role` to AWS Backup."""
        config = self.config
        log_group = logs.LogGroup(
            self,
            "RestoreLogs",
            log_group_name=f"/stratigos/{config.name}/standby-restore",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            "Restore",
            state_machine_name=restore_machine_name(config),
            query_language=sfn.QueryLanguage.JSONATA,
            definition_body=sfn.DefinitionBody.from_chainable(checked),
            timeout=Duration.hours(12),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        )
        acknowledge(
            machine,
            f"IAM5[Resource::{self._points().replace(self.partition, '<AWS::Partition>')}]",
            "the recovery points of the stage's own replica vault, whose ids AWS Backup "
            "generates: the restore reads, and restores, the newest of each table and bucket",
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassTheBackupRole",
                actions=["iam:PassRole"],
                resources=[backup_role],
                conditions={"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}},
            )
        )
        return machine

    def _branch(
        self,
        index: int,
        name: str,
        source: str,
        field: str,
        extra: dict[str, str],
        backup_role: str,
    ) -> sfn.IChainable:
        """Restore the newest completed copy of `source` as `name` + the input's suffix, and
        wait for the restore job."""
        vault = replica_vault_name(self.config)
        target = _target_name(name)
        newest = self._backup(
            f"Newest copy {index}",
            f"Newest copy of {name}",
            "listRecoveryPointsByBackupVault",
            {"BackupVaultName": vault, "ByResourceArn": source, "MaxResults": 1000},
            [self.vault_arn],
            assign={
                "point": "{% $sort($states.result.RecoveryPoints[Status = 'COMPLETED'], "
                "function($l, $r) { $l.CreationDate < $r.CreationDate })[0].RecoveryPointArn %}"
            },
        )
        found = sfn.Choice.jsonata(self, f"Found {index}", state_name=f"A copy of {name}?")
        metadata = self._backup(
            f"Metadata {index}",
            f"How {name} was",
            "getRecoveryPointRestoreMetadata",
            {"BackupVaultName": vault, "RecoveryPointArn": "{% $point %}"},
            [self.vault_arn, self._points()],
            assign={
                "metadata": "{% $merge([$states.result.RestoreMetadata, "
                + _jsonata_object({field: target, **extra})
                + "]) %}"
            },
        )
        arguments = {"RecoveryPointArn": "{% $point %}", "IamRoleArn": backup_role}
        start = self._backup(
            f"Restore {index}",
            f"Restore {name}",
            "startRestoreJob",
            arguments | {"Metadata": "{% $metadata %}"},
            [self._points()],
            assign={"job": "{% $states.result.RestoreJobId %}"},
        )
        wait = sfn.Wait.jsonata(
            self,
            f"Wait {index}",
            state_name=f"Wait for {name}",
            time=sfn.WaitTime.duration(Duration.seconds(RESTORE_POLL_S)),
        )
        status = self._backup(
            f"Status {index}",
            f"Status of {name}",
            "describeRestoreJob",
            {"RestoreJobId": "{% $job %}"},
            ["*"],  # DescribeRestoreJob takes no resource
            outputs={"status": "{% $states.result.Status %}", "target": "{% " + target + " %}"},
        )
        done = self._done(index, name, wait)
        found.when(sfn.Condition.jsonata("{% $exists($point) %}"), metadata).otherwise(
            sfn.Fail.jsonata(
                self,
                f"No copy {index}",
                state_name=f"No copy of {name}",
                error="NoCopy",
                cause=f"the vault {vault} holds no completed copy of {source}",
            )
        )
        metadata.next(start)
        start.next(wait)
        wait.next(status)
        status.next(done)
        return newest.next(found)

    def _done(self, index: int, name: str, wait: sfn.Wait) -> sfn.Choice:
        """Whether the restore job of `name` ended: restored, failed or aborted, else `wait`
        again."""
        done = sfn.Choice.jsonata(self, f"Done {index}", state_name=f"{name} restored?")
        done.when(
            sfn.Condition.jsonata("{% $states.input.status = 'COMPLETED' %}"),
            sfn.Succeed.jsonata(self, f"Restored {index}", state_name=f"{name} restored"),
        ).when(
            sfn.Condition.jsonata("{% $states.input.status in ['FAILED', 'ABORTED'] %}"),
            sfn.Fail.jsonata(
                self,
                f"Failed {index}",
                state_name=f"{name} not restored",
                error="RestoreFailed",
                cause=f"the restore job of {name} failed or was aborted",
            ),
        ).otherwise(wait)
        return done

    def _backup(
        self,
        construct_id: str,
        state: str,
        action: str,
        parameters: dict[str, Any],
        resources: list[str],
        **results: Any,
    ) -> tasks.CallAwsService:
        """A state calling AWS Backup's `action` (its IAM action on `resources`); `results`:
        what it assigns or outputs."""
        return tasks.CallAwsService.jsonata(
            self,
            construct_id,
            state_name=state,
            service="backup",
            action=action,
            iam_action=f"backup:{action[0].upper()}{action[1:]}",
            parameters=parameters,
            iam_resources=resources,
            **results,
        )

    def _points(self) -> str:
        """The recovery points of the replica vault (their ids are generated)."""
        return self.format_arn(
            service="backup",
            resource="recovery-point",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )


SUFFIX = "$states.context.Execution.Input.suffix"
"""The execution's suffix of the names it restores to (none: the names themselves)."""


def _target_name(name: str) -> str:
    """The JSONata expression of the name `name` is restored as (with the input's suffix)."""
    return f"'{name}' & ({SUFFIX} ? {SUFFIX} : '')"


def _jsonata_object(values: dict[str, str]) -> str:
    """`values` as a JSONata object; a value that is an expression (`_target_name`) stays one,
    any other is a string literal."""

    def value(text: str) -> str:
        return text if text.startswith("'") and SUFFIX in text else f"'{text}'"

    return "{" + ", ".join(f"'{k}': {value(v)}" for k, v in values.items()) + "}"
