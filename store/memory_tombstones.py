"""Forgetting a memory on DynamoDB without deleting: the memory's value is overwritten at once.

The function serving owners (the API) holds no `Delete*` action (`infra/access.py`), and
LangGraph's `DynamoDBStore` deletes an item with `DeleteItem`. `ForgettingStore` wraps it: a
delete (a put of None: `delete`, "forget") becomes a put of `FORGOTTEN` with an expiry of
`FORGOTTEN_FOR_MINUTES` (`UpdateItem`: the memory's content is gone from the table at that write),
and every read leaves forgotten items out (`get` answers None, `search` pages over what is left),
so no read shows a forgotten memory after the delete answers. DynamoDB's TTL on the memory table
(`expires_at`, `infra/stacks/foundation.py`) removes the forgotten item itself later (typically
within a few days); putting the key again replaces it with the new value, its expiry cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, cast

from langgraph.store.base import BaseStore, GetOp, Item, Op, PutOp, Result, SearchItem, SearchOp

FORGOTTEN: dict[str, Any] = {"stratigos_forgotten": True}
"""The value a forgotten memory holds until DynamoDB's TTL removes it."""
FORGOTTEN_FOR_MINUTES = 1.0
"""The forgotten item's expiry (`expires_at`), minutes after the delete."""
SEARCH_PAGE = 100
"""Items read per page of the wrapped store while a search skips forgotten ones."""


def forgotten(value: Mapping[str, Any]) -> bool:
    """Whether a stored value is `FORGOTTEN`."""
    return dict(value) == FORGOTTEN


class ForgettingStore(BaseStore):
    """`store` (a `DynamoDBStore`), its deletes turned into `FORGOTTEN` (see the module
    docstring); other operations pass through."""

    supports_ttl = True

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return [self._one(op) for op in ops]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await asyncio.to_thread(self.batch, list(ops))

    def _one(self, op: Op) -> Result:
        if isinstance(op, PutOp) and op.value is None:
            forget = PutOp(op.namespace, op.key, FORGOTTEN, False, FORGOTTEN_FOR_MINUTES)
            self.store.batch([forget])
            return None
        if isinstance(op, GetOp):
            (item,) = self.store.batch([op])
            return None if isinstance(item, Item) and forgotten(item.value) else item
        if isinstance(op, SearchOp):
            return self._search(op)
        (result,) = self.store.batch([op])
        return result

    def _search(self, op: SearchOp) -> list[SearchItem]:
        """`op`'s page of the items not forgotten: the wrapped store's pages read in order
        until `op.offset + op.limit` of them are found or none is left."""
        skip, offset = op.offset, 0
        found: list[SearchItem] = []
        while True:
            page = op._replace(limit=SEARCH_PAGE, offset=offset)
            items = cast(list[SearchItem], self.store.batch([page])[0])
            for item in items:
                if forgotten(item.value):
                    continue
                if skip:
                    skip -= 1
                    continue
                found.append(item)
                if len(found) == op.limit:
                    return found
            if len(items) < SEARCH_PAGE:
                return found
            offset += SEARCH_PAGE
