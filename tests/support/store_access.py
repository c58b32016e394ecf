"""What the code of a function asks of the AWS store, read from the source (no import, no node).

- `StoreCode` parses the store's modules (`store/*.py`, `store/aws/*.py`; not the SQLite
  backend): for each method, by name, the boto3 calls it makes on the store's DynamoDB and S3
  clients (`self.ddb.<op>`, `self.s3.<op>`), the items of the transactions it builds (a dict
  `{"Put" | "Update" | "Delete" | "ConditionCheck": {"TableName": ...}}`), whether it queries an
  index (`IndexName`), the partition-key families it names (string constants and f-string heads
  such as ``"DOCCHUNK#"``, kept when `store.aws.table`'s item table lists them as a partition
  key), and the methods and functions it calls. A method's needs are those of everything it
  calls, transitively (methods of one name are merged: the AWS store's MRO and the base class's
  default bodies alike).
- `api_store_methods`: the store's public methods named (called or passed) by any module the API
  function imports (`api.app` and, transitively, every module its modules import, by their
  import statements; the store's own modules excluded; each module's source read and walked
  once, `module_names`): the API serves every route of those.
- `direct_store_calls`: the store methods some modules call on a receiver named `store` (the
  WebSocket function's `api.ws_gateway` and `api.auth`, whose handler holds the store so).
- `StoreCode.needs`: the IAM actions of a set of methods, per resource: the table, its indexes,
  the results bucket's objects, the model-artifacts bucket's objects (the S3 calls of a method
  that reaches a body naming `self.model_artifacts_bucket`), the documents bucket's objects (of
  a method that reaches `store.aws.documents`).
  A boto3 call with no entry in `DYNAMODB` / `S3` fails the derivation (map it first).
"""

from __future__ import annotations

import ast
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DYNAMODB = {
    "get_item": ("dynamodb:GetItem",),
    "put_item": ("dynamodb:PutItem",),
    "update_item": ("dynamodb:UpdateItem",),
    "delete_item": ("dynamodb:DeleteItem",),
    "query": ("dynamodb:Query",),
    "scan": ("dynamodb:Scan",),
    "batch_write_item": ("dynamodb:BatchWriteItem",),
    "batch_delete": ("dynamodb:BatchWriteItem",),  # a body building a `DeleteRequest` (Method)
    "batch_get_item": ("dynamodb:BatchGetItem",),
    "transact_write_items": (),  # IAM authorizes each item's own action (TRANSACTION)
    "describe_table": ("dynamodb:DescribeTable",),
}
"""boto3 DynamoDB operation -> the IAM actions it needs."""
TRANSACTION = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
"""A `TransactWriteItems` item's kind -> the IAM action DynamoDB authorizes it by."""
S3 = {
    "get_object": ("s3:GetObject",),
    "head_object": ("s3:GetObject",),
    "put_object": ("s3:PutObject",),
    "create_multipart_upload": ("s3:PutObject",),
    "abort_multipart_upload": ("s3:AbortMultipartUpload",),
    "delete_object": ("s3:DeleteObject",),
    "delete_objects": ("s3:DeleteObject",),  # and DeleteObjectVersion by `VersionId` (Method)
    "list_object_versions": ("s3:ListBucketVersions",),
    "restore_object": ("s3:RestoreObject",),
}
"""boto3 S3 operation -> the IAM actions it needs."""
_FAMILY = re.compile(r"^([A-Z]+#)")
BUCKETS = {"bucket": "results", "documents_bucket": "documents", "model_artifacts_bucket": "models"}
"""The store's bucket attributes -> the resource of `Needs` their objects are."""


def _s3_operation(node: ast.expr) -> str | None:
    """The operation `node` names when it is ``<x>.s3.<op>``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "s3"
    ):
        return node.attr
    return None


@dataclass
class Method:
    """What the bodies of the store's methods of one name do themselves."""

    calls: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)
    """``ddb.<op>``, ``s3.<op>`` and ``tx.<Kind>`` (a transaction item); ``ddb.batch_delete``
    when the body builds a batch write's ``DeleteRequest``."""
    families: set[str] = field(default_factory=set)
    index: bool = False
    versions: bool = False
    """It names `VersionId` (so its S3 deletions delete versions: `s3:DeleteObjectVersion`)."""
    models: bool = False
    """It reads `self.model_artifacts_bucket` other than as a call's ``Bucket=`` (so its S3
    calls are on the model-artifacts bucket)."""
    placed: set[tuple[str, str]] = field(default_factory=set)
    """S3 operations whose call names its bucket (``Bucket=self.documents_bucket``): (the
    operation, `BUCKETS`' resource), attributed to that resource alone."""
    modules: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Needs:
    """The IAM actions a set of store methods needs, per resource."""

    table: frozenset[str]
    index: frozenset[str]
    results: frozenset[str]
    documents: frozenset[str]
    models: frozenset[str]
    families: dict[str, frozenset[str]]
    """Table action -> the partition-key families the methods using it name."""


def _names_a_table(node: ast.expr | None) -> bool:
    """Whether `node` is a dict literal with the key ``TableName`` (a transaction's item)."""
    return isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "TableName" for key in node.keys
    )


def partition_families() -> frozenset[str]:
    """The partition-key families of `store.aws.table`'s item table (``OWNER#``, ``RUN#``)."""
    text = (ROOT / "store" / "aws" / "table.py").read_text()
    docstring = ast.get_docstring(ast.parse(text)) or ""
    found = set()
    for line in docstring.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and (match := _FAMILY.match(cells[2].strip("`"))):
            found.add(match.group(1))
    return frozenset(found)


class StoreCode:
    """The AWS store's methods as the source has them (see the module docstring)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.families = partition_families()
        self.methods: dict[str, Method] = defaultdict(Method)
        for path in sorted(
            [*(root / "store").glob("*.py"), *(root / "store" / "aws").glob("*.py")]
        ):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef):
                    self._read(node, module)

    def _read(self, function: ast.FunctionDef, module: str) -> None:
        method = self.methods[function.name]
        method.modules.add(module)
        placed: set[int] = set()  # the nodes of operations and buckets a call places
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                bucket = next((k.value for k in node.keywords if k.arg == "Bucket"), None)
                if isinstance(bucket, ast.Attribute) and bucket.attr in BUCKETS:
                    for named in (node.func, *node.args):
                        if (op := _s3_operation(named)) is not None:
                            method.placed.add((op, BUCKETS[bucket.attr]))
                            placed.update((id(named), id(bucket)))
            if id(node) in placed:
                continue
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr in ("ddb", "s3")
            ):
                method.operations.add(f"{node.value.attr}.{node.attr}")
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):
                    method.calls.add(node.func.attr)
                elif isinstance(node.func, ast.Name):
                    method.calls.add(node.func.id)
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    name = key.value if isinstance(key, ast.Constant) else None
                    if name == "IndexName":
                        method.index = True
                    if name in TRANSACTION and _names_a_table(value):
                        method.operations.add(f"tx.{name}")
            if isinstance(node, ast.keyword) and node.arg == "IndexName":
                method.index = True
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "model_artifacts_bucket"
                and isinstance(node.ctx, ast.Load)
            ):
                method.models = True
            if isinstance(node, ast.Constant) and node.value == "VersionId":
                method.versions = True
            if isinstance(node, ast.Constant) and node.value == "DeleteRequest":
                method.operations.add("ddb.batch_delete")
            head = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
            text = head.value if isinstance(head, ast.Constant) else None
            match = _FAMILY.match(text) if isinstance(text, str) else None
            if match and match.group(1) in self.families:
                method.families.add(match.group(1))

    def public(self) -> frozenset[str]:
        """The names of the store's public methods (defined under `store/`)."""
        return frozenset(n for n in self.methods if not n.startswith("_"))

    def closure(self, name: str) -> Method:
        """Everything `name` does, itself and through what it calls (store methods only)."""
        merged = Method()
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.methods:
                continue
            seen.add(current)
            method = self.methods[current]
            merged.operations |= method.operations
            merged.families |= method.families
            merged.index |= method.index
            merged.versions |= method.versions
            merged.models |= method.models
            merged.placed |= method.placed
            merged.modules |= method.modules
            todo.extend(method.calls)
        return merged

    def needs(self, names: Iterable[str]) -> Needs:
        """The IAM actions `names` need (see `Needs`); `KeyError` names an unmapped call."""
        table: set[str] = set()
        index: set[str] = set()
        results: set[str] = set()
        documents: set[str] = set()
        models: set[str] = set()
        families: dict[str, set[str]] = defaultdict(set)
        for name in names:
            done = self.closure(name)
            own: set[str] = set()
            in_documents = "store.aws.documents" in done.modules
            for operation in done.operations:
                client, _, op = operation.partition(".")
                if client == "tx":
                    own.add(TRANSACTION[op])
                elif client == "ddb":
                    own.update(DYNAMODB[op])
                    if op == "query" and done.index:
                        index.add("dynamodb:Query")
                else:
                    bucket = models if done.models else documents if in_documents else results
                    bucket.update(S3[op])
                    if op.startswith("delete") and done.versions:
                        bucket.add("s3:DeleteObjectVersion")
            for op, resource in done.placed:
                bucket = {"results": results, "documents": documents, "models": models}[resource]
                bucket.update(S3[op])
            table |= own
            for action in own:
                families[action] |= done.families
        return Needs(
            frozenset(table),
            frozenset(index),
            frozenset(results),
            frozenset(documents),
            frozenset(models),
            {action: frozenset(found) for action, found in families.items()},
        )


@functools.cache
def module_path(module: str, root: Path = ROOT) -> Path | None:
    """The source file of `module` under `root`, None when it is not ours (asked once per
    process: the sources do not move while the tests read them)."""
    base = root / module.replace(".", "/")
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else None


@dataclass(frozen=True)
class ModuleNames:
    """What one module's source names: the modules its import statements import (anywhere, a
    function's body included; relative imports made absolute, `from a import b` as `a` and
    `a.b`), and the attributes it reads (`x.attr`)."""

    imports: frozenset[str]
    attributes: frozenset[str]


def module_names(module: str, path: Path) -> ModuleNames:
    """`ModuleNames` of `module`, whose source is `path`, from one walk of its syntax tree."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    imports: set[str] = set()
    attributes: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            attributes.add(node.attr)
        elif isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            imports.add(base)
            imports.update(f"{base}.{alias.name}" for alias in node.names)
    return ModuleNames(frozenset(imports), frozenset(attributes))


def imported_modules(entry: str, root: Path = ROOT) -> dict[str, ModuleNames]:
    """`entry` and every module of ours it imports, transitively, by its import statements
    (anywhere in a module, a function's body included), and the packages above each: each with
    what its source names (a module without a source file under `root`: nothing)."""
    seen: dict[str, ModuleNames] = {}
    todo = [entry]
    while todo:
        module = todo.pop()
        path = module_path(module, root)
        seen[module] = (
            ModuleNames(frozenset(), frozenset()) if path is None else module_names(module, path)
        )
        for name in seen[module].imports:
            while name and module_path(name, root) is None:
                name = name.rpartition(".")[0]
            parts = name.split(".") if name else []
            for i in range(1, len(parts) + 1):
                found = ".".join(parts[:i])
                if found not in seen and found not in todo and module_path(found, root):
                    todo.append(found)
    return seen


def api_store_methods(code: StoreCode, entry: str = "api.app") -> frozenset[str]:
    """The store's public methods any module `entry` imports names (see the module docstring)."""
    public = code.public()
    found: set[str] = set()
    for module, names in imported_modules(entry).items():
        if module != "store" and not module.startswith("store."):
            found |= names.attributes & public
    return frozenset(found)


def direct_store_calls(modules: Iterable[str]) -> dict[str, list[ast.Call]]:
    """The calls, by method name, that `modules` make on a receiver named `store`
    (``store.m(...)``, ``self.store.m(...)``)."""
    found: dict[str, list[ast.Call]] = defaultdict(list)
    for module in modules:
        path = module_path(module)
        assert path is not None, module
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            name = (
                receiver.attr
                if isinstance(receiver, ast.Attribute)
                else getattr(receiver, "id", "")
            )
            if name == "store":
                found[node.func.attr].append(node)
    return dict(found)
