"""A plain reading of IAM policy statements for the infra tests: does a set of statements allow
one request? Written here from IAM's documented evaluation logic, for the parts the app's
policies use: an explicit Deny wins, else an Allow that applies, else the implicit deny;
`Action`/`NotAction` and `Resource`/`NotResource` with `*` and `?` wildcards (actions without
regard to case); `Principal` for resource policies (a service, or `*`); the condition operators
`StringEquals`, `StringNotEquals`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`,
`ArnNotLike`, `Bool`, `Null` and the `ForAllValues:` / `ForAnyValue:` set forms. Anything else
raises, so a policy the reading does not understand never passes by accident.

Statements are IAM JSON as the templates hold them after `tests.support.cfn_templates.render`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

Context = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Request:
    """One request: its action, resource, condition keys and (for a resource policy) the
    calling service."""

    action: str
    resource: str = "*"
    context: Context = field(default_factory=dict)
    service: str | None = None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _like(value: str, pattern: str) -> bool:
    return fnmatchcase(value, pattern)


_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    # operator -> (match one value against one pattern, negated)
    "StringEquals": (lambda a, e: a == e, False),
    "StringNotEquals": (lambda a, e: a == e, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (lambda a, e: a == e, False),
    "ArnLike": (_like, False),
    "ArnNotLike": (_like, True),
    "Bool": (lambda a, e: str(a).lower() == str(e).lower(), False),
}


def _condition(operator: str, key: str, expected: Any, context: Context) -> bool:
    values = [str(v) for v in _list(expected)]
    present = key in context
    actual = [str(v) for v in _list(context.get(key))]
    if operator == "Null":
        return (not present) == (values[0].lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    if base not in _OPERATORS:
        raise NotImplementedError(f"condition operator {operator}")
    match, negated = _OPERATORS[base]

    def one(value: str) -> bool:
        found = any(match(value, pattern) for pattern in values)
        return not found if negated else found

    if qualifier == "ForAllValues":
        return all(one(value) for value in actual)
    if qualifier == "ForAnyValue":
        return any(one(value) for value in actual)
    if qualifier:
        raise NotImplementedError(f"condition operator {operator}")
    if not present:
        return negated  # a negated operator holds for a missing key, the others do not
    return any(one(value) for value in actual) if not negated else all(map(one, actual))


def _conditions(statement: Mapping[str, Any], context: Context) -> bool:
    return all(
        _condition(operator, key, expected, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _principal(statement: Mapping[str, Any], request: Request) -> bool:
    if "Principal" not in statement:
        return True
    principal = statement["Principal"]
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    return request.service in _list(principal.get("Service"))


def applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether `statement` speaks of `request` (its action, resource, principal, conditions)."""
    if "Action" in statement:
        action = any(_like(request.action.lower(), a.lower()) for a in _list(statement["Action"]))
    else:
        action = not any(
            _like(request.action.lower(), a.lower()) for a in _list(statement["NotAction"])
        )
    if "Resource" in statement:
        resource = any(_like(request.resource, r) for r in _list(statement["Resource"]))
    elif "NotResource" in statement:
        resource = not any(_like(request.resource, r) for r in _list(statement["NotResource"]))
    else:
        resource = True  # a key or trust policy's statement may name none
    return (
        action
        and resource
        and _principal(statement, request)
        and _conditions(statement, request.context)
    )


def allowed(statements: Sequence[Mapping[str, Any]], request: Request) -> bool:
    """Whether `statements` allow `request`: no Deny applies and an Allow does."""
    relevant = [s for s in statements if applies(s, request)]
    if any(s["Effect"] == "Deny" for s in relevant):
        return False
    return any(s["Effect"] == "Allow" for s in relevant)
