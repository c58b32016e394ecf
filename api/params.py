"""Query and header parameters as the schema states them: exactly what the routes accept.

A date is only `YYYY-MM-DD` text and a moment only ISO 8601 text (the models' lax parsing
would take 0 for 1970-01-01); versions and sequence numbers are digits; a page cursor is the
token a previous page gave (URL-safe base64).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Header, Query
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)


def _text_like(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and pattern.match(value):
            return value
        if isinstance(value, date):
            return value
        raise ValueError(f"must be {what}")

    return check


Day = Annotated[
    date,
    BeforeValidator(_text_like(_DAY, "a date (YYYY-MM-DD)")),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""A calendar date given as `YYYY-MM-DD`."""

Moment = Annotated[
    datetime,
    BeforeValidator(_text_like(_MOMENT, "a date and time (ISO 8601, e.g. 2026-01-31T00:00:00Z)")),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A moment given as ISO 8601 text."""

AwareMoment = Annotated[
    AwareDatetime,
    BeforeValidator(_text_like(_MOMENT, "a date and time with its zone (e.g. 2026-01-31T00:00Z)")),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A moment given as ISO 8601 text with its time zone (`Z` or an offset)."""

IfMatch = Annotated[
    str | None,
    Header(
        pattern=r'^(W/)?"?[1-9][0-9]{0,17}"?$',
        description='The version being changed, e.g. "3" (or `version` in the body); versions '
        "start at 1.",
    ),
]
"""An `If-Match` naming a version: `3`, `"3"` or `W/"3"`."""

IfMatchFromZero = Annotated[
    str | None,
    Header(
        pattern=r'^(W/)?"?[0-9]{1,18}"?$',
        description='The version being changed, e.g. "3" (or `version` in the body); 0 means '
        "none was saved yet.",
    ),
]
"""An `If-Match` where version 0 (nothing saved yet) may be named."""

LastEventId = Annotated[
    str | None,
    Header(
        pattern=r"^[0-9]{1,18}$",
        description="The sequence number of the last event received: the stream resumes after "
        "it (set by browsers on reconnect).",
    ),
]

Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page.",
    ),
]

PageLimit = Annotated[int, Query(ge=1, le=200, description="Records per page (1..200).")]
"""How many records a page of a listing holds (default 50 where it is used)."""
