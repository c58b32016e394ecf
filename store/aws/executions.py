"""Executions in the AWS store: ledger entries and order updates in one `TransactWriteItems`
call (each book's `#HEAD` and its entries' puts, then each order's update guarded by its
expected status; at most 100 actions, hence `MAX_WRITES_PER_EXECUTION` = 99 entries, updates and
books beyond the first)."""

from __future__ import annotations

from typing import Any

from store.aws.items import _av, _key
from store.aws.ledger import AwsLedger, book_pk
from store.aws.orders import AwsOrders
from store.errors import ConflictError, NotFoundError
from store.executions import RecordedExecutions
from store.ledger import LedgerEntry
from store.orders import QueuedOrder, order_from_row, status_conflict

_ATTEMPTS = 5


class AwsExecutions(AwsLedger, AwsOrders):
    """`record_executions` on DynamoDB. A transaction cancelled on a ledger item (a concurrent
    append moved `#HEAD` or wrote one of the entries) is read again and retried; cancelled on
    an order's status, it is a `ConflictError`: nothing was written."""

    def _record_executions(
        self,
        owner: str,
        books: dict[str, list[LedgerEntry]],
        updates: list[tuple[str, str, dict[str, Any]]],
    ) -> RecordedExecutions:
        order_updates = [self._order_update(owner, *update) for update in updates]
        for _ in range(_ATTEMPTS):
            actions: list[dict[str, Any]] = []
            new_count = 0
            for book, (new, head) in self._unheld("record_executions", owner, books).items():
                pk = book_pk(owner, book)
                if new:
                    last = 0 if head is None else int(head["last_seq"])
                    actions += [
                        self._head_put(pk, head, last + len(new)),
                        *self._entry_puts(pk, new, last),
                    ]
                    new_count += len(new)
            ledger_actions = len(actions)
            actions += [self._update_action(u) for u in order_updates]
            codes = self._transact("record_executions", actions)
            if codes is None:
                return RecordedExecutions(new_count, self._updated(owner, updates, order_updates))
            failed = [
                updates[i - ledger_actions][0]
                for i, code in enumerate(codes)
                if i >= ledger_actions and code == "ConditionalCheckFailed"
            ]
            if failed:
                expected = next(u[1] for u in updates if u[0] == failed[0])
                raise status_conflict(
                    self.get_order(owner, failed[0]), expected, ": nothing written"
                )
        raise ConflictError(
            f"ledgers {', '.join(books)} kept changing; record the executions again"
        )

    def _updated(
        self,
        owner: str,
        updates: list[tuple[str, str, dict[str, Any]]],
        order_updates: list[dict[str, Any]],
    ) -> list[QueuedOrder]:
        """The orders just updated, read at the keys their pointers gave (`_order_update`) in
        one `BatchGetItem`, instead of each pointer again and then its item."""
        items = self._batch_get("record_executions", [(u["pk"], u["sk"]) for u in order_updates])
        orders = []
        for (client_order_id, _, _), item in zip(updates, items, strict=True):
            if item is None:  # erased since (the owner's purge)
                raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
            orders.append(order_from_row(item))
        return orders

    def _update_action(self, update: dict[str, Any]) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": _key(update["pk"], update["sk"]),
                "UpdateExpression": update["UpdateExpression"],
                "ConditionExpression": update["ConditionExpression"],
                "ExpressionAttributeNames": update["ExpressionAttributeNames"],
                "ExpressionAttributeValues": {k: _av(v) for k, v in update["values"].items()},
            }
        }
