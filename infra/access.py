"""What the API, worker and WebSocket functions may do to the store: the actions their code calls,
and no other (`infra.stacks.common.grant_store_access` turns this into their roles' policies).

Declared here, derived from the code by tests/infra/test_least_privilege.py (the store's boto3
calls, per method, and which methods each function's code names), which fails when the two
differ either way: an action the code needs and the role lacks, or one the role has and no code
calls. None of them may `dynamodb:Scan` (only the cleanup's retention does: the one store
method that scans, which only its handler and the CLI call) nor administer a table or bucket,
and none of them deletes anything: an owner's delete marks the item deleted (a tombstone,
hidden from every read at once: `store.aws.tombstones`) and the cleanup function, every quarter
hour, purges it with what goes with it (`Store.purge_deleted`, the other store method only its
handler and the CLI call; on the documents bucket it needs `PURGE_DOCUMENT_ACTIONS`). The
worker may call any store method but those two (its jobs reach the store by handlers
registered by name, so its code is not narrowed further) and never touches the documents.
The owners' strategy models (`store.aws.strategy_models`, the model-artifacts bucket's
`strategy-models/`) are the API's and the worker's, whose code names both sides: estimates and
warm starts read an owner's newest version, the training after a search writes the next (and
hands its file to the purge if another writer took that version number: the cleanup's
`PURGE_MODEL_ACTIONS`).

Partition-key families (`store.aws.table`'s item table: ``OWNER#<owner>``, ``RUN#<run id>``, ...)
narrow an action with the condition `dynamodb:LeadingKeys`: the action applies only to items
whose partition key starts with one of the listed families. The API's batch writes put
document chunks (``DOCCHUNK#``) and trials (``TRIALS#``), never delete (the derivation checks
its code builds no ``DeleteRequest``). The WebSocket function reads an API key's lookup, its
connections (cached under the owner ``ws-connections``), a job and its trace events, and writes
its connections only.

Per owner, IAM cannot narrow further: one role serves every owner of a function, and the owner
is known only inside a request (docs/DEPLOY.md, "Least privilege").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

API_KEY_CHECKERS = frozenset({"api", "ws"})
"""The functions whose code creates or verifies API keys (`api.auth`, the WebSocket's
`$connect`): the only ones given the API key pepper. Every other process that opens the store
runs with `STRATIGOS_STORE_API_KEY_CHECKS=false` and may not read it."""
WS_CONNECTIONS = "CACHE#ws-connections#"
"""The partition-key family of the WebSocket function's connections (`api.ws_gateway`'s cache
owner `CONNECTIONS_OWNER`; tests/infra/test_least_privilege.py checks they agree)."""


@dataclass(frozen=True)
class StoreAccess:
    """A function's actions on the store: the table (each, when `families` names it, only on
    those partition-key families), the table's indexes, the objects of the results bucket and of
    the documents bucket (`documents/*`; `s3:ListBucketVersions` is on the bucket) and of the
    model-artifacts bucket (`strategy-models/*`)."""

    table: tuple[str, ...]
    index: tuple[str, ...] = ()
    families: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    results: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


STORE_ACCESS: dict[str, StoreAccess] = {
    "api": StoreAccess(
        table=(
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ),
        index=("dynamodb:Query",),
        families={
            # document chunks and trials put (a failed upload's records name OWNER#)
            "dynamodb:BatchWriteItem": ("DOCCHUNK#", "OWNER#", "TRIALS#"),
        },
        results=("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"),
        # a version's file read and written (a writer that lost its version number hands its
        # file to the purge)
        models=("s3:GetObject", "s3:PutObject"),
        documents=("s3:GetObject", "s3:PutObject", "s3:RestoreObject"),
    ),
    "worker": StoreAccess(
        # whatever a job, a schedule or a trade needs of the store, but scanning or purging it
        table=(
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ),
        index=("dynamodb:Query",),
        results=("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"),
        models=("s3:GetObject", "s3:PutObject"),
    ),
    "ws": StoreAccess(
        table=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
        families={
            "dynamodb:GetItem": ("APIKEY#", "CACHE#", "OWNER#", "RUN#"),
            "dynamodb:PutItem": (WS_CONNECTIONS,),
            "dynamodb:Query": ("RUN#",),
        },
    ),
    # the search pipeline's steps: the training step reads the owner's newest model and stores
    # the next version (services.strategy_model.learn); nothing else of the store
    "pipeline": StoreAccess(
        table=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
        families={
            "dynamodb:GetItem": ("OWNER#",),
            "dynamodb:PutItem": ("OWNER#",),
            "dynamodb:Query": ("OWNER#",),
        },
        models=("s3:GetObject", "s3:PutObject"),
    ),
    # the estimates' serverless endpoint: reads an owner's model (services.estimates)
    "estimates": StoreAccess(
        table=("dynamodb:GetItem", "dynamodb:Query"),
        families={"dynamodb:GetItem": ("OWNER#",), "dynamodb:Query": ("OWNER#",)},
        models=("s3:GetObject",),
    ),
}
"""Function or role (its name's last part, `stratigos-<stage>-<name>`; `pipeline`: the search
pipeline's steps, `estimates`: the estimates' endpoint) -> its store actions."""

PURGE_DOCUMENT_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions")
PURGE_MODEL_ACTIONS = ("s3:DeleteObject",)
"""What the purge calls on the model-artifacts bucket's `strategy-models/`: the file of a version
whose number another writer took."""
"""What the purge (`Store.purge_deleted`, the cleanup function's) calls on the documents bucket:
a deleted document's original, every version of it. On the table and the results bucket the
cleanup's role holds item- and object-level read, write and delete (its retention scans)."""

CHECKPOINT_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
)
"""What LangGraph's `DynamoDBSaver` calls on the checkpoint table to read and write (no scan),
for the functions that run graphs (the API and the worker)."""
CHECKPOINT_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
"""What it calls on `checkpoints/` of the offload bucket to read and write. Its start-up attempt
to add a lifecycle rule to the bucket is refused on purpose (it logs a warning): the foundation
stack's own rule expires offloaded checkpoints."""
CHECKPOINT_PURGE_ACTIONS = ("dynamodb:BatchWriteItem",)
"""What its `delete_thread` calls besides (its only batch writes are those deletes), with
`CHECKPOINT_PURGE_OBJECT_ACTIONS`: the cleanup's alone, whose purge deletes a deleted chat
thread's checkpoints (`Store.purge_deleted`); a thread's delete in the API only marks it."""
CHECKPOINT_PURGE_OBJECT_ACTIONS = ("s3:DeleteObject",)
"""What `delete_thread` calls on `checkpoints/` besides (`DeleteObjects`, one action per key)."""
