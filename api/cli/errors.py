"""How the command line reports failures: usage errors (exit 2), operational failures (exit 1),
one line each, and the JSON input files it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """The command cannot be carried out as asked (bad input): exit code 2."""


def exit_code(exc: BaseException) -> int:
    """3 when no model could be reached (`agents.errors.MODEL_UNAVAILABLE_EXIT`: throttled or
    unavailable; retry or resume later), 1 for other operational failures (files, disk, an
    unreachable store, a model call the service failed, a server that did not start), 2 for
    usage errors."""
    from agents.errors import MODEL_UNAVAILABLE_EXIT, ModelCallError, ModelUnavailableError
    from api.server import ServerStartError
    from research.embeddings import EmbeddingServiceError
    from research.index import ResearchIndexError
    from store import StoreUnavailableError

    if isinstance(exc, ModelUnavailableError):
        return MODEL_UNAVAILABLE_EXIT
    operational = (
        OSError, StoreUnavailableError, ResearchIndexError, EmbeddingServiceError, ModelCallError,
        ServerStartError,
    )  # fmt: skip
    return 1 if isinstance(exc, operational) else 2


def is_expected(exc: BaseException) -> bool:
    """Errors the command line reports as one line: users' mistakes and operational failures
    (store, research index, embedding or chat model unreachable or failing, files, a server
    that did not start). Anything
    else is a bug and keeps its traceback (as everything does with ``--debug``)."""
    from pydantic import ValidationError

    from agents.errors import ModelCallError, ModelOutputError
    from api.server import ServerStartError
    from research.embeddings import EmbeddingError
    from research.index import ResearchIndexError
    from services.errors import QuantError
    from store import StoreError

    users = (UsageError, ValidationError, QuantError, LookupError, ValueError)
    expected = (
        StoreError, ResearchIndexError, EmbeddingError, OSError, ModelCallError, ServerStartError
    )  # fmt: skip
    return isinstance(exc, (*users, *expected, ModelOutputError))


def error_message(exc: BaseException) -> str:
    """`exc` in one line: a validation error's fields and problems, a failed model call's code
    and the service's message (the command line's user runs the model routes), else its
    message."""
    from pydantic import ValidationError

    from agents.errors import ModelCallError
    from services.problems import validation_problems

    if isinstance(exc, ValidationError):
        what = "settings" if exc.title == "Settings" else "request"  # whose fields are named
        return "; ".join(
            f"{field or what}: {problem.removeprefix('Value error, ')}"
            for field, problem in validation_problems(exc.errors())
        )
    if isinstance(exc, ModelCallError) and exc.service_message:
        return f"{exc}: {exc.service_message}"
    return str(exc)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in `path`; a `UsageError` naming the path and the problem otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read {what} {path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{what} {path} must hold a JSON object, not {type(data).__name__}")
    return data
