"""cfn-lint on every synthesized template: no errors, and only the warnings listed here.

W3005 (an explicit DependsOn that a Ref/GetAtt already implies) is how CDK writes a function
that depends on its role's default policy, and the WAF association on the API stage: harmless.
"""

from __future__ import annotations

import json

import pytest

from tests.infra.synth import KINDS, REGION, STAGES, Synthesized

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ALLOWED_WARNINGS = {"W3005"}


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_templates_pass_cfn_lint(synthesized: Synthesized, stage: str) -> None:
    from cfnlint.api import lint

    problems = []
    for kind in KINDS:
        template = json.dumps(synthesized.templates[stage][kind])
        for match in lint(template, regions=[REGION]):
            rule = match.rule.id
            if rule.startswith("E") or (rule.startswith("W") and rule not in ALLOWED_WARNINGS):
                problems.append(f"{kind}: {rule} {match.message} (line {match.linenumber})")
    assert problems == []
