"""The CDK app: the stacks of each stage, and the account's own.

Run by the CDK CLI from `infra/` (`cdk synth`, `cdk deploy`; `cdk.json` runs
`python -m infra.app` with the repository root on `PYTHONPATH`), or directly from the repository
root: `python -m infra.app` writes the cloud assembly to `infra/cdk.out` (or `$CDK_OUTDIR`).

`-c commit=<sha>` (the deploy workflow's) becomes the API stack's output `Commit`.

Context: `-c stage=<dev|staging|prod>` synthesizes one stage (default: all three); any
`StageConfig` field can be overridden (`-c alarm_email=<address>`), for every stage, or
for one in the object `stage:<name>` (`-c 'stage:prod={"alarm_email": "<address>"}'`,
which wins). The account and region come from `-c account=` / `-c region=` or the CLI's
`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`. Production refuses to synthesize without what
`infra.completeness` names; `main` prints that, and the synthesis' warnings, without a trace.
The first stage built is checked before the CDK is loaded (`infra.context`: node and
aws-cdk-lib take seconds to start), so that refusal comes at once; the stacks are added by
`infra.stages`.

Stacks of stage `<s>`: `stratigos-<s>-foundation`, `-network` (with `network=vpc`), `-compute`,
`-api`, `-operations`, `-data`, `-edge` (with `edge`, in
us-east-1), `-recovery` (with `backup`) and `-replica` (with `replica_region` and something to
keep there, in that region, deployed before `-foundation` when the data replicates into it and
before `-recovery`, whose plan copies into it); each depends on the ones before it. With
`failover` the stage's stacks go to `replica_region` on its replicas (or on the data restored
from its copies), without `-edge`, `-recovery` or `-replica`. With `api_failover_domain`
(`infra.failover`): `-api-failover` in the deployment's region (the failover name's PRIMARY,
or SECONDARY in a failover deployment) and, when the standby's data comes from the copies,
`-standby` in `replica_region`.
Once per account, from context: `stratigos-delivery` (`github_repository` and `delivery`, the
account's stage) and `stratigos-audit` (`audit=true`). `main` synthesizes with cdk-nag (`infra.nag`).
"""

from __future__ import annotations

import os
import sys

from infra.completeness import STAND_INS
from infra.context import cdk_context, first_refusal, launch_context, truthy


def main() -> int:
    """Synthesize the app (what `cdk synth` runs): 0, or 1 after printing why a stage cannot
    be synthesized (what it lacks, or the invalid setting) on standard error, without a trace.
    Warnings go to standard error too."""
    context = launch_context()
    refused = first_refusal(context) if context is not None else None
    if refused is not None:  # before the CDK is loaded (infra.context)
        print(f"error: {refused}", file=sys.stderr)
        return 1
    from aws_cdk import App

    from infra.nag import synth_checked
    from infra.stages import DEFAULT_OUTDIR, build_app

    app = App(context=cdk_context(), outdir=os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR))
    try:
        stages = build_app(app)
    except ValueError as exc:  # IncompleteStage, or a setting StageConfig refuses
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if truthy(app.node.try_get_context("stand_ins")):
        print(
            "warning: stand_ins: production's missing settings are stand-ins "
            f"(account {STAND_INS['account']}): for checking only, never deployable",
            file=sys.stderr,
        )
    for stage in stages.values():
        for warning in stage.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    synth_checked(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
