"""The schema validator's errors (`jsonschema_rs.ValidationError`) in our words: each as the
field path it concerns (`body.weights.0.weight`) and what is wrong with it ("must be at most 1",
"is not a field here"), never the validator's own text (`api.contract` reports them)."""

from __future__ import annotations

from typing import Any

from api.body_shape import UNKNOWN_FIELD, bound_problem
from services.problems import TEXT_PATTERN, text_problem

Problem = tuple[str, str]

_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}

_FORMATS = {
    "date": "a date (YYYY-MM-DD)",
    "date-time": "a date and time (ISO 8601, e.g. 2026-01-31T00:00:00Z)",
    "time": "a time of day (HH:MM:SS)",
    "uuid": "a UUID",
    "email": "an email address",
    "uri": "a URL",
}


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types or [])
    words = [_WORDS.get(str(name), str(name)) for name in names]
    return " or ".join(words) if words else "something else"


def _path(prefix: str, parts: Any) -> str:
    return ".".join([prefix, *(str(part) for part in parts)])


def _branch_error(error: Any) -> Any | None:
    """Of an anyOf/oneOf error, the error of the branch the value was meant for: the one whose
    first error is not about the value's type (a null or another type is another branch)."""
    context = error.kind.as_dict().get("context") or []
    for branch in context:
        if branch and type(branch[0].kind).__name__ != "Type":
            return branch[0]
    return None


def problem(error: Any, prefix: str = "body", limit: int = 20) -> list[Problem]:
    """Our words for one schema validation error (`jsonschema_rs.ValidationError`): at most
    `limit` places (an error of unknown fields names them all)."""
    kind = type(error.kind).__name__
    details = error.kind.as_dict()
    where = _path(prefix, error.instance_path)
    value = error.instance
    if kind in ("AnyOf", "OneOfNotValid"):
        inner = _branch_error(error)
        if inner is not None:
            return problem(inner, prefix, limit)
        context = details.get("context") or []
        types = [b[0].kind.as_dict().get("types") for b in context if b]
        flat = [t for ts in types for t in ([ts] if isinstance(ts, str) else ts or [])]
        return [(where, f"must be {_expected(flat)}")]
    if kind == "Type":
        return [(where, f"must be {_expected(details.get('types'))}")]
    if kind == "Required":
        return [(f"{where}.{details.get('property')}", "is required")]
    if kind in ("AdditionalProperties", "FalseSchema", "UnevaluatedProperties"):
        names = (details.get("unexpected") or [None])[:limit]
        return [(f"{where}.{name}" if name else where, UNKNOWN_FIELD) for name in names]
    if kind == "PropertyNames":
        inner = details.get("error")
        key = inner.instance if inner is not None else ""
        named = text_problem(str(key)) or "is not an allowed name"
        return [(f"{where}.{key}", f"the key {named}")]
    if kind == "Pattern":
        pattern = details.get("pattern")
        said = text_problem(str(value)) if pattern == TEXT_PATTERN else None
        return [(where, said or f"must match the pattern {pattern}")]
    if kind == "Format":
        form = str(details.get("format"))
        return [(where, f"must be {_FORMATS.get(form, f'a valid {form}')}")]
    if kind == "Enum":
        options = [str(option) for option in details.get("options") or []]
        listed = (
            ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else "".join(options)
        )
        return [(where, f"must be one of {listed}")]
    if kind == "Constant":
        return [(where, f"must be {details.get('expected_value')}")]
    return [(where, bound_problem(kind, details.get("limit"), value))]
