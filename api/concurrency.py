"""Optimistic concurrency over HTTP: the version a change expects, named by an `If-Match` header
(`"3"`, `W/"3"`) or by `version` in the body, and the `ETag` that carries a record's version."""

from __future__ import annotations

from api.errors import ApiError, validation_error


def etag(version: int) -> str:
    """The `ETag` of a record's version (a quoted whole number)."""
    return f'"{version}"'


def if_match_version(value: str | None, *, lowest: int | None = 1) -> int | None:
    """The version an `If-Match` header names, None without one; 422 on `header.if-match` when
    it is not a whole number (of at least `lowest`, when given)."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    try:
        version = int(text)
    except ValueError:
        raise validation_error(
            "header.if-match", f'{value!r} is not a version (e.g. "3")'
        ) from None
    if lowest is not None and version < lowest:
        raise validation_error("header.if-match", f"versions start at {lowest}")
    return version


def expected_version(
    if_match: str | None, body_version: int | None, *, lowest: int | None = 1
) -> int | None:
    """The version a change expects: the `If-Match` header's (see `if_match_version`), else the
    body's, else None (no check); 422 on `header.if-match` when both name one and they differ."""
    header = if_match_version(if_match, lowest=lowest)
    if header is not None and body_version is not None and header != body_version:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"If-Match names version {header} but the body names {body_version}",
            [("header.if-match", f"differs from body.version {body_version}")],
        )
    return header if header is not None else body_version
