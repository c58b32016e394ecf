"""The execution queue in the AWS store: an account's queue is the partition
`ORDQ#<owner>#<account>` (sort key: the sequence, 12 digits; `#HEAD` holds `last_seq`), and
`OWNER#<owner>` / `ORD#<client order id>` points to an order's account and sequence. An
enqueue writes the orders, their pointers and the new `last_seq` in one transaction guarded by
the old one."""

from __future__ import annotations

from typing import Any

from store.aws.items import _item, _owner_pk, _plain
from store.aws.table import AwsTable
from store.errors import ConflictError, NotFoundError
from store.orders import (
    NewOrder,
    QueuedOrder,
    allocations_json,
    id_taken,
    order_from_row,
    same_order,
    status_conflict,
)

_ATTEMPTS = 5


def _queue_pk(owner: str, account: str) -> str:
    return f"ORDQ#{owner}#{account}"


def _float(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


class AwsOrders(AwsTable):
    """The execution queue on DynamoDB."""

    def _enqueue_orders(
        self,
        owner: str,
        account: str,
        deployment_id: str,
        run_id: str,
        orders: list[NewOrder],
    ) -> list[QueuedOrder]:
        for _ in range(_ATTEMPTS):
            stored = self._stored_or_conflict(owner, account, deployment_id, orders)
            new = [o for o in orders if o.client_order_id not in stored]
            if not new:
                return sorted(stored.values(), key=lambda o: o.sequence)
            head = self._get("enqueue_orders", _queue_pk(owner, account), "#HEAD")
            last = 0 if head is None else int(head["last_seq"])
            records = self._queue_records(owner, account, deployment_id, run_id, new, last)
            if self._transact("enqueue_orders", self._enqueue_actions(head, records)) is None:
                # the orders as written, without reading them back
                written = {r["client_order_id"]: order_from_row(_plain(_item(r))) for r in records}
                enqueued = [
                    stored.get(o.client_order_id) or written[o.client_order_id] for o in orders
                ]
                return sorted(enqueued, key=lambda o: o.sequence)
        raise ConflictError(f"the queue of {account} kept changing; enqueue again")

    def _stored_or_conflict(
        self, owner: str, account: str, deployment_id: str, orders: list[NewOrder]
    ) -> dict[str, QueuedOrder]:
        stored = self._stored_orders(owner, [o.client_order_id for o in orders])
        for order in orders:
            existing = stored.get(order.client_order_id)
            if existing is not None and not same_order(existing, order, account, deployment_id):
                raise id_taken(order.client_order_id)
        return stored

    def _stored_orders(self, owner: str, client_order_ids: list[str]) -> dict[str, QueuedOrder]:
        """The orders of `client_order_ids` that `owner` has, by id, read as `get_order` reads
        them (pointer, then item) but in two `BatchGetItem`s for all of them."""
        pointers = self._batch_get(
            "get_order", [(_owner_pk(owner), f"ORD#{i}") for i in client_order_ids]
        )
        found = [(i, p) for i, p in zip(client_order_ids, pointers, strict=True) if p is not None]
        items = self._batch_get(
            "get_order",
            [(_queue_pk(owner, p["account"]), f"{p['sequence']:012d}") for _, p in found],
        )
        stored = {}
        for (client_order_id, _), item in zip(found, items, strict=True):
            if item is None:  # pragma: no cover - written in one transaction with its pointer
                raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
            stored[client_order_id] = order_from_row(item)
        return stored

    def _queue_records(
        self,
        owner: str,
        account: str,
        deployment_id: str,
        run_id: str,
        new: list[NewOrder],
        last: int,
    ) -> list[dict[str, Any]]:
        """The queue items of the orders `new`, in order after the sequence number `last`."""
        now = self._now()
        pk = _queue_pk(owner, account)
        records = []
        for sequence, order in enumerate(new, start=last + 1):
            record = {
                "pk": pk,
                "sk": f"{sequence:012d}",
                "client_order_id": order.client_order_id,
                "owner": owner,
                "account": account,
                "deployment_id": deployment_id,
                "run_id": run_id,
                "sequence": sequence,
                "symbol": order.symbol,
                "side": order.side,
                "quantity": _float(order.quantity),
                "status": "queued",
                "attempts": 0,
                "filled_quantity": _float(0.0),
                "created_at": now,
                "updated_at": now,
            }
            if order.allocations:
                record["allocations"] = allocations_json(order.allocations)
            if order.internal_price is not None:
                record["internal_price"] = _float(order.internal_price)
            records.append(record)
        return records

    def _enqueue_actions(
        self, head: dict[str, Any] | None, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The transaction that appends the queue items `records` (`_queue_records`) with their
        pointers, guarded by the queue's head as read (`head`)."""
        actions = [self._head_put(records[0]["pk"], head, records[-1]["sequence"])]
        for record in records:
            pointer = {
                "pk": _owner_pk(record["owner"]),
                "sk": f"ORD#{record['client_order_id']}",
                "account": record["account"],
                "sequence": record["sequence"],
                "deployment_id": record["deployment_id"],
                "run_id": record["run_id"],
            }
            actions += [self._put_new(record), self._put_new(pointer)]
        return actions

    def _pointer(self, owner: str, client_order_id: str) -> dict[str, Any]:
        pointer = self._get("get_order", _owner_pk(owner), f"ORD#{client_order_id}")
        if pointer is None:
            raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
        return pointer

    def get_order(self, owner: str, client_order_id: str) -> QueuedOrder:
        pointer = self._pointer(owner, client_order_id)
        item = self._get(
            "get_order", _queue_pk(owner, pointer["account"]), f"{pointer['sequence']:012d}"
        )
        if item is None:  # pragma: no cover - written in one transaction with its pointer
            raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
        return order_from_row(item)

    def _queue(self, owner: str, account: str) -> list[QueuedOrder]:
        items = self._query("open_orders", _queue_pk(owner, account), sk_after="#HEAD")
        return [order_from_row(item) for item in items]

    def open_orders(self, owner: str, account: str) -> list[QueuedOrder]:
        return [order for order in self._queue(owner, account) if order.is_open]

    def list_orders(
        self, owner: str, *, deployment_id: str | None = None, run_id: str | None = None
    ) -> list[QueuedOrder]:
        pointers = [
            p
            for p in self._query("list_orders", _owner_pk(owner), sk_prefix="ORD#")
            if (deployment_id is None or p["deployment_id"] == deployment_id)
            and (run_id is None or p["run_id"] == run_id)
        ]
        wanted = {p["sk"].removeprefix("ORD#") for p in pointers}
        orders = [
            order
            for account in sorted({p["account"] for p in pointers})
            for order in self._queue(owner, account)
            if order.client_order_id in wanted
        ]
        return orders

    def _update_order(
        self, owner: str, client_order_id: str, expected_status: str, changes: dict[str, Any]
    ) -> QueuedOrder:
        update = self._order_update(owner, client_order_id, expected_status, changes)
        item = self._update(
            "update_order",
            update["pk"],
            update["sk"],
            update["UpdateExpression"],
            update["ConditionExpression"],
            update["values"],
            update["ExpressionAttributeNames"],
        )
        if item is None:
            raise status_conflict(self.get_order(owner, client_order_id), expected_status)
        return order_from_row(item)

    def _order_update(
        self, owner: str, client_order_id: str, expected_status: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """The order's key (`pk`, `sk`), its update expression, condition (still
        `expected_status`), values (plain) and names; `NotFoundError` if there is no such
        order."""
        pointer = self._pointer(owner, client_order_id)
        values: dict[str, Any] = {":now": self._now(), ":expected": expected_status}
        names = {"#st": "status"}
        sets = ["updated_at = :now"]
        for index, (column, value) in enumerate(changes.items()):
            name = "#st" if column == "status" else f"#c{index}"
            names.setdefault(name, column)
            sets.append(f"{name} = :v{index}")
            values[f":v{index}"] = _float(value) if isinstance(value, float) else value
        return {
            "pk": _queue_pk(owner, pointer["account"]),
            "sk": f"{pointer['sequence']:012d}",
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "#st = :expected",
            "values": values,
            "ExpressionAttributeNames": names,
        }

    def _update_orders(
        self, owner: str, updates: list[tuple[str, str, dict[str, Any]]]
    ) -> list[QueuedOrder]:
        out = []
        for client_order_id, expected_status, changes in updates:
            try:
                out.append(self._update_order(owner, client_order_id, expected_status, changes))
            except ConflictError as exc:
                out.append(exc.current)
        return out
