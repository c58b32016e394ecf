"""`api_router`: the router each resource module of `api.routes` declares its routes on, with
the settings every route of the API shares.

Its routes are made with their final settings (the error responses every operation documents,
`api.errors.ERROR_RESPONSES`; JSON read from a body without a content type, as the contract
reads it: docs/api.md) when their module is imported, and are mounted as they are
(`api.routes.ROUTES`): FastAPI builds a route's parameters' and bodies' validators when it
makes the route, and an included router's routes again, with the including router's settings,
on the first request that reaches them; the API's routes are never included, so each is built
once per process. The error responses' fields, the same for every route, are made once
(`ApiRoute`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field

from api.errors import ERROR_RESPONSES


@cache
def _error_field(status: int | str) -> Any:
    """The field that documents the error response `status` (`ERROR_RESPONSES`), one a process
    for every route: FastAPI would make one per route, each with its own validator of the
    error model (~1,540 in all, most of the ~0.8 s the first requests of a process took)."""
    return create_model_field(
        name=f"Response_{status}_error",
        type_=ERROR_RESPONSES[status]["model"],
        mode="serialization",
    )


class ApiRoute(APIRoute):
    """A route whose error responses, those of `ERROR_RESPONSES` it does not document itself,
    are documented by the fields every route shares (`_error_field`); the rest as FastAPI
    makes them. The same responses, in the same order, and the same document."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: dict[int | str, dict[str, Any]] | None = None,
        **options: Any,
    ) -> None:
        responses = responses or {}
        shared = {
            status for status, entry in responses.items() if ERROR_RESPONSES.get(status) is entry
        }
        own = {status: entry for status, entry in responses.items() if status not in shared}
        super().__init__(path, endpoint, responses=own, **options)
        fields = self.response_fields
        self.responses = responses
        self.response_fields = {
            status: fields[status] if status in fields else _error_field(status)
            for status in responses
            if status in fields or status in shared
        }


def api_router(
    prefix: str = "", tags: list[str | Enum] | None = None, include_in_schema: bool = True
) -> APIRouter:
    """A router whose routes, under `prefix` and documented with `tags` (not at all unless
    `include_in_schema`), document the API's error responses before their own and read a body
    without a content type as JSON."""
    return APIRouter(
        prefix=prefix,
        tags=tags,
        include_in_schema=include_in_schema,
        responses=ERROR_RESPONSES,
        strict_content_type=False,
        route_class=ApiRoute,
    )


def declared_by_api_router(router: APIRouter) -> bool:
    """Whether `router` has `api_router`'s settings (so its routes can be mounted as made)."""
    return (
        router.responses == ERROR_RESPONSES
        and router.strict_content_type is False
        and router.route_class is ApiRoute
    )
