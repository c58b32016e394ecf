"""Synthesizing the CDK app in process (node, no CDK CLI) for the infra tests.

All stages go into one `App` (account 123456789012, us-east-1, the context of
`infra/cdk.json`), with production once more as the instance `options` with every option on
(custom domain, backup copies and replicas in another region, provisioned concurrency, the
market data refreshed from Alpaca, backups copied to another account's vault too), and the dev
stage
once more as a pull request's instance (`PREVIEW`), synthesized once into a temporary cloud
assembly. CDK writes under `$HOME`
and jsii unpacks its runtime (~200 MB) into `JSII_RUNTIME_PACKAGE_CACHE_ROOT`; while `aws_cdk`
is first imported (the jsii node process starts then and keeps that environment) `HOME` points
into the session's temporary directory and the jsii cache into `JSII_CACHE` (under the system
temporary directory, kept between sessions: unpacking costs ~10 s, deleting it as long), and the
previous environment is restored afterwards. `aws_cdk` is imported only inside `synthesize`, so
collecting the tests starts no node process.

That node process also runs with `CDK_VALIDATION=false`: aws-cdk-lib's built-in CloudFormation
validation (a WebAssembly rule engine run at every synthesis) is off in the tests' apps. Its
findings are only warnings (the app does not set `@aws-cdk/core:validateAgainstDefaultRules`) that
no test reads, the tests' check of the templates being cfn-lint (tests/infra/test_cfn_lint.py), and
it was two thirds of the CPU of a synthesis (~26 of ~40 s). `make cdk-synth` and `cdk synth` keep
it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.completeness import STAND_INS
from tests.support.scratch import disk_tempdir

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGES = ("dev", "staging", "prod")
KINDS = ("foundation", "compute", "api", "operations")
"""The stacks every stage has (others, such as `network`, depend on the stage's options)."""
SLACK = {"slack_workspace_id": "T0123ABCD", "slack_channel_id": "C0123ABCD"}
REPOSITORY = "stratigos/stratigos"
PRODUCTION = {k: v for k, v in STAND_INS.items() if k not in ("account", "region")}
"""What production cannot synthesize without (`infra.completeness`), as its own context."""
DOMAIN = f"options.{PRODUCTION['hosted_zone_name']}"
"""The custom domain of the `OPTIONS` instance (production has its own)."""
CONTEXT = {
    "account": ACCOUNT,
    "region": REGION,
    **SLACK,
    "stage:prod": PRODUCTION,
    "github_repository": REPOSITORY,
    "delivery": "prod",
    "audit": "true",
}
"""Context of the test app besides `infra/cdk.json`'s: every stage also alarms to Slack,
production has what it needs, and the account stacks (the production account's delivery stack,
CloudTrail and AWS Config) are there."""
OPTIONS = "options"
"""The key of one more stage in the test app: production with every option the stages leave off
(`OPTION_OVERRIDES`), as the instance `stratigos-options-...` beside the three."""
REPLICA_REGION = "us-west-2"
OPTION_OVERRIDES = {
    "instance": OPTIONS,
    "domain_name": DOMAIN,
    "replica_region": REPLICA_REGION,
    "bucket_replication": "true",
    "table_replicas": "global",
    "api_provisioned_concurrency": "2",
    "market_data_refresh": "alpaca",
    "market_data_owner": "alice",
    "fallback_strong_model_id": "us.anthropic.claude-opus-5-5",
    "backup_copy_vault_arn": "arn:aws:backup:us-west-2:210987654321:backup-vault:stratigos-copies",
}
FAILOVER_NAME = f"api.{str(PRODUCTION['hosted_zone_name']).rstrip('.')}"
"""The API's failover name of production in `API_FAILOVER` (a name in its hosted zone)."""
API_FAILOVER = {"api_failover_domain": FAILOVER_NAME}
"""Production with the API's failover name (`infra.failover`; its default recovery: backup copies
in the replica region, no replicas): the primary; with `failover=true` as well, the standby."""
REPLICA_FAILOVER = {
    "replica_region": REPLICA_REGION,
    "bucket_replication": "true",
    "table_replicas": "manual",  # production's tables, given their replicas by hand
    "failover": "true",
}
"""Production failed over to the replica region, onto its replicas (`infra.stacks.replication`)."""
PREVIEW = "pr-7"
"""The key of one more stage in the test app: the dev stage as a pull request's instance
(`.github/workflows/preview.yml`), beside the dev stage itself."""
JSII_CACHE = disk_tempdir() / f"stratigos-jsii-cache-{os.getuid()}"
_ISOLATED = (
    "HOME",
    "JSII_RUNTIME_PACKAGE_CACHE_ROOT",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEFAULT_REGION",
    "CDK_OUTDIR",
    "CDK_CONTEXT_JSON",
    "CDK_VALIDATION",
)


@contextmanager
def isolated_cdk_environment(root: Path, jsii_cache: Path = JSII_CACHE) -> Iterator[None]:
    """`HOME` inside `root`, the jsii cache in `jsii_cache`, node 20's end-of-life banner
    silenced, CDK's built-in template validation off (see the module docstring), no ambient CDK
    account/region/context; the previous values come back on exit."""
    saved = {name: os.environ.get(name) for name in _ISOLATED}
    (root / "home").mkdir(parents=True, exist_ok=True)
    jsii_cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in _ISOLATED:
        os.environ.pop(name, None)
    os.environ["HOME"] = str(root / "home")
    os.environ["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] = str(jsii_cache)
    os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    os.environ["CDK_VALIDATION"] = "false"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def app_scratch(root: Path) -> Iterator[None]:
    """Python's temporary files in `root/scratch` while an app is built and synthesized (jsii's
    own runtime directory, made when `aws_cdk` is first imported, is not among them): what the
    app leaves there is its leak (`scratch_left`)."""
    saved = tempfile.tempdir
    (root / "scratch").mkdir(parents=True, exist_ok=True)
    tempfile.tempdir = str(root / "scratch")
    try:
        yield
    finally:
        tempfile.tempdir = saved


def scratch_left(root: Path) -> list[str]:
    """What the app built in `app_scratch(root)` left in its temporary directory."""
    return sorted(path.name for path in (root / "scratch").iterdir())


@dataclass(frozen=True)
class Synthesized:
    """The synthesized cloud assembly: templates by stage and stack kind, the app's stacks."""

    outdir: Path
    templates: dict[str, dict[str, dict[str, Any]]]
    """Every stack's template by stage and kind (`network`, `foundation`, ...: the stage's)."""
    stages: dict[str, Any]  # stage -> infra.stages.StageStacks
    findings: list[tuple[str, str, str]]
    """What cdk-nag's AwsSolutions pack reports on the app after the accepted wildcards are
    acknowledged (`infra.nag`): (rule, severity, construct path)."""
    acknowledged: int
    """IAM5 wildcard findings acknowledged by `infra.nag.WILDCARDS`."""

    def template(self, stage: str, kind: str) -> Any:
        """`aws_cdk.assertions.Template` of one stack."""
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[stage][kind])


def synthesize(workdir: Path) -> Synthesized:
    """Every stage of the app, production with every option (`OPTIONS`) and a pull request's
    instance of dev (`PREVIEW`), synthesized into `workdir/cdk.out` (HOME in `workdir`)."""
    outdir = workdir / "cdk.out"
    with isolated_cdk_environment(workdir):
        from aws_cdk import App

        from infra.config import stage_config
        from infra.context import cdk_context
        from infra.nag import acknowledge_wildcards, findings
        from infra.stages import add_stage, build_app, context_overrides

        with app_scratch(workdir):
            app = App(outdir=str(outdir), context={**cdk_context(), **CONTEXT})
            stages = build_app(app, STAGES)
            options = stage_config("prod", {**context_overrides(app, "prod"), **OPTION_OVERRIDES})
            stages[OPTIONS] = add_stage(app, options)
            preview = stage_config("dev", {**context_overrides(app, "dev"), "instance": PREVIEW})
            stages[PREVIEW] = add_stage(app, preview)
            app.synth()
            acknowledged = acknowledge_wildcards(app)
            found = findings(app)
    templates = {
        stage: {
            kind: json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
            for kind, stack in stages[stage].stacks.items()
        }
        for stage in (*STAGES, OPTIONS, PREVIEW)
    }
    templates["account"] = {
        kind: json.loads((outdir / f"stratigos-{kind}.template.json").read_text())
        for kind in ("delivery", "audit")
    }
    return Synthesized(outdir, templates, stages, found, acknowledged)


def synthesize_production(workdir: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """Production with `overrides`, synthesized on its own into `workdir/cdk.out` (its stacks
    have production's names, so it cannot join the app of `synthesize`): templates by kind
    (`templates`), the stacks (`stacks`), cdk-nag's findings (`findings`)."""
    outdir = workdir / "cdk.out"
    with isolated_cdk_environment(workdir):
        from aws_cdk import App

        from infra.config import stage_config
        from infra.context import cdk_context
        from infra.nag import acknowledge_wildcards, findings
        from infra.stages import add_stage, context_overrides

        app = App(outdir=str(outdir), context={**cdk_context(), **CONTEXT})
        stage = add_stage(
            app, stage_config("prod", {**context_overrides(app, "prod"), **overrides})
        )
        app.synth()
        acknowledge_wildcards(app)
        found = findings(app)
    templates = {
        kind: json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
        for kind, stack in stage.stacks.items()
    }
    return {"templates": templates, "stacks": stage.stacks, "findings": found}
