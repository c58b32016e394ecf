"""The CDK CLI's context of one stage in a GitHub Actions job, from its environment's variables.

`python -m infra.github <stage>` writes `infra/cdk.context.json`, which the CDK CLI reads beside
`cdk.json`: `account` (`ACCOUNT`, the environment's `AWS_ACCOUNT_ID`), `region` (`REGION`),
`commit` (`COMMIT`, else `SHA`: the API stack's output `Commit`, what a failed smoke test rolls
back to) and the stage's own settings `stage:<stage>` (`SETTINGS`, the environment's
`STAGE_CONTEXT`: a JSON object of `infra.config.StageConfig` fields). A file keeps the JSON out of
shell quoting; a missing or malformed variable stops the job naming it.

`REFS` and `OIDC_SUBJECT_CLAIMS` say which refs the jobs of each environment run on and how the
repository's OIDC token names them, for the roles that trust them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONTEXT_FILE = Path(__file__).resolve().parent / "cdk.context.json"
MAIN = "refs/heads/main"
REFS: dict[str, str] = {"preview": "refs/pull/*/merge"}
"""A GitHub environment -> the ref its jobs run on (default `MAIN`), which its role in AWS
trusts (`infra.stacks.delivery`): a pull request's merge ref for `preview`; the deploy
workflow's jobs (`workflow_run` of CI on main) run on main."""
OIDC_SUBJECT_CLAIMS = ("repo", "context", "ref")
"""The repository's OIDC subject template (GitHub's `include_claim_keys`, docs/DEPLOY.md), which
puts the ref in the token's `sub`: AWS reads no claim of GitHub's but `aud` and `sub`."""


def stage_context(stage: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The context of `stage` from the variables `environ` holds (`ValueError` naming one that
    is missing or not a JSON object)."""
    missing = [name for name in ("ACCOUNT", "REGION") if not environ.get(name)]
    if missing:
        raise ValueError(
            f"{' and '.join(missing)} not set (the environment's AWS_ACCOUNT_ID, AWS_REGION)"
        )
    try:
        settings = json.loads(environ.get("SETTINGS") or "{}")
    except ValueError as exc:
        raise ValueError(f"SETTINGS (the environment's STAGE_CONTEXT) is not JSON: {exc}") from exc
    if not isinstance(settings, dict):
        raise ValueError("SETTINGS (the environment's STAGE_CONTEXT) must be a JSON object")
    context: dict[str, Any] = {
        "account": environ["ACCOUNT"],
        "region": environ["REGION"],
        f"stage:{stage}": settings,
    }
    commit = environ.get("COMMIT") or environ.get("SHA")
    if commit:
        context["commit"] = commit
    return context


def main() -> int:
    """Write the context file of the stage named by the first argument."""
    try:
        context = stage_context(sys.argv[1], os.environ)
    except (IndexError, ValueError) as exc:
        print(f"error: {exc or 'name the stage'}", file=sys.stderr)
        return 1
    CONTEXT_FILE.write_text(json.dumps(context, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
