"""The stacks of each stage, and the account's own, added to a CDK `App` (what `infra.app`
synthesizes; the stacks, their names, regions and order are described there)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, BootstraplessSynthesizer, CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_iam as iam

from infra.checkov import skip_cdk_handlers
from infra.completeness import synthesis_warnings
from infra.config import StageConfig, stage_config
from infra.context import checked, chosen_stages, stage_overrides, truthy
from infra.failover import ApiFailoverStack, StandbyRestoreStack
from infra.failover_options import restores_standby
from infra.stacks.api import ApiStack
from infra.stacks.audit import AuditStack
from infra.stacks.compute import ComputeStack
from infra.stacks.data import DataStack
from infra.stacks.delivery import DeliveryStack
from infra.stacks.edge import EDGE_REGION, EdgeStack
from infra.stacks.foundation import FoundationStack
from infra.stacks.network import NetworkStack
from infra.stacks.operations import OperationsStack
from infra.stacks.recovery import RecoveryStack
from infra.stacks.replica import ReplicaStack

DEFAULT_OUTDIR = Path(__file__).resolve().parent / "cdk.out"


@dataclass(frozen=True)
class StageStacks:
    """The stacks of one stage, in deployment order."""

    config: StageConfig
    network: NetworkStack | None
    foundation: FoundationStack
    compute: ComputeStack
    api: ApiStack
    operations: OperationsStack
    data: DataStack | None = None
    recovery: RecoveryStack | None = None
    edge: EdgeStack | None = None
    replica: ReplicaStack | None = None
    warnings: tuple[str, ...] = ()
    """What the synthesis prints as warnings (`infra.completeness.synthesis_warnings`)."""
    api_failover: ApiFailoverStack | None = None
    standby: StandbyRestoreStack | None = None

    @property
    def stacks(self) -> dict[str, Stack]:
        """The stage's stacks by kind (`foundation`, `network`, `compute`, `api`, ...), in
        deployment order; the optional ones only when the stage has them."""
        found: dict[str, Stack | None] = {
            "foundation": self.foundation,
            "network": self.network,
            "compute": self.compute,
            "api": self.api,
            "operations": self.operations,
            "data": self.data,
            "replica": self.replica,
            "recovery": self.recovery,
            "edge": self.edge,
            "api_failover": self.api_failover,
            "standby": self.standby,
        }
        return {kind: stack for kind, stack in found.items() if stack is not None}


def add_stage(app: App, config: StageConfig) -> StageStacks:
    """Add the stacks of `config`'s stage to `app` (foundation, network, compute, api,
    operations, and as the stage says data, edge, recovery and replica), tagged
    `project=stratigos`, `stage`; `IncompleteStage` when production lacks a setting it needs
    (`infra.completeness`), `replica_region=auto` resolved for the stage's region."""
    account = config.account or os.environ.get("CDK_DEFAULT_ACCOUNT")
    config = checked(config, account)
    region = config.deploy_region or os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account or region else None
    prefix = config.prefix
    replica = add_replica(app, config, account)
    foundation = add_foundation(app, config, replica, env)
    network = add_network(app, config, foundation, env)
    compute = add_compute(app, config, foundation, network, env)
    # CloudFront's web ACL and certificate live in us-east-1, so the edge stack does: read from
    # another region, the API's address crosses regions (SSM parameters CDK writes and reads)
    cross_region = bool(config.edge and not config.failover and region and region != EDGE_REGION)
    api = ApiStack(
        app,
        f"{prefix}-api",
        cross_region_references=cross_region,
        config=config,
        foundation=foundation,
        compute=compute,
        network=network,
        env=env,
        description=f"Stratigos {config.stage}: REST and WebSocket APIs, Cognito, WAF",
    )
    if commit := app.node.try_get_context("commit"):  # what a failed smoke test rolls back to
        CfnOutput(api, "Commit", value=str(commit), description="The commit deployed")
    operations = OperationsStack(
        app,
        f"{prefix}-operations",
        config=config,
        foundation=foundation,
        compute=compute,
        api=api,
        network=network,
        env=env,
        description=f"Stratigos {config.stage}: cleanup schedule, alarms",
    )
    data = add_data(app, config, foundation, operations, network, env)
    edge = add_edge(app, config, api, account, env, cross_region)
    recovery = add_recovery(app, config, foundation, replica, env)
    api_failover, standby = add_failover(app, config, foundation, api, operations, replica, env)
    warnings = tuple(synthesis_warnings(config))
    stage = StageStacks(
        config,
        network,
        foundation,
        compute,
        api,
        operations,
        data,
        recovery,
        edge,
        replica,
        warnings,
        api_failover,
        standby,
    )
    for stack in stage.stacks.values():
        tag_and_bound(stack, config)
    return stage


def tag_and_bound(stack: Stack, config: StageConfig) -> None:
    """Tag `stack` `project=stratigos` and `stage`, and give every role in it (CDK's own
    included) the stage's permissions boundary, which the execution policy insists on."""
    Tags.of(stack).add("project", "stratigos")
    Tags.of(stack).add("stage", config.stage)
    if config.boundary:
        boundary = iam.ManagedPolicy.from_managed_policy_name(
            stack, "PermissionsBoundary", config.boundary
        )
        iam.PermissionsBoundary.of(stack).apply(boundary)


def add_network(
    app: App, config: StageConfig, foundation: FoundationStack, env: Environment | None
) -> NetworkStack | None:
    """The stage's VPC, its endpoints and security groups (with `network=vpc`), its flow logs
    encrypted with the foundation's key."""
    if config.network != "vpc":
        return None
    return NetworkStack(
        app,
        f"{config.prefix}-network",
        config=config,
        key=foundation.key,  # its flow logs'
        env=env,
        description=f"Stratigos {config.stage}: VPC, endpoints, security groups",
    )


def add_compute(
    app: App,
    config: StageConfig,
    foundation: FoundationStack,
    network: NetworkStack | None,
    env: Environment | None,
) -> ComputeStack:
    """The stage's compute: its job queue and worker, SageMaker Processing, the schedule ticks,
    the execution queue, the broker keys and the SES sender."""
    return ComputeStack(
        app,
        f"{config.prefix}-compute",
        config=config,
        foundation=foundation,
        network=network,
        env=env,
        description=f"Stratigos {config.stage}: job queue, worker, SageMaker Processing, "
        "schedule ticks, execution queue, broker keys, SES sender",
    )


def add_data(
    app: App,
    config: StageConfig,
    foundation: FoundationStack,
    operations: OperationsStack,
    network: NetworkStack | None,
    env: Environment | None,
) -> DataStack:
    """The stage's market-data ingestion (every version is written by it, the refresh's
    included), alarming on the operations stack's topic."""
    return DataStack(
        app,
        f"{config.prefix}-data",
        config=config,
        foundation=foundation,
        alarm_topic=operations.topic,
        network=network,
        env=env,
        description=f"Stratigos {config.stage}: market-data ingestion",
    )


def add_foundation(
    app: App, config: StageConfig, replica: ReplicaStack | None, env: Environment | None
) -> FoundationStack:
    """The stage's foundation stack, deployed after the replica stack when its data replicates
    there (the replicas' key and buckets exist first)."""
    foundation = FoundationStack(
        app,
        f"{config.prefix}-foundation",
        config=config,
        env=env,
        description=f"Stratigos {config.stage}: key, tables, buckets, secret",
    )
    if replica is not None and (config.bucket_replication or config.table_replicas != "off"):
        foundation.add_dependency(replica)
    return foundation


def add_edge(
    app: App,
    config: StageConfig,
    api: ApiStack,
    account: str | None,
    env: Environment | None,
    cross_region: bool,
) -> EdgeStack | None:
    """The stage's edge stack (CloudFront, its web ACL and domain; with `edge`, not in a
    failover), in us-east-1 when the stage is elsewhere (`cross_region`)."""
    if not config.edge or config.failover:
        return None
    return EdgeStack(
        app,
        f"{config.prefix}-edge",
        config=config,
        api=api,
        # a synthesis without a region (no account at hand) keeps the edge agnostic too
        env=Environment(account=account, region=EDGE_REGION) if cross_region else env,
        cross_region_references=cross_region,
        description=f"Stratigos {config.stage}: CloudFront, its web ACL and domain",
    )


def add_recovery(
    app: App,
    config: StageConfig,
    foundation: FoundationStack,
    replica: ReplicaStack | None,
    env: Environment | None,
) -> RecoveryStack | None:
    """The stage's AWS Backup stack (with `backup`, not in a failover), deployed after the
    replica stack, whose vault its plan copies into."""
    if not config.backup or config.failover:
        return None
    recovery = RecoveryStack(
        app,
        f"{config.prefix}-recovery",
        config=config,
        foundation=foundation,
        env=env,
        description=f"Stratigos {config.stage}: AWS Backup of its tables and buckets",
    )
    if replica is not None:
        recovery.add_dependency(replica)
    return recovery


def add_failover(
    app: App,
    config: StageConfig,
    foundation: FoundationStack,
    api: ApiStack,
    operations: OperationsStack,
    replica: ReplicaStack | None,
    env: Environment | None,
) -> tuple[ApiFailoverStack | None, StandbyRestoreStack | None]:
    """With `api_failover_domain` (`infra.failover`): the API's failover name in this
    deployment's region (PRIMARY, or SECONDARY in a failover deployment) and, when a failover
    restores the standby's data from the copies, the restore in `replica_region`."""
    if not config.api_failover_domain:
        return None, None
    api_failover = ApiFailoverStack(
        app,
        f"{config.prefix}-api-failover",
        config=config,
        api=api,
        topic=operations.topic,
        env=env,
        description=f"Stratigos {config.stage}: the API's failover name and health check",
    )
    if config.failover or not restores_standby(config):
        return api_failover, None
    if env is None or env.region is None or replica is None:
        raise ValueError("api_failover_domain with backup copies needs the stage's region")
    standby = StandbyRestoreStack(
        app,
        f"{config.prefix}-standby",
        config=config,
        foundation=foundation,
        primary_region=env.region,
        env=Environment(account=env.account, region=config.replica_region),
        cross_region_references=True,
        description=f"Stratigos {config.stage}: the standby's restore from the backup copies",
    )
    standby.add_dependency(replica)  # the replica key's parameter and the vault
    return api_failover, standby


def add_replica(app: App, config: StageConfig, account: str | None) -> ReplicaStack | None:
    """The stage's replica stack in `replica_region` (`infra.stacks.replica`), when there is one
    and it keeps something: backup copies, replicated buckets or the tables' replicas' key."""
    keeps = config.backup or config.bucket_replication or config.table_replicas != "off"
    if not config.replica_region or config.failover or not keeps:
        return None
    return ReplicaStack(
        app,
        f"{config.prefix}-replica",
        config=config,
        env=Environment(account=account, region=config.replica_region),
        description=f"Stratigos {config.stage}: its replicas and backup copies",
    )


def build_app(
    app: App | None = None, stages: Iterable[str] | None = None
) -> dict[str, StageStacks]:
    """Add the stacks of `stages` (default: the `stage` context value, else every stage) to
    `app` (default: a new `App`), with the other context values as `StageConfig` overrides."""
    app = app or App(outdir=os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR))
    if stages is None:
        stages = chosen_stages(app.node.try_get_context)
    built = {
        name: add_stage(app, stage_config(name, context_overrides(app, name))) for name in stages
    }
    add_account_stacks(app)
    skip_cdk_handlers(app)
    return built


def context_overrides(app: App, stage: str | None = None) -> dict[str, Any]:
    """The `StageConfig` fields the app's context sets (`-c alarm_email=...`), as given, with
    those of the object `stage:<stage>` (a JSON string from the CLI) over them
    (`infra.context.stage_overrides`)."""
    return stage_overrides(app.node.try_get_context, stage)


def add_account_stacks(app: App) -> list[Stack]:
    """The stacks an account has once, whatever its stages, when the context asks: the
    delivery stack of the account's stage (`github_repository` with `delivery`: OIDC provider,
    execution policy, GitHub roles; synthesized without the bootstrap, which it precedes) and
    CloudTrail with AWS Config (`audit`)."""
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account or region else None
    stacks: list[Stack] = []
    repository = app.node.try_get_context("github_repository")
    if repository:
        stacks.append(
            DeliveryStack(
                app,
                "stratigos-delivery",
                repository=repository,
                account_stage=app.node.try_get_context("delivery") or "",
                env=env,
                synthesizer=BootstraplessSynthesizer(),
                description="Stratigos delivery: GitHub OIDC roles, bootstrap execution policy",
            )
        )
    if truthy(app.node.try_get_context("audit")):
        stacks.append(AuditStack(app, "stratigos-audit", env=env))
    for stack in stacks:
        Tags.of(stack).add("project", "stratigos")
    return stacks
