"""cfn-lint on every synthesized template (every stack of every stage, and the account stacks):
no errors, and only the warnings listed here.

W3005 (an explicit DependsOn that a Ref/GetAtt already implies) is how CDK writes a function
that depends on its role's default policy, and the WAF association on the API stage: harmless.
W3010 (availability zones written as names) only in the network stack: a stack synthesized for
an account and region takes its VPC's zones from the account (here CDK's placeholder lookup,
`dummy1a`...), and CDK writes them as names; `make cdk-synth` (no account) writes `Fn::GetAZs`.
"""

from __future__ import annotations

import json

import pytest

from tests.support.cdk_synth import KINDS, OPTIONS, PREVIEW, REGION, STAGES, Synthesized

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ALLOWED_WARNINGS = {"W3005"}
ALLOWED_BY_KIND = {"network": {"W3010"}}


@pytest.mark.slow
@pytest.mark.parametrize("stage", [*STAGES, OPTIONS, PREVIEW, "account"])
def test_templates_pass_cfn_lint(synthesized: Synthesized, stage: str) -> None:
    """Every stack of the stage (network, edge, data, recovery included), of production with
    every option, and the account's."""
    from cfnlint.api import lint

    assert set(synthesized.templates[stage]) >= ({"audit"} if stage == "account" else set(KINDS))
    problems = []
    for kind, body in synthesized.templates[stage].items():
        template = json.dumps(body)
        for match in lint(template, regions=[REGION]):
            rule = match.rule.id
            allowed = ALLOWED_WARNINGS | ALLOWED_BY_KIND.get(kind, set())
            if rule.startswith("E") or (rule.startswith("W") and rule not in allowed):
                problems.append(f"{kind}: {rule} {match.message} (line {match.linenumber})")
    assert problems == []
