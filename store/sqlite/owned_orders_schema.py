"""The SQLite migration that makes a client order id the owner's (migration 16): the queue's
orders are keyed by owner and client order id, as the DynamoDB store's pointers
(`OWNER#<owner>` / `ORD#<client order id>`) always were. Before it, an id was unique across
owners, so one owner's order could refuse another's enqueue. The table is rebuilt with its rows
and indexes (SQLite cannot change a primary key in place)."""

from __future__ import annotations

_COLUMNS = (
    "client_order_id, owner, account, deployment_id, run_id, sequence, symbol, side, quantity, "
    "status, attempts, filled_quantity, average_price, reason, created_at, updated_at, "
    "allocations, internal_price"
)

ORDERS_BY_OWNER = (
    16,
    f"""
    CREATE TABLE queued_orders_by_owner (
        client_order_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        account TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        quantity REAL NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        filled_quantity REAL NOT NULL,
        average_price REAL,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        allocations TEXT,
        internal_price REAL,
        PRIMARY KEY (owner, client_order_id),
        UNIQUE (owner, account, sequence)
    );
    INSERT INTO queued_orders_by_owner ({_COLUMNS}) SELECT {_COLUMNS} FROM queued_orders;
    DROP TABLE queued_orders;
    ALTER TABLE queued_orders_by_owner RENAME TO queued_orders;
    CREATE INDEX queued_orders_by_deployment
        ON queued_orders (owner, deployment_id, account, sequence);
    CREATE INDEX queued_orders_by_run ON queued_orders (owner, run_id, account, sequence);
    CREATE INDEX queued_orders_open ON queued_orders (owner, account, sequence)
        WHERE status IN ('queued', 'submitted', 'partially_filled');
    """,
)
"""(version, SQL script): the queue's orders keyed by owner and client order id."""
