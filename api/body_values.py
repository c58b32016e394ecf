"""A decoded JSON body's values that no schema can see: numbers that are not finite (`NaN`,
`Infinity`, `1e999`: JSON has none, Python's reader takes them) and keys given more than once in
one object (a reader keeps only the last value). Each finding is (field path, problem), the path
dotted from `body`, at most a given number of them, in document order."""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.problems import not_finite, read_json

Problem = tuple[str, str]
"""(field path, problem)."""

MAX_PROBLEMS = 20
"""At most this many places are named in one answer."""


def non_finite(value: Any, path: str = "body", limit: int = MAX_PROBLEMS) -> list[Problem]:
    """(field path, problem) of the numbers of a decoded JSON value that are not finite, at most
    `limit`, in document order; a walk over its containers and numbers that spells a path only
    for a container or a finding."""
    found: list[Problem] = []
    stack: list[tuple[Any, str, str | int | None]] = [(value, path, None)]
    while stack and len(found) < limit:
        item, parent, key = stack.pop()
        where = parent if key is None else f"{parent}.{key}"
        odd = not_finite(item)
        if odd is not None:
            found.append((where, f"is {odd}; JSON allows finite numbers only"))
        elif isinstance(item, dict):
            stack.extend(
                (element, where, name)
                for name, element in reversed(item.items())
                if isinstance(element, dict | list | float)
            )
        elif isinstance(item, list):
            stack.extend(
                (item[index], where, index)
                for index in range(len(item) - 1, -1, -1)
                if isinstance(item[index], dict | list | float)
            )
    return found


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it was given more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated = (
            []
            if len(self) == len(pairs)
            else [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
        )


def repeated_keys(value: Any, path: str = "body", limit: int = MAX_PROBLEMS) -> list[Problem]:
    """(field path, problem) of every key given more than once in one object of a value
    decoded with `_Object` (the path names the repeated key), at most `limit`."""
    found: list[Problem] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack and len(found) < limit:
        item, where = stack.pop()
        if isinstance(item, _Object):
            found += (
                (f"{where}.{key}", "is given more than once in the same object: give each key once")
                for key in item.repeated
            )
        if isinstance(item, dict):
            stack.extend(
                (element, f"{where}.{key}")
                for key, element in reversed(item.items())
                if isinstance(element, dict | list)
            )
        elif isinstance(item, list):
            stack.extend(
                (item[index], f"{where}.{index}")
                for index in range(len(item) - 1, -1, -1)
                if isinstance(item[index], dict | list)
            )
    return found[:limit]


def decoded_body(body: bytes) -> tuple[Any, bool]:
    """A JSON body decoded (`read_json`, objects as `_Object`), and whether some object of it
    repeats a key. Raises `ValueError` for a body that is not JSON."""
    repeated = False

    def pairs(given: list[tuple[str, Any]]) -> _Object:
        nonlocal repeated
        decoded = _Object(given)
        repeated = repeated or bool(decoded.repeated)
        return decoded

    return read_json(body, object_pairs_hook=pairs), repeated
