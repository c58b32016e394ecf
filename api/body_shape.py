"""The shape of a JSON request body against its operation's schema, in one pass over the body:
the fields it names that the schema does not declare, and the objects and arrays holding more
entries than the schema allows.

These are the two ways a body's size multiplies the work of a schema check: the validator
(`jsonschema_rs`) hands every error over with a copy of the value it concerns and, for unknown
fields, the list of all their names, so a body of 30,000 unknown fields (380 KB) would be copied
whole for each of the errors at its top (hundreds of milliseconds), before anyone knows who sent
it. `shape_problems` finds them first, at a constant cost per value of the body (a set lookup per
key), stopping at `limit`; only a body of the right shape reaches the validator's error list,
and every container in it is then as small as its schema allows.

The walk follows the schema where it says one thing of a value: a `$ref`, an `anyOf` of one
branch of the value's type (`X | None` and the like), `properties`, `additionalProperties`,
`items`. Where the schema leaves a choice open (branches of one type) or says nothing (free-form
parts), the value is left to the validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.problems import plain_number

Problem = tuple[str, str]

UNKNOWN_FIELD = "is not a field here"
"""The problem of a field the schema does not declare."""

_JSON_TYPES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def _json_type(value: Any) -> str:
    """The JSON type of a decoded value (`integer` for a whole number)."""
    return _JSON_TYPES.get(type(value), "object" if isinstance(value, dict) else "null")


def _types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema names (empty: it names none)."""
    named = schema.get("type")
    if named is None:
        return set()
    return {named} if isinstance(named, str) else set(named)


def _admits(schema: Mapping[str, Any], kind: str) -> bool:
    """Whether a branch's `type` admits a value of JSON type `kind` (a branch naming no type may
    hold anything, so it does not tell branches apart)."""
    types = _types(schema)
    return kind in types or (kind == "integer" and "number" in types)


class BodyShape:
    """The shape rules of one operation's body schema; `components` are the document's named
    schemas (`#/components/schemas/<name>`)."""

    def __init__(self, schema: Mapping[str, Any], components: Mapping[str, Any]) -> None:
        self.schema = schema
        self.components = components

    def _resolved(self, schema: Any, value: Any) -> Mapping[str, Any] | None:
        """The one schema the container `value` must keep at a place, following `$ref`s and an
        `anyOf` with one branch of the value's type; None where the schema leaves it open (or
        for a value that is not a container)."""
        if not isinstance(value, dict | list):
            return None
        for _ in range(64):  # a chain of references is short; a cycle is not followed
            if not isinstance(schema, Mapping):
                return None
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                schema = self.components.get(ref.rsplit("/", 1)[1])
                continue
            branches = schema.get("anyOf")
            if isinstance(branches, list):
                kind = _json_type(value)
                fitting = [b for b in branches if isinstance(b, Mapping) and self._fits(b, kind)]
                if len(fitting) != 1:
                    return None
                schema = fitting[0]
                continue
            return schema
        return None

    def _fits(self, branch: Mapping[str, Any], kind: str) -> bool:
        """Whether a branch of an `anyOf` may hold a value of JSON type `kind`."""
        ref = branch.get("$ref")
        if isinstance(ref, str):
            target = self.components.get(ref.rsplit("/", 1)[1])
            return isinstance(target, Mapping) and self._fits(target, kind)
        if "anyOf" in branch or not _types(branch):
            return kind != "null"  # open or nested choices: a candidate for any value
        return _admits(branch, kind)

    def problems(
        self, body: Any, limit: int, path: str = "body"
    ) -> tuple[list[Problem], Callable[[], Any]]:
        """(field path, problem) of each field of `body` its schema does not declare ("is not a
        field here") and each object or array with more entries than it allows, in document
        order of the containers, at most `limit`; and what gives the body without those fields
        and with those containers cut to their bounds (the body itself when nothing was found),
        whose other problems the validator can then list at a cost that does not grow with
        them."""
        found: list[Problem] = []
        cuts: dict[int, set[str] | int] = {}
        stack: list[tuple[Any, Any, str]] = [(self.schema, body, path)]
        while stack and len(found) < limit:
            schema, value, where = stack.pop()
            rule = self._resolved(schema, value)
            if rule is None:
                continue
            inner: list[tuple[Any, Any, str]] = []
            if isinstance(value, list):
                most = rule.get("maxItems")
                if isinstance(most, int) and len(value) > most:
                    found.append((where, bound_problem("MaxItems", most, value)))
                    cuts[id(value)] = most
                    continue
                items = rule.get("items")
                if isinstance(items, Mapping):
                    inner = [
                        (items, item, f"{where}.{i}")
                        for i, item in enumerate(value)
                        if isinstance(item, dict | list)
                    ]
            else:
                most = rule.get("maxProperties")
                if isinstance(most, int) and len(value) > most:
                    found.append((where, bound_problem("MaxProperties", most, value)))
                    cuts[id(value)] = most
                    continue
                declared = rule.get("properties") or {}
                extra = rule.get("additionalProperties", True)
                closed = extra is False and not rule.get("patternProperties")
                unknown: set[str] = set()
                for key, item in value.items():
                    field = declared.get(key)
                    if field is None and closed:
                        unknown.add(key)
                        found.append((f"{where}.{key}", UNKNOWN_FIELD))
                        if len(found) >= limit:
                            break
                        continue
                    if isinstance(item, dict | list):
                        below = field if field is not None else extra
                        inner.append((below, item, f"{where}.{key}"))
                if unknown:
                    cuts[id(value)] = unknown
            stack.extend(reversed(inner))
        return found[:limit], (lambda: _cut(body, cuts) if cuts else body)


def _cut(value: Any, cuts: Mapping[int, set[str] | int]) -> Any:
    """A copy of the decoded JSON `value` with the cuts made: by a container's id, the keys to
    leave out of an object, or the entries to keep of a container (its first ones)."""
    if not isinstance(value, dict | list):
        return value
    cut = cuts.get(id(value))
    if isinstance(value, list):
        kept = value if not isinstance(cut, int) else value[:cut]
        return [_cut(item, cuts) for item in kept]
    pairs = list(value.items())
    if isinstance(cut, int):
        pairs = pairs[:cut]
    elif cut:
        pairs = [(key, item) for key, item in pairs if key not in cut]
    return {key: _cut(item, cuts) for key, item in pairs}


def bound_problem(kind: str, limit: Any, value: Any) -> str:
    """Our words for a bound (`kind`: the validator's name of the keyword, e.g. `MaxItems`) that
    `value` breaks."""
    limit = plain_number(limit)
    words = {
        "Minimum": f"must be at least {limit}",
        "Maximum": f"must be at most {limit}",
        "ExclusiveMinimum": f"must be greater than {limit}",
        "ExclusiveMaximum": f"must be less than {limit}",
        "MultipleOf": f"must be a multiple of {limit}",
        "MinLength": f"must have at least {limit} character(s)",
        "MaxLength": f"must have at most {limit} characters",
        "MinItems": f"must have at least {limit} item(s)",
        "MaxItems": f"must have at most {limit} items",
        "MinProperties": f"must have at least {limit} entries",
        "MaxProperties": f"must have at most {limit} entries",
        "UniqueItems": "must not repeat an item",
        "Not": "is not allowed here",
    }
    return words.get(kind, f"is not valid here ({_json_type(value)} given)")
