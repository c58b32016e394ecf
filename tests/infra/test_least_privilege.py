"""Least privilege by construction: the API and WebSocket functions' store actions
(`infra.access`) are exactly what their code calls.

- Statically (`tests.support.store_access`): the store methods each function's code names, the boto3
  calls those make, their IAM actions per resource and the partition-key families they touch,
  equal the declaration, both ways; no `dynamodb:Scan` and no deletion (no `Delete*` action, no
  batch write's `DeleteRequest`) anywhere in either: an owner's delete is a tombstone the
  cleanup's purge removes (`Store.purge_deleted`).
- On the templates: the roles hold the declaration, each narrowed action under its
  `dynamodb:LeadingKeys` condition, and nothing else on the table or the results bucket.
- Dynamically: the WebSocket handler runs every route on the real AWS store (a moto server),
  every AWS call it makes recorded: each is one of its declared actions, on a key of a declared
  family, and every declared action is used.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.access import (
    CHECKPOINT_ACTIONS,
    CHECKPOINT_OBJECT_ACTIONS,
    CHECKPOINT_PURGE_ACTIONS,
    CHECKPOINT_PURGE_OBJECT_ACTIONS,
    PURGE_DOCUMENT_ACTIONS,
    PURGE_MODEL_ACTIONS,
    STORE_ACCESS,
    WS_CONNECTIONS,
)
from tests.support.cdk_synth import STAGES, Synthesized
from tests.support.cfn_templates import as_list, identity_policies, role_of
from tests.support.store_access import (
    DYNAMODB,
    S3,
    StoreCode,
    api_store_methods,
    direct_store_calls,
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ROOT = Path(__file__).resolve().parents[2]
WS_MODULES = ("api.ws_gateway", "api.auth")
"""The WebSocket function's code that touches the store: its handler, and the authenticator it
hands the store to."""
_SAVER_SPEC = importlib.util.find_spec("langgraph_checkpoint_aws")  # found, not imported (0.5 s)
assert _SAVER_SPEC is not None and _SAVER_SPEC.origin is not None
SAVER = Path(_SAVER_SPEC.origin).parent / "checkpoint" / "dynamodb"
REFUSED_SAVER_CALLS = {"get_bucket_lifecycle_configuration", "put_bucket_lifecycle_configuration"}
"""The saver's start-up attempt to add a lifecycle rule, refused on purpose (`infra.access`)."""


@pytest.fixture(scope="module")
def code() -> StoreCode:
    return StoreCode()


def declared_families(name: str) -> dict[str, frozenset[str]]:
    return {a: frozenset(f) for a, f in STORE_ACCESS[name].families.items()}


def test_the_api_holds_exactly_what_its_code_calls(code: StoreCode) -> None:
    methods = api_store_methods(code)
    assert {"delete_document", "delete_thread", "release_lease"} <= methods  # not vacuous
    assert not {"cleanup", "purge_deleted"} & methods  # the cleanup function's alone
    needs = code.needs(methods)
    deletions = {a for a in (*needs.table, *needs.results, *needs.documents) if "Delete" in a}
    assert deletions == set()
    batch_deleting = {m for m in methods if "ddb.batch_delete" in code.closure(m).operations}
    assert batch_deleting == set()  # its batch writes only put
    access = STORE_ACCESS["api"]
    assert needs.table == set(access.table)
    assert needs.index == set(access.index)
    assert needs.results == set(access.results)
    assert needs.documents == set(access.documents)
    assert needs.models == set(access.models)
    assert "put_strategy_model" in methods and "strategy_model_bytes" in methods
    for action, families in declared_families("api").items():
        assert needs.families[action] == families, action
    assert "dynamodb:Scan" not in needs.table


def test_the_websocket_function_holds_exactly_what_its_code_calls(code: StoreCode) -> None:
    calls = direct_store_calls(WS_MODULES)
    assert set(calls) == {"cache_get", "cache_put", "get_job", "events", "verify_api_key"}
    needs = code.needs(calls)
    access = STORE_ACCESS["ws"]
    assert needs.table == set(access.table) and not needs.index
    assert not needs.results and not needs.documents and not access.results
    assert not needs.models and not access.models
    families = declared_families("ws")
    for action in access.table:
        assert needs.families[action] >= {f.split("#")[0] + "#" for f in families[action]}
        if action != "dynamodb:PutItem":
            assert needs.families[action] == families[action], action
    # its only write is a connection, under the cache owner its handler names
    from api.ws_gateway import CONNECTIONS_OWNER

    assert families["dynamodb:PutItem"] == {WS_CONNECTIONS}
    assert f"CACHE#{CONNECTIONS_OWNER}#" == WS_CONNECTIONS
    for call in calls["cache_put"]:
        assert isinstance(call.args[0], ast.Name) and call.args[0].id == "CONNECTIONS_OWNER"


def test_the_worker_holds_every_store_action_but_the_scan_and_the_purge(
    code: StoreCode,
) -> None:
    scanning = {m for m in code.public() if "dynamodb:Scan" in code.needs({m}).table}
    assert scanning == {"cleanup", "purge_erased"}  # the erasure's purge finds every item too
    deleting = {m for m in code.public() if "dynamodb:DeleteItem" in code.needs({m}).table}
    assert deleting == {"purge_deleted", "purge_erased"}  # no other store method deletes an item
    for method in ("cleanup", "purge_deleted", "purge_erased"):
        callers = sorted(
            str(path.relative_to(ROOT))
            for package in ("api", "jobs", "services", "trading", "graphs", "agents", "tools")
            for path in (ROOT / package).rglob("*.py")
            if f".{method}(" in path.read_text()
        )
        assert callers == ["api/cli/jobs.py", "jobs/lambda_handlers.py"]  # the CLI, the cleanup
    needs = code.needs(code.public() - scanning - deleting)
    access = STORE_ACCESS["worker"]
    assert needs.table == set(access.table) and needs.index == set(access.index)
    assert needs.results == set(access.results)
    assert needs.models == set(access.models)
    assert not {a for a in (*needs.table, *needs.results, *needs.models) if "Delete" in a}
    assert not access.documents  # the documents are the API's (tests/infra/test_stacks.py)
    # and the cleanup's purge: a deleted document's original, every version of it, and the file
    # of a strategy model version another writer took
    purge = code.needs({"purge_deleted"})
    assert purge.documents == set(PURGE_DOCUMENT_ACTIONS)
    assert purge.models == set(PURGE_MODEL_ACTIONS)
    erasures = code.needs({"purge_erased"})  # an erased owner's originals and model files
    assert erasures.documents <= set(PURGE_DOCUMENT_ACTIONS)
    assert erasures.models <= set(PURGE_MODEL_ACTIONS)


def test_the_derivation_has_teeth(code: StoreCode) -> None:
    """A new call is seen: the cleanup scans, an unmapped boto3 call stops the derivation."""
    assert "dynamodb:Scan" in code.needs({"cleanup"}).table
    code.methods["get_job"].operations.add("ddb.restore_table_to_point_in_time")
    with pytest.raises(KeyError, match="restore_table_to_point_in_time"):
        code.needs({"get_job"})


def test_the_strategy_models_are_on_their_own_bucket_and_prefix(code: StoreCode) -> None:
    """The strategy models' S3 calls are on the model-artifacts bucket, not the results bucket,
    and the roles' prefix is where the store keys them."""
    from infra.stacks.common import MODELS_PREFIX
    from store.aws.strategy_models import OBJECT_PREFIX

    writes = code.needs({"put_strategy_model"})
    assert writes.models == {"s3:PutObject"}  # the loser's file goes to the purge
    assert not writes.results and not writes.documents
    assert "dynamodb:PutItem" in writes.table and writes.families["dynamodb:PutItem"] == {"OWNER#"}
    assert code.needs({"strategy_model_bytes"}).models == {"s3:GetObject"}
    assert not code.needs({"latest_strategy_model", "list_strategy_models"}).models
    # other objects stay where they are (a report's key helper shares its name with the models')
    others = code.needs({"dataset_bytes", "report_bytes", "document_bytes"})
    assert not others.models and others.results == {"s3:GetObject"} and others.documents
    assert MODELS_PREFIX == OBJECT_PREFIX


def saver_calls() -> dict[str, dict[str, set[str]]]:
    """Each boto3 call of LangGraph's DynamoDB saver, by client (`dynamodb_client`,
    `s3_client`): the saver's functions that make it."""
    called: dict[str, dict[str, set[str]]] = {"dynamodb_client": {}, "s3_client": {}}
    for path in SAVER.glob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                client = node.value if isinstance(node, ast.Attribute) else None
                if isinstance(client, ast.Attribute) and client.attr in called:
                    operation = node.attr  # type: ignore[attr-defined]
                    called[client.attr].setdefault(operation, set()).add(function.name)
    return called


def test_the_checkpoint_grants_are_what_the_saver_calls() -> None:
    """Read and write: the API's and the worker's; the calls only its deletes make: the
    cleanup's purge alone (`CHECKPOINT_PURGE_*`)."""
    called = saver_calls()
    ddb = called["dynamodb_client"]
    s3 = {op: f for op, f in called["s3_client"].items() if op not in REFUSED_SAVER_CALLS}
    tables = {a for op in ddb for a in DYNAMODB[op]}
    objects = {a for op in s3 for a in S3[op]}
    assert tables == {*CHECKPOINT_ACTIONS, *CHECKPOINT_PURGE_ACTIONS}
    assert "dynamodb:Scan" not in tables
    assert objects == {*CHECKPOINT_OBJECT_ACTIONS, *CHECKPOINT_PURGE_OBJECT_ACTIONS}
    purging = {op for op in ddb if set(DYNAMODB[op]) & set(CHECKPOINT_PURGE_ACTIONS)} | {
        op for op in s3 if set(S3[op]) & set(CHECKPOINT_PURGE_OBJECT_ACTIONS)
    }
    assert purging == {"batch_write_item", "delete_objects"}
    makers = ddb["batch_write_item"] | s3["delete_objects"]
    assert makers and all("delete" in name for name in makers), makers
    reading = {a for op in set(ddb) - purging for a in DYNAMODB[op]}
    assert reading == set(CHECKPOINT_ACTIONS)


def store_statements(template: dict[str, Any], stage: str, name: str) -> list[dict[str, Any]]:
    """The statements of the function `name`'s role that name the store table, the results
    bucket or the model-artifacts bucket."""
    role = {"Ref": role_of(template, f"stratigos-{stage}-{name}")}
    return [
        statement
        for policy in identity_policies(template).values()
        if role in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(
            k in json.dumps(statement["Resource"])
            for k in ("StoreTable", "ResultsBucket", "ModelArtifactsBucket")
        )
    ]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", ["api", "ws", "worker"])
def test_the_roles_hold_the_declaration_and_nothing_more(
    synthesized: Synthesized, stage: str, name: str
) -> None:
    template = synthesized.templates[stage]["compute" if name == "worker" else "api"]
    access = STORE_ACCESS[name]
    granted: dict[str, list[Any]] = {}
    for statement in store_statements(template, stage, name):
        keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).append(keys.get("dynamodb:LeadingKeys"))
            assert action != "dynamodb:Scan" and "Delete" not in action
    expected = {*access.table, *access.index, *access.results, *access.models}
    assert set(granted) == expected
    for action, families in access.families.items():
        assert granted[action] == [[f"{family}*" for family in families]], action
    unconditioned = {a for a, conditions in granted.items() if None in conditions}
    assert unconditioned == expected - set(access.families)


RESOURCES = (
    "StoreTable",
    "ResultsBucket",
    "DocumentsBucket",
    "MemoryTable",
    "CheckpointTable",
    "OffloadBucket",
    "ResearchIndexBucket",
)


def deletes(action: str) -> bool:
    """Whether an IAM action (a pattern such as `s3:Delete*`, `dynamodb:*`) allows a `Delete*`."""
    name = action.partition(":")[2] if ":" in action else action
    if name.endswith("*"):
        return "Delete".startswith(name[:-1]) or name[:-1].startswith("Delete")
    return name.startswith("Delete")


def test_deletes_recognizes_delete_actions_and_patterns() -> None:
    assert all(map(deletes, ["s3:DeleteObject", "s3:Delete*", "s3:*", "*", "dynamodb:De*"]))
    assert not any(map(deletes, ["s3:GetObject", "s3:Abort*", "kms:GenerateDataKey*"]))


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_and_websocket_roles_delete_nothing(synthesized: Synthesized, stage: str) -> None:
    """No `Delete*` (nor a pattern allowing one) in the API and WebSocket roles, on any
    resource: owners' deletes are tombstones the cleanup purges, LanceDB's old files of the
    research index are the cleanup's too (docs/DEPLOY.md, "Least privilege")."""
    template = synthesized.templates[stage]["api"]
    found: dict[str, set[tuple[str, str]]] = {"api": set(), "ws": set()}
    for name, actions in found.items():
        role = {"Ref": role_of(template, f"stratigos-{stage}-{name}")}
        for policy in identity_policies(template).values():
            if role not in policy["Properties"].get("Roles", []):
                continue
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                where = json.dumps(statement["Resource"])
                (resource,) = [r for r in RESOURCES if r in where] or [where]
                actions |= {(resource, a) for a in as_list(statement["Action"]) if deletes(a)}
    assert found == {"api": set(), "ws": set()}


# -- the WebSocket handler on the real AWS store -------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, str, Any]]]:
    """Every AWS call the WebSocket handler makes while it serves each of its routes, against
    the AWS store on a moto server: (service, operation, parameters)."""
    import botocore.client

    import api.ws_gateway as ws
    from jobs.handlers import JobEvent
    from settings import get_settings
    from store.aws import AWSStore, create_tables
    from tests.api.test_ws_gateway import connect_event, disconnect_event, message_event
    from tests.support.aws import FAKE_AWS_ENV, moto_server

    calls: list[tuple[str, str, Any]] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: Any) -> Any:
        calls.append((client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    with moto_server() as url, pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_AWS_ENV.items():
            mp.setenv(key, value)
        environment = {
            "STRATIGOS_DATA_DIR": str(tmp_path_factory.mktemp("ws-aws")),
            "STRATIGOS_MODEL_PROVIDER": "offline",
            "STRATIGOS_STORE_BACKEND": "aws",
            "STRATIGOS_STORE_TABLE_PREFIX": "stratigos-test-",
            "STRATIGOS_STORE_S3_BUCKET": "stratigos-test-results",
            "STRATIGOS_STORE_AWS_ENDPOINT_URL": url,
            "STRATIGOS_STORE_AWS_REGION": "us-east-1",
            "STRATIGOS_WS_CALLBACK_URL": url,
        }
        for key, value in environment.items():
            mp.setenv(key, value)
        import boto3

        pepper = "a-pepper-as-long-and-random-as-production-s-0123456789"
        secrets = boto3.client("secretsmanager", endpoint_url=url)
        secret = secrets.create_secret(Name="stratigos-test/pepper", SecretString=pepper)
        mp.setenv("STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID", secret["ARN"])
        get_settings.cache_clear()
        create_tables("stratigos-test-store", "stratigos-test-results", endpoint_url=url)
        setup = AWSStore(
            "stratigos-test-store",
            "stratigos-test-results",
            endpoint_url=url,
            api_key_pepper=pepper,
        )
        key, _ = setup.create_api_key("ann", "ws")
        job, _ = setup.submit_job("ann", "optimization", {"tickers": ["AAPL"]})
        setup.append_events("ann", job.id, [JobEvent(job.id, 1, "started", {"trials": 40})])
        mp.setattr(ws, "_store", None)
        mp.setattr(botocore.client.BaseClient, "_make_api_call", record)
        ws.handler(connect_event("c-1", {"x-api-key": key}))
        ws.handler(connect_event("c-2", {"x-api-key": "not-a-key"}))
        ws.handler(message_event("c-1", json.dumps({"action": "status", "job_id": job.id})))
        ws.handler(message_event("c-1", json.dumps({"action": "status", "job_id": "nope"})))
        ws.handler(message_event("c-9", json.dumps({"action": "status", "job_id": job.id})))
        ws.handler(disconnect_event("c-1"))
        mp.setattr(botocore.client.BaseClient, "_make_api_call", original)
        if ws._store is not None:
            ws._store.close()
        yield calls
    get_settings.cache_clear()


def partition_key(params: dict[str, Any]) -> str:
    """The partition key a DynamoDB call names (its key, item or key condition's `:pk`)."""
    for field in ("Key", "Item"):
        if field in params:
            return str(params[field]["pk"]["S"])
    return str(params["ExpressionAttributeValues"][":pk"]["S"])


def test_the_websocket_handler_on_aws_uses_its_declared_actions_only(
    recorded: list[tuple[str, str, Any]],
) -> None:
    access = STORE_ACCESS["ws"]
    services = {service for service, _, _ in recorded}
    assert services <= {"dynamodb", "secretsmanager", "apigatewaymanagementapi"}
    used: set[str] = set()
    for service, operation, params in recorded:
        if service != "dynamodb":
            continue
        (action,) = DYNAMODB[_snake(operation)]
        used.add(action)
        assert action in access.table, operation
        key = partition_key(params)
        assert any(key.startswith(f) for f in access.families[action]), (action, key)
    assert used == set(access.table)  # every declared action is one the handler uses
    posts = [op for service, op, _ in recorded if service == "apigatewaymanagementapi"]
    assert posts == ["PostToConnection", "PostToConnection"]  # a status and a not-found


def _snake(operation: str) -> str:
    """`GetItem` -> `get_item` (boto3's method name of an operation)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_cleanup_scans_the_tenant_table(synthesized: Synthesized, stage: str) -> None:
    scanners = set()
    for template in synthesized.templates[stage].values():
        for policy in identity_policies(template).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                scans = {"dynamodb:Scan", "dynamodb:*", "*"} & set(as_list(statement["Action"]))
                if scans and "StoreTable" in json.dumps(statement["Resource"]):
                    scanners |= {r["Ref"] for r in policy["Properties"].get("Roles", [])}
    operations = synthesized.templates[stage]["operations"]
    assert scanners == {role_of(operations, f"stratigos-{stage}-cleanup")}


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_cleanup_deletes_checkpoints(synthesized: Synthesized, stage: str) -> None:
    """The saver's deletes (`CHECKPOINT_PURGE_*`) on the checkpoint table and `checkpoints/`
    are the cleanup role's alone: its purge deletes a deleted thread's conversation; the API
    and the worker read and write them only."""
    purge = {*CHECKPOINT_PURGE_ACTIONS, *CHECKPOINT_PURGE_OBJECT_ACTIONS}
    deleters: dict[str, set[str]] = {}
    for template in synthesized.templates[stage].values():
        for policy in identity_policies(template).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                where = json.dumps(statement["Resource"])
                if "CheckpointTable" not in where and "/checkpoints/" not in where:
                    continue  # (the offload bucket's other prefixes are the worker's scratch)
                actions = set(as_list(statement["Action"]))
                held = {a for a in actions if a in purge or deletes(a) or a.endswith(":*")}
                for role in policy["Properties"].get("Roles", []):
                    deleters.setdefault(role["Ref"], set()).update(held)
    operations = synthesized.templates[stage]["operations"]
    cleanup = role_of(operations, f"stratigos-{stage}-cleanup")
    assert deleters.pop(cleanup) == purge
    assert not any(deleters.values()), deleters
