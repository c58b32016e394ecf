"""Investment ideas in the AWS store (see `store.aws.table`).

The idea item `OWNER#<owner>` / `IDEA#<id>` carries two index keys: `gsi1pk=IDEASTATUS#<owner>#
<status>` (by owner and status) and `gsi2pk=IDEAS#<owner>` (by owner), both sorted by
`<created µs, 20 digits>#<id>`. A ticker index item `IDEATICKER#<owner>#<ticker>` / `<created
µs>#<id>` per ticker (by owner and ticker) is written in the same transaction as the idea.
Listings query the narrowest index newest first, then read each idea consistently and keep
those that still pass the filter (the GSIs are eventually consistent). Deleting an idea, or a
ticker from it, marks the items deleted in one transaction (`store.aws.tombstones`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from store.aws.items import _item, _owner_pk, _plain
from store.aws.table import NOT_DELETED, AwsTable
from store.common import to_micros
from store.errors import ConflictError, NotFoundError
from store.ideas import Idea, IdeaFilter, idea_from_row, idea_to_row, sort_key

_PAGE = 100
"""Index keys read per query page."""


def _sk(idea_id: str) -> str:
    return f"IDEA#{idea_id}"


def _ticker_pk(owner: str, ticker: str) -> str:
    return f"IDEATICKER#{owner}#{ticker}"


class AwsIdeas(AwsTable):
    """The ideas repository on DynamoDB."""

    def _record(self, idea: Idea) -> dict[str, Any]:
        key = sort_key(idea)
        return {
            "pk": _owner_pk(idea.owner),
            "sk": _sk(idea.id),
            **idea_to_row(idea),
            "gsi1pk": f"IDEASTATUS#{idea.owner}#{idea.status}",
            "gsi1sk": key,
            "gsi2pk": f"IDEAS#{idea.owner}",
            "gsi2sk": key,
        }

    def _ticker_put(self, idea: Idea, ticker: str) -> dict[str, Any]:
        item = {"pk": _ticker_pk(idea.owner, ticker), "sk": sort_key(idea), "id": idea.id}
        return {"Put": {"TableName": self.table, "Item": _item(item)}}

    def _ticker_removal(self, idea: Idea, ticker: str) -> dict[str, Any]:
        """The tombstone of the ticker index item (`store.aws.tombstones`): readers check the
        idea's tickers anyway, the purge removes it, and adding the ticker again replaces it."""
        return self._tombstone_action(
            _ticker_pk(idea.owner, ticker), sort_key(idea), existing=False
        )

    def _insert_idea(self, idea: Idea) -> None:
        actions = [
            self._put_new(self._record(idea)),
            *(self._ticker_put(idea, t) for t in idea.tickers),
        ]
        if self._transact("create_idea", actions) is not None:
            raise ConflictError(f"idea {idea.id} already exists")

    def get_idea(self, owner: str, idea_id: str) -> Idea:
        item = self._owned_item("get_idea", owner, _sk(idea_id), f"idea {idea_id!r}")
        return idea_from_row(item)

    def _index_keys(self, owner: str, where: IdeaFilter, before: str | None) -> Iterator[str]:
        """Sort keys of candidate ideas, newest first, below `before` and `created_before`."""
        if where.ticker is not None:
            index, pk_name, sk_name = None, "pk", "sk"
            pk = _ticker_pk(owner, where.ticker)
        elif where.status is not None:
            index, pk_name, sk_name = "gsi1", "gsi1pk", "gsi1sk"
            pk = f"IDEASTATUS#{owner}#{where.status}"
        else:
            index, pk_name, sk_name = "gsi2", "gsi2pk", "gsi2sk"
            pk = f"IDEAS#{owner}"
        bounds = [b for b in (before,) if b is not None]
        if where.created_before is not None:
            bounds.append(f"{to_micros(where.created_before):020d}")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#p = :p" + (" AND #s < :hi" if bounds else ""),
            "ExpressionAttributeNames": {"#p": pk_name, **({"#s": sk_name} if bounds else {})},
            "ExpressionAttributeValues": {
                ":p": {"S": pk},
                **({":hi": {"S": min(bounds)}} if bounds else {}),
            },
            "ScanIndexForward": False,
            "Limit": _PAGE,
        }
        if index is None:
            kwargs["ConsistentRead"] = True
        else:
            kwargs["IndexName"] = index
        while True:
            out = self._call("list_ideas", self.ddb.query, **kwargs)
            for item in out.get("Items", []):
                yield str(_plain(item)[sk_name])
            if "LastEvaluatedKey" not in out:
                return
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _list_ideas(
        self, owner: str, where: IdeaFilter, before: str | None, limit: int
    ) -> list[Idea]:
        """Up to `limit` ideas of the index keys (`_index_keys`) down to `created_from`, each
        read consistently and kept if it still passes `where`: as many keys at a time as ideas
        are still wanted, read in one `BatchGetItem` (not a `GetItem` each)."""
        lowest = None if where.created_from is None else f"{to_micros(where.created_from):020d}"
        found: list[Idea] = []
        keys = iter(self._index_keys(owner, where, before))  # read on across the batches
        more = True
        while more and len(found) < limit:
            wanted: list[str] = []
            for key in keys:
                if lowest is not None and key < lowest:
                    more = False
                    break
                wanted.append(key)
                if len(wanted) >= limit - len(found):
                    break
            else:
                more = False
            items = self._batch_get(
                "list_ideas", [(_owner_pk(owner), _sk(k.split("#", 1)[1])) for k in wanted]
            )
            for item in items:
                if item is None:
                    continue  # deleted since the index was read
                idea = idea_from_row(item)
                if where.keeps(idea):
                    found.append(idea)
        return found

    def _replace_idea(self, idea: Idea, current: Idea) -> None:
        put = {
            "Put": {
                "TableName": self.table,
                "Item": _item(self._record(idea)),
                "ConditionExpression": f"version = :v AND {NOT_DELETED}",
                "ExpressionAttributeValues": {":v": {"N": str(current.version)}},
            }
        }
        removed = [t for t in current.tickers if t not in idea.tickers]
        added = [t for t in idea.tickers if t not in current.tickers]
        actions = [
            put,
            *(self._ticker_removal(current, t) for t in removed),
            *(self._ticker_put(idea, t) for t in added),
        ]
        if self._transact("update_idea", actions) is not None:
            stored = self.get_idea(idea.owner, idea.id)  # NotFoundError if deleted meanwhile
            raise ConflictError(
                f"idea {idea.id} changed meanwhile (now version {stored.version})", current=stored
            )

    def delete_idea(self, owner: str, idea_id: str) -> None:
        idea = self.get_idea(owner, idea_id)
        removal = self._tombstone_action(_owner_pk(owner), _sk(idea_id))
        actions = [removal, *(self._ticker_removal(idea, t) for t in idea.tickers)]
        if self._transact("delete_idea", actions) is not None:
            raise NotFoundError(f"no idea {idea_id!r} for owner {owner!r}")
