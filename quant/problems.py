"""Validation errors in our own words: what is wrong with a field, as a sentence a user can act
on, never the validation library's text or a link to its documentation.

`problem_of(error)` turns one pydantic error (an item of `ValidationError.errors()`) into a
problem: the rule in plain words ("must be at most 1"), the value named first when it is not a
number at all ("is NaN (not a number); give a finite number"). `field_of(error)` is the field
path it concerns (`weights.3.weight`), without the names the library gives the branches of a
union. `problems(errors)` pairs them; `first_problem(exc)` is the first pair of a
`ValidationError`; `validation_problems(errors)` also spells out the problems a model's
validator raised together as `RequestProblems`. A validator's own message (a `ValueError`
raised in our models) is ours and is kept as it is.

Text (names, notes, messages) may hold tabs and line breaks but no other control character, no
bidirectional embedding, override or isolate, and no lone surrogate (half of a UTF-16 pair: JSON's
`"\\ud800"` spells one, no UTF-8 text can hold it): `text_problem` says why a text is refused,
`unicode_problem` only whether it is Unicode text at all, `strip_controls` removes the refused
characters from a name Stratigos makes itself (a file's name). A JSON document a door accepts
nests at most `MAX_DEPTH` arrays and objects and holds no whole number of more than
`MAX_INTEGER_DIGITS` digits: `read_json` decodes one (refusing, as `NestedTooDeepError`, a
document too deep for the decoder itself; keeping a too-long number's digits as a
`LongInteger`), `json_problems` names every string, key, number and container of a decoded
value that breaks these rules, walking it without
recursion. Every door (the HTTP API, the Agent Protocol, MCP, uploads) uses these, so the same
text is refused in the same words everywhere.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

Problem = tuple[str, str]
"""(dotted field path, what is wrong with it)."""

_TYPES = {
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number, not a fraction",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list of distinct values",
    "frozen_set_type": "must be a list of distinct values",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dataclass_type": "must be an object",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date without a time of day",
    "datetime_type": "must be a date and time (ISO 8601)",
    "datetime_parsing": "must be a date and time (ISO 8601)",
    "datetime_from_date_parsing": "must be a date and time (ISO 8601)",
    "time_type": "must be a time of day (HH:MM)",
    "time_parsing": "must be a time of day (HH:MM)",
    "timezone_aware": "must give a time zone (e.g. 2026-01-31T00:00:00Z)",
    "timezone_naive": "must not give a time zone",
    "uuid_type": "must be a UUID",
    "uuid_parsing": "must be a UUID",
    "url_type": "must be a URL",
    "url_parsing": "must be a URL",
    "url_scheme": "must be a URL of another scheme",
    "none_required": "must be null",
    "missing": "is required",
    "extra_forbidden": "is not a field here",
    "unexpected_keyword_argument": "is not a field here",
    "string_unicode": "must be valid Unicode text",
    "bytes_type": "must be text",
    "json_invalid": "is not valid JSON",
    "json_type": "must be JSON text",
    "callable_type": "is not valid here",
    "is_instance_of": "is not valid here",
    "frozen_field": "cannot be changed",
    "frozen_instance": "cannot be changed",
    "union_tag_not_found": "must say which kind it is",
}

_BOUNDS = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "multiple_of": "must be a multiple of {multiple_of}",
    "finite_number": "must be a finite number",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} characters",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} items",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "decimal_max_digits": "must have at most {max_digits} digits",
    "decimal_max_places": "must have at most {decimal_places} decimal places",
}

_NUMERIC = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of"}
_NUMERIC |= {"finite_number", "float_type", "float_parsing", "int_type", "int_from_float"}

_OWN_PREFIXES = ("Value error, ", "Assertion failed, ")
"""How the library introduces a message our own validators raised."""

_BRANCH = re.compile(r"^[a-z][a-z0-9_-]*\[.*\]$")
"""A location part the library adds for a branch of a union (`list[str]`,
`function-after[...]`), besides the plain type names below."""

_TYPE_NAMES = frozenset(
    {"str", "int", "float", "bool", "bytes", "date", "datetime", "time", "none", "null"}
)


def not_finite(value: Any) -> str | None:
    """How a non-finite number is named (`NaN (not a number)`, `infinite`), None otherwise."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN (not a number)" if math.isnan(value) else "infinite"
    return None


def plain_number(value: Any) -> Any:
    """A bound as people write it: 20, not 20.0; 0.95; 1e+12."""
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    return value


def _choices(expected: Any) -> str:
    return str(expected).replace("'", "")


def problem_of(error: Mapping[str, Any]) -> str:
    """The problem of one pydantic error, in plain words (see the module docstring)."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    value = error.get("input")
    odd = not_finite(value)
    if odd is not None and kind in _NUMERIC:
        return f"is {odd}; give a finite number"
    if kind in ("value_error", "assertion_error"):
        text = str(error.get("msg", ""))
        for prefix in _OWN_PREFIXES:
            text = text.removeprefix(prefix)
        return text or "is not valid here"
    if kind in _BOUNDS:
        try:
            return _BOUNDS[kind].format(**{k: plain_number(v) for k, v in context.items()})
        except (KeyError, IndexError):
            return "is out of its bounds"
    if kind in ("literal_error", "enum"):
        return f"must be one of {_choices(context.get('expected', ''))}"
    if kind == "union_tag_invalid":
        return f"must be one of {_choices(context.get('expected_tags', ''))}"
    return _TYPES.get(kind, "is not a valid value")


def field_of(error: Mapping[str, Any]) -> str:
    """The dotted path of the field an error concerns, without the library's branch names."""
    parts = [str(part) for part in error.get("loc", ())]
    kept = [
        part
        for i, part in enumerate(parts)
        if not (i > 0 and (part in _TYPE_NAMES or _BRANCH.match(part)))
    ]
    return ".".join(kept)


def problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """(field path, problem) of each error, in order, each pair once."""
    found: list[Problem] = []
    for error in errors:
        pair = (field_of(error), problem_of(error))
        if pair not in found:
            found.append(pair)
    return found


def first_problem(exc: ValidationError, prefix: str = "") -> Problem:
    """The first (field path under `prefix`, problem) of a `ValidationError`."""
    field, problem = problems(exc.errors())[0]
    return ".".join(part for part in (prefix, field) if part), problem


class RequestProblems(ValueError):
    """Every problem of a request that cannot run, each on its field path (raised by a model's
    validator; `validation_problems` spells them out)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in self.problems))


def validation_problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Pydantic errors (`ValidationError.errors()`) as (dotted field path, problem) pairs, with
    the fields of `RequestProblems` raised by a request's checks spelled out."""
    found: list[Problem] = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, RequestProblems):
            found.extend((".".join([*loc, field]), problem) for field, problem in cause.problems)
        else:
            found.append((field_of(err), problem_of(err)))
    return found


TEXT_CONTROLS = frozenset({"\t", "\n", "\r"})
"""The control characters text may hold."""

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional embeddings, overrides and isolates."""

_REFUSED_RANGES = (
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
)
"""The characters `text_problem` refuses besides lone surrogates (C0 but tab and line breaks,
DEL, C1, bidi controls)."""

_SURROGATES = (0xD800, 0xDFFF)
"""Lone surrogates: code points a Python string (decoded from JSON's escapes) may hold and no
UTF-8 text can."""

TEXT_PATTERN = "^[^" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _REFUSED_RANGES) + "]*$"
"""The rule as a regular expression, as the API's schema states it for text fields (without the
surrogates, which no JSON schema document can spell: every door refuses them before any schema
is applied)."""

_REFUSED = re.compile(
    "[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in (*_REFUSED_RANGES, _SURROGATES)) + "]"
)
_LONE = re.compile(f"[{chr(_SURROGATES[0])}-{chr(_SURROGATES[1])}]")

MAX_DEPTH = 64
"""How many arrays and objects a JSON document a door accepts may nest (the outermost counts)."""

NESTED_TOO_DEEP = f"is nested deeper than {MAX_DEPTH} levels of arrays and objects"
"""The problem of a value nested beyond `MAX_DEPTH`."""


def _described(char: str) -> str:
    """Why `char` (a character `_REFUSED` matches) is refused."""
    code = ord(char)
    if _SURROGATES[0] <= code <= _SURROGATES[1]:
        return (
            f"holds U+{code:04X}, a lone UTF-16 surrogate (half of a pair): not a character; "
            "text must be valid Unicode"
        )
    if char in BIDI_CONTROLS:
        return (
            f"holds U+{code:04X} ({unicodedata.name(char)}), a bidirectional control that "
            "makes text display as something it is not"
        )
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(code, "a control character")
    return (
        f"holds the control character U+{code:04X} ({name}); text may hold tabs and "
        "line breaks, no other control character"
    )


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored (its first forbidden character), None when it can."""
    found = _REFUSED.search(text)
    return None if found is None else _described(found.group())


def unicode_problem(text: str) -> str | None:
    """Why `text` is not Unicode text (its first lone surrogate), None when it is: the rule of a
    door's free-form parts, which may hold any character text can."""
    found = _LONE.search(text)
    return None if found is None else _described(found.group())


_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}


def strip_controls(text: str) -> str:
    """`text` without the characters `text_problem` refuses (for names Stratigos makes from
    what it is given, such as an uploaded file's name)."""
    return _REFUSED.sub("", text)


def shown(text: str) -> str:
    """`text` with each character `text_problem` refuses written as its escape (``\\ud800``):
    a key that names a field in an answer, which must itself be text."""
    return _REFUSED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


MAX_INTEGER_DIGITS = 4300
"""Digits of the longest whole number a JSON document a door accepts may hold (Python's own
limit on reading one, `sys.get_int_max_str_digits()`'s default: reading a number costs time
that grows with the square of its digits). A longer one is not read: `read_json` keeps its
digits as a `LongInteger`, and `json_problems` names its place."""


class LongInteger(str):
    """The digits of a whole number in a JSON document, too long to be read as one (more than
    `MAX_INTEGER_DIGITS`)."""

    @property
    def problem(self) -> str:
        """What is wrong with the number, in our words."""
        digits = len(self.lstrip("-"))
        return (
            f"is a whole number of {digits} digits, too long to read (at most "
            f"{MAX_INTEGER_DIGITS} digits)"
        )


_LONG_DIGITS = re.compile(f"[0-9]{{{MAX_INTEGER_DIGITS + 1}}}")
_LONG_DIGITS_BYTES = re.compile(_LONG_DIGITS.pattern.encode())


def _integer(digits: str) -> int | LongInteger:
    """A JSON document's whole number: an `int`, or a `LongInteger` when it is too long."""
    if len(digits) > MAX_INTEGER_DIGITS and len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        return LongInteger(digits)
    return int(digits)


class NestedTooDeepError(ValueError):
    """A JSON document nested too deeply for the decoder to build it (far beyond `MAX_DEPTH`)."""

    def __init__(self) -> None:
        super().__init__(NESTED_TOO_DEEP)


def read_json(text: str | bytes, **options: Any) -> Any:
    """`json.loads(text, **options)`; a document nested too deeply for the decoder raises
    `NestedTooDeepError` (a `ValueError`, as a malformed one's `json.JSONDecodeError` is). A whole
    number of more than `MAX_INTEGER_DIGITS` digits is kept as a `LongInteger` (its digits), which
    `json_problems` names."""
    long = (
        _LONG_DIGITS_BYTES.search(text)
        if isinstance(text, bytes | bytearray)
        else _LONG_DIGITS.search(text)
    )
    if long:
        options = {"parse_int": _integer, **options}
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise NestedTooDeepError from None


TextRule = Callable[[str], "str | None"]
"""A rule of text: why a text is refused, or None (`text_problem`, `unicode_problem`). A rule
is one of characters (a text breaks it where one of its characters does) that takes line
breaks: texts joined by line breaks break it when one of them does."""


def json_problems(
    value: Any, path: str = "body", rule: TextRule = text_problem, *, limit: int = 20
) -> list[Problem]:
    """(field path, problem) of each string and object key of the decoded JSON `value` that
    breaks the text `rule` (`text_problem`, or `unicode_problem` for free-form parts), of each
    whole number too long to read (`LongInteger`), and of each array or object nested beyond
    `MAX_DEPTH` (not walked further); at most `limit`, in document order (an object's keys
    before what it holds). Keys are named with `shown`, so a path is always text. The walk keeps
    its own stack (any depth is safe) and spells a place's path only for a container or a
    problem: its cost is a few operations per key, string and container."""
    found: list[Problem] = []
    # (value, the path of its container, its key or index there, depth); the root has no key
    stack: list[tuple[Any, str, str | int | None, int]] = [(value, path, None, 0)]
    while stack and len(found) < limit:
        item, parent, key, depth = stack.pop()
        if isinstance(item, str):
            problem = item.problem if isinstance(item, LongInteger) else rule(item)
            if problem is not None:
                found.append((_place(parent, key), problem))
            continue
        if not isinstance(item, dict | list):
            continue
        where = _place(parent, key)
        if depth >= MAX_DEPTH:
            found.append((where, NESTED_TOO_DEEP))
            continue
        inner: list[tuple[Any, str, str | int | None, int]] = []
        if isinstance(item, dict):
            names = [str(name) for name in item]
            if rule("\n".join(names)) is not None:  # one search for all keys; which, if any
                for name in names:
                    problem = rule(name)
                    if problem is not None:
                        found.append((_place(where, name), f"the key {problem}"))
            inner = [
                (element, where, str(name), depth + 1)
                for name, element in item.items()
                if isinstance(element, str | dict | list)  # numbers hold no text: not walked
            ]
        else:
            inner = [
                (element, where, index, depth + 1)
                for index, element in enumerate(item)
                if isinstance(element, str | dict | list)
            ]
        stack.extend(reversed(inner))
    return found[:limit]


def _place(parent: str, key: str | int | None) -> str:
    """The path of the value at `key` of the container at `parent` (`parent` itself for none)."""
    if key is None:
        return parent
    return f"{parent}.{key}" if isinstance(key, int) else f"{parent}.{shown(key)}"
