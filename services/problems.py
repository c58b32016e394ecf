"""The rules of text and numbers a request must keep, and validation errors as field problems,
for the interfaces: they are defined once, in `quant.problems` (which the numeric core's own
checks use too), and reach the interfaces through here, as everything of the core does."""

from __future__ import annotations

from quant.problems import (
    MAX_DEPTH,
    NESTED_TOO_DEEP,
    TEXT_PATTERN,
    NestedTooDeepError,
    Problem,
    TextRule,
    json_problems,
    not_finite,
    plain_number,
    read_json,
    shown,
    strip_controls,
    text_problem,
    unicode_problem,
    validation_problems,
)

__all__ = [
    "INVALID_ARGUMENTS",
    "MAX_DEPTH",
    "NESTED_TOO_DEEP",
    "TEXT_PATTERN",
    "TOOL_RETRY",
    "NestedTooDeepError",
    "Problem",
    "TextRule",
    "json_problems",
    "not_finite",
    "plain_number",
    "read_json",
    "shown",
    "strip_controls",
    "text_problem",
    "unicode_problem",
    "validation_problems",
]


INVALID_ARGUMENTS = "invalid arguments: "
"""What a tool's refusal of its arguments begins with, before "field: problem" of each."""
TOOL_RETRY = "Fix these arguments and call the tool again."
"""The sentence that ends a tool's refusal of its arguments: addressed to the model that called
it, never shown to a user (`agents.offline.policies.ToolResult.reason` takes it out)."""
