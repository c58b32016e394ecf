"""A stage's options of the failover without hands (`infra.failover`; docs/DEPLOY.md), kept
apart from `infra.config.StageConfig`, which inherits them, with their checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class FailoverOptions:
    """The fields `StageConfig` takes from here."""

    api_failover_domain: str | None = None
    """The API's name served from whichever region is healthy (`api.example.com`, in
    `hosted_zone_id`/`hosted_zone_name`; needs `replica_region`): the stage's deployment answers
    it as the Route 53 failover record's PRIMARY, health-checked on its `/v1/health`, and the
    failover deployment in `replica_region` as its SECONDARY (docs/DEPLOY.md, "Failover without
    hands")."""
    standby_restore_after_minutes: int = 15
    """Minutes the primary's health check must fail before the standby's data is restored from
    the backup copies (a stage whose data has no replicas); DNS fails over after 150 s."""


class StageConfig(Protocol):
    """What these checks read of an `infra.config.StageConfig` (which imports this module)."""

    @property
    def failover(self) -> bool: ...
    @property
    def backup(self) -> bool: ...
    @property
    def bucket_replication(self) -> bool: ...
    @property
    def table_replicas(self) -> str: ...
    @property
    def hosted_zone_id(self) -> str | None: ...
    @property
    def hosted_zone_name(self) -> str | None: ...
    @property
    def api_failover_domain(self) -> str | None: ...
    @property
    def standby_restore_after_minutes(self) -> int: ...


def has_replicas(config: StageConfig) -> bool:
    """Whether the data replicates continuously to `replica_region` (buckets and tables)."""
    return config.bucket_replication and config.table_replicas != "off"


def restores_standby(config: StageConfig) -> bool:
    """Whether a failover brings the standby's data back from the backup copies (the API fails
    over, and the data has copies but no replicas)."""
    return bool(config.api_failover_domain and config.backup and not has_replicas(config))


def check_failover_options(config: StageConfig, replica: str | None) -> None:
    """`ValueError` naming the field when a failover lacks what it runs on (`replica`: the
    replica region, resolved or `auto`)."""
    if config.failover and not (has_replicas(config) or config.backup):
        raise ValueError(
            "failover needs bucket_replication and table_replicas (the replicas it runs on), "
            "or backup (its data restored from the copies)"
        )
    if config.api_failover_domain is not None:
        if not (config.hosted_zone_id and config.hosted_zone_name and replica):
            raise ValueError(
                "api_failover_domain needs hosted_zone_id, hosted_zone_name (its zone) and "
                "replica_region (the standby's region)"
            )
        zone = config.hosted_zone_name.rstrip(".")
        if not config.api_failover_domain.rstrip(".").endswith(f".{zone}"):
            raise ValueError(f"api_failover_domain must be a name in {zone}")
    if not 1 <= config.standby_restore_after_minutes <= 1440:
        raise ValueError("standby_restore_after_minutes must be in 1..1440")
