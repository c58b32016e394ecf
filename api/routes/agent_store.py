"""The Agent Protocol's store under `/agent` (`api.agent_protocol.store_items`): put, get and
delete an item (`PUT/GET/DELETE /store/items`), search items (`POST /store/items/search`) and
list namespaces (`POST /store/namespaces`), each within the caller's own root. A value is a
JSON object held to the one text rule (`body.value...`); semantic search (`query`), search
indexes (`index` other than false) and item TTLs are not kept (422)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Query, Response, status

from api.agent_protocol.run_requests import refuse_text
from api.agent_protocol.store_items import OwnerStore, client_namespace
from api.context import AppContext, Caller, Ctx
from api.errors import not_found, validation_error
from api.route_defaults import api_router
from api.routes.agent_threads import PREFIX
from api.schemas.agent_store import (
    KEY_QUERY,
    NAMESPACE_QUERY,
    ItemDelete,
    ItemPut,
    ItemSearch,
    NamespaceSearch,
)
from services.problems import text_problem
from store import StoreUnavailableError
from store.memories import memory_store

router = api_router(prefix=PREFIX, tags=["agent protocol"])

T = TypeVar("T")


@contextmanager
def _owner_store(context: AppContext, owner: str) -> Iterator[OwnerStore]:
    with memory_store(context.settings) as memories:
        yield OwnerStore(memories, owner)


def _stored(context: AppContext, owner: str, use: Callable[[OwnerStore], T]) -> T:
    """`use` on the owner's part of the store; a backend failure as `StoreUnavailableError`."""
    with _owner_store(context, owner) as items:
        try:
            return use(items)
        except Exception as exc:  # sqlite3, botocore: the backends' own errors
            raise StoreUnavailableError(f"the store of /agent failed: {exc}") from exc


def _key(key: str, field: str) -> str:
    problem = text_problem(key)
    if problem:
        raise validation_error(field, problem)
    return key


@router.put("/store/items", status_code=status.HTTP_204_NO_CONTENT, summary="Put an item")
def put_item(body: ItemPut, context: Ctx, caller: Caller) -> Response:
    """Write an item under the caller's namespace `namespace` (replacing one of that key)."""
    namespace = client_namespace(body.namespace, "body.namespace")
    key = _key(body.key, "body.key")
    refuse_text(body.value, "body.value")
    _stored(context, caller.owner, lambda items: items.put(namespace, key, body.value))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/store/items", summary="Get an item")
def get_item(
    context: Ctx,
    caller: Caller,
    key: Annotated[str, Query(pattern=KEY_QUERY)],
    namespace: Annotated[str, Query(pattern=NAMESPACE_QUERY, description="Labels joined by '.'.")],
) -> dict[str, Any]:
    """The caller's item `key` in `namespace` (labels joined by `.`); 404 when there is none."""
    checked = client_namespace(namespace.split("."), "query.namespace")
    wanted = _key(key, "query.key")
    found = _stored(context, caller.owner, lambda items: items.get(checked, wanted))
    if found is None:
        raise not_found("item", key)
    return found


@router.delete("/store/items", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an item")
def delete_item(body: ItemDelete, context: Ctx, caller: Caller) -> Response:
    """Delete the caller's item (nothing happens when there is none)."""
    namespace = client_namespace(body.namespace, "body.namespace")
    key = _key(body.key, "body.key")
    _stored(context, caller.owner, lambda items: items.delete(namespace, key))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/store/items/search", summary="Search items")
def search_items(body: ItemSearch, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The caller's items under `namespace_prefix` whose values hold `filter`, newest first."""
    prefix = client_namespace(body.namespace_prefix, "body.namespace_prefix", empty=True)
    refuse_text(body.filter, "body.filter")
    found = _stored(
        context,
        caller.owner,
        lambda items: items.search(prefix, body.filter, body.limit, body.offset),
    )
    return {"items": found}


@router.post("/store/namespaces", summary="List namespaces")
def list_namespaces(body: NamespaceSearch, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The caller's namespaces under `prefix` and ending with `suffix` (`*` matches any one
    label), cut to `max_depth` labels."""
    prefix = client_namespace(body.prefix or [], "body.prefix", empty=True)
    suffix = client_namespace(body.suffix or [], "body.suffix", empty=True)
    found = _stored(
        context,
        caller.owner,
        lambda items: items.namespaces(prefix, suffix, body.max_depth, body.limit, body.offset),
    )
    return {"namespaces": found}
