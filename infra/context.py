"""The CDK app's context and the check of a stage's settings, without the CDK itself.

Nothing here imports `aws_cdk` (whose import starts node and loads aws-cdk-lib, seconds of CPU),
so that `python -m infra.app` (what `cdk synth` runs) refuses a stage it cannot synthesize
(`infra.completeness`, or a setting `StageConfig` refuses) before the CDK is loaded:
`launch_context` reads the context as the app's `App` will (`infra/cdk.json`'s feature flags,
then the CLI's `CDK_CONTEXT_JSON`, then the file `CONTEXT_OVERFLOW_LOCATION_ENV` names, where
the CLI puts a context too long for the environment), and `first_refusal` checks the first
stage the app builds as `infra.stages.add_stage` will.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.completeness import STAND_INS, IncompleteStage, missing_settings
from infra.config import STAGE_NAMES, StageConfig, stage_config

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"
CONTEXT_ENV = "CDK_CONTEXT_JSON"
"""Where the CDK CLI passes the context to the app (aws-cdk-lib's `cxapi.CONTEXT_ENV`)."""
CONTEXT_OVERFLOW_ENV = "CONTEXT_OVERFLOW_LOCATION_ENV"
"""The file of the context the CLI could not fit in `CONTEXT_ENV` (`cxapi`'s name too)."""


def cdk_context() -> dict[str, Any]:
    """The feature flags of `infra/cdk.json` (the CLI passes them; an `App` made in Python
    needs them too: the stacks rely on them), and the zones of the stand-ins' account
    (`infra.completeness.STAND_INS`), which no lookup can ask AWS for."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    account, region = STAND_INS["account"], STAND_INS["region"]
    zones = [f"{region}{zone}" for zone in "abc"]
    return context | {f"availability-zones:account={account}:region={region}": zones}


def launch_context() -> dict[str, Any] | None:
    """The context of `App(context=cdk_context())` in this process, read as aws-cdk-lib's
    `App` reads it (the defaults, then `CONTEXT_ENV`'s object, then the overflow file's, each
    over the one before); None when the environment's or the file's cannot be read as an
    object (the `App` itself then fails as it always has)."""
    context = cdk_context()
    try:
        given = json.loads(os.environ.get(CONTEXT_ENV) or "{}")
        location = os.environ.get(CONTEXT_OVERFLOW_ENV)
        overflow = json.loads(Path(location).read_text()) if location else {}
    except (OSError, ValueError):
        return None
    if not isinstance(given, dict) or not isinstance(overflow, dict):
        return None
    return context | given | overflow


def stage_overrides(get: Callable[[str], Any], stage: str | None = None) -> dict[str, Any]:
    """The `StageConfig` fields the context read by `get` (a context value by its key, None when
    unset) sets (`-c alarm_email=...`), as given, with those of the object `stage:<stage>` (a
    JSON string from the CLI) over them."""
    fields = StageConfig.__dataclass_fields__
    found = {name: get(name) for name in fields if get(name) is not None}
    if stage == "prod" and truthy(get("stand_ins")):
        found = STAND_INS | found  # a checked-only synthesis (infra.completeness.STAND_INS)
    own = get(f"stage:{stage}") if stage else None
    if isinstance(own, str):
        try:
            own = json.loads(own)
        except ValueError as exc:
            raise ValueError(f"context stage:{stage} is not a JSON object: {exc}") from exc
    if own is not None and not isinstance(own, dict):
        raise ValueError(f"context stage:{stage} must be an object of StageConfig fields")
    return found | {name: value for name, value in (own or {}).items() if name in fields}


def truthy(value: Any) -> bool:
    """Whether a context value says yes (`true`, `1`, `yes`, or True)."""
    return str(value or "").lower() in ("true", "1", "yes")


def chosen_stages(get: Callable[[str], Any]) -> list[str]:
    """The stages the app builds: the `stage` context value, else every stage."""
    chosen = get("stage")
    return [chosen] if chosen else list(STAGE_NAMES)


def checked(config: StageConfig, account: str | None) -> StageConfig:
    """`config` with `replica_region=auto` resolved for the stage's region; `IncompleteStage`
    when production lacks a setting it needs (`infra.completeness`)."""
    home = config.region or os.environ.get("CDK_DEFAULT_REGION")
    missing = missing_settings(config, account, home)
    if missing:
        raise IncompleteStage(config, missing)
    return config.with_replica_region(home)


def first_refusal(context: dict[str, Any]) -> ValueError | None:
    """Why the first stage the app with `context` builds cannot be synthesized (what
    `infra.stages.build_app` raises before it adds a construct: a setting `StageConfig`
    refuses, or `IncompleteStage`), None when it can. Only the first stage: one after it is
    checked once the stages before it are built, where the CDK may refuse first."""
    (first, *_) = chosen_stages(context.get)
    try:
        config = stage_config(first, stage_overrides(context.get, first))
        checked(config, config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"))
    except ValueError as exc:
        return exc
    return None
