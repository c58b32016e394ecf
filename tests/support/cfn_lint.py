"""cfn-lint on synthesized templates in the infra tests, each template linted on its own with the
rules loaded once per region.

`cfnlint.api.lint(text)` builds a new `Runner` for every template it is given, and loading the
rules is about a third of its time over the app's templates; one `Runner` per region, kept for the
process, lints every template as the `cfn-lint` command does when it is given several files (one
runner, the templates one after another). The matches are the same, template by template. A
template met again in the same region (the same JSON text) is not linted again: its matches are
kept for the process.

W3005 (an explicit DependsOn that a Ref/GetAtt already implies) is how CDK writes a function
that depends on its role's default policy, and the WAF association on the API stage: harmless.
W3010 (availability zones written as names) only in the network stack: a stack synthesized for
an account and region takes its VPC's zones from the account (here CDK's placeholder lookup,
`dummy1a`...), and CDK writes them as names; `make cdk-synth` ignores W3010 as well.
"""

from __future__ import annotations

import functools
import json
from typing import Any

ALLOWED_WARNINGS = frozenset({"W3005"})
ALLOWED_BY_KIND = {"network": frozenset({"W3010"})}


@functools.cache
def _runner(region: str) -> Any:
    """cfn-lint's runner with its default rules and configuration, for `region`."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[region]))


def matches(template: dict[str, Any], region: str) -> list[Any]:
    """What cfn-lint reports on `template` in `region` (what `cfnlint.api.lint` returns for its
    JSON text): a template it cannot decode gives its decoding errors."""
    return list(_matches_of_text(json.dumps(template), region))


@functools.cache
def _matches_of_text(text: str, region: str) -> tuple[Any, ...]:
    """`matches` of the template whose JSON text is `text`, linted once per process and region:
    the same template again (several of production's stacks come out the same in the failover's
    primary, `tests/infra/test_failover.py`) gives the same matches without a second lint."""
    from cfnlint.decode.decode import decode_str

    decoded, errors = decode_str(text)
    if errors:
        return tuple(errors)
    if decoded is None:
        return ()
    return tuple(_runner(region).validate_template(decoded))


def problems(templates: dict[str, dict[str, Any]], region: str) -> list[str]:
    """Every error, and every warning not allowed (`ALLOWED_WARNINGS`, `ALLOWED_BY_KIND`), of the
    templates by stack kind, as `kind: rule message (line n)`."""
    found = []
    for kind, body in templates.items():
        allowed = ALLOWED_WARNINGS | ALLOWED_BY_KIND.get(kind, frozenset())
        for match in matches(body, region):
            rule = match.rule.id
            if rule.startswith("E") or (rule.startswith("W") and rule not in allowed):
                found.append(f"{kind}: {rule} {match.message} (line {match.linenumber})")
    return found
