"""The tests' moto server without the costs that tell a test nothing (issue 63).

Importing this module changes moto and its server for the process:

- `KeepAliveRequestHandler` answers many requests on one connection: werkzeug's development
  server closes every connection after one response (then waits 10 ms for stray bytes of the
  request), so each boto3 call paid a TCP connection, a server thread and that wait. A request
  whose body has a length is read whole before moto sees it, so nothing of it is left on the
  connection; a chunked request is served by werkzeug, which closes the connection. It logs no
  line per request either, nor a connection left idle past its timeout.
- moto's listing of its own package directory (a `stat` of each of its ~150 service folders, to
  see whether the host names a service) is made once per process.
- A DynamoDB `TransactWriteItems` backs up the items it names (a copy of each, before any of
  its actions runs) instead of a deep copy of every table it touches, and puts them back when
  it fails: the same rollback, whatever the table's size (moto copied the whole table for each
  transaction). A table with a stream keeps moto's whole copy.
- moto's response serializer picks each member of a plain dict result (DynamoDB's items) from
  the names it tried before for that member of that shape (it tried six alias rules per member
  of every item of every response); the methods of a response class are listed once.

What moto answers is unchanged: the same data, the same errors, the same rollback.
"""

from __future__ import annotations

import copy
import functools
import inspect
import io
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

from moto import backends
from moto.core import responses as moto_responses
from moto.core.serialize import DEFAULT_ALIAS_PROVIDERS, XFormedAttributePicker
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import MotoRequestHandler

_MOTO_MODULES = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: _MOTO_MODULES  # the same names, listed once


# --- keep-alive connections --------------------------------------------------------------------


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler keeping HTTP/1.1 connections open, without a log line a request
    (see the module docstring)."""

    timeout = 5
    """Seconds an idle kept-open connection waits for its next request (a server stopped leaves
    no handler thread waiting on a pooled connection for long)."""

    disable_nagle_algorithm = True
    """A response's headers and body are two writes: the body must not wait for the headers'
    acknowledgement (which a client delays) as it would in Nagle's algorithm."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""

    def handle_one_request(self) -> None:
        """Serve the connection's next request; a kept-open connection on which no byte of a
        next request comes within `timeout` is closed without a word (its client's pool let it
        go: http.server logged "Request timed out" as an error, which a test watching the
        process's log then took for its own server's). A request that stalls once begun is
        still logged."""
        try:
            self.rfile.peek(1)  # a buffered reader of the socket
        except TimeoutError:
            self.close_connection = True
            return
        super().handle_one_request()

    def run_wsgi(self) -> None:
        """Serve one request whose body was read whole, leaving the connection open."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            super().run_wsgi()  # werkzeug's: it closes the connection after the response
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        status, headers, payload = _respond(self.server.app, environ)
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        named = {name.lower() for name, _ in headers}
        for name, value in headers:
            if name.lower() not in ("connection", "transfer-encoding"):
                self.send_header(name, value)
        if "content-length" not in named and not (int(code) < 200 or int(code) in (204, 304)):
            self.send_header("Content-Length", str(len(payload)))  # none on a bodiless status
        if status.startswith("500"):
            self.send_header("Connection", "close")  # after a failure, start afresh
        self.end_headers()
        if environ["REQUEST_METHOD"] != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


def _respond(app: Callable[..., Any], environ: dict[str, Any]) -> tuple[str, list[Any], bytes]:
    """The WSGI application's status, headers and whole body for `environ`; a failure escaping
    it is a 500 with its traceback printed (as werkzeug would log it)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return chunks.append

    chunks: list[bytes] = []
    try:
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception:
        import traceback

        traceback.print_exc()
        return "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], b"moto failed"
    return started[0], started[1], b"".join(chunks)


# --- DynamoDB transactions: the items they name backed up, not whole tables ---------------------

_journal = threading.local()
"""`active`: a transaction of this (server) thread backs up its items itself."""
_Saved = tuple[Table, DynamoType, DynamoType | None, bool, Any]
"""(table, hash key, range key, whether the partition existed, a copy of the item or None)."""


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy` for moto's DynamoDB backend; within a transaction that backs up its own
    items, a table's "backup" is the table itself (moto's rollback then puts back the same
    object, and `_transact_backing_up_items` restores the items)."""
    if getattr(_journal, "active", False) and isinstance(value, Table):
        return value
    return copy.deepcopy(value, memo)


def _named_items(backend: DynamoDBBackend, transact_items: Any) -> Iterator[_Saved]:
    """What `transact_items` may change, as it is before the transaction: each item it names
    (in a table that exists, with its whole key)."""
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Item") if "Item" in op else op.get("Key")
        if not isinstance(key, dict) or table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr is None:
            item = table.items.get(hash_key)
            yield table, hash_key, None, True, copy.deepcopy(item)
            continue
        if table.range_key_attr not in key:
            continue
        range_key = DynamoType(key[table.range_key_attr])
        partition = table.items.get(hash_key)
        item = None if partition is None else partition.get(range_key)
        yield table, hash_key, range_key, partition is not None, copy.deepcopy(item)


def _restore(saved: list[_Saved]) -> None:
    """Put each saved item back as it was (the first saved copy of a key last)."""
    for table, hash_key, range_key, had_partition, item in reversed(saved):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
            continue
        if item is not None:
            table.items[hash_key][range_key] = item
            continue
        partition = table.items.get(hash_key)
        if partition is not None:
            partition.pop(range_key, None)
            if not partition and not had_partition:
                del table.items[hash_key]


_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_backing_up_items(self: DynamoDBBackend, transact_items: Any) -> None:
    saved = list(_named_items(self, transact_items))
    if any(table.stream_shard is not None for table, *_ in saved):
        _transact_write_items(self, transact_items)  # moto's copy of each whole table
        return
    _journal.active = True
    try:
        _transact_write_items(self, transact_items)
    except BaseException:
        _restore(saved)
        raise
    finally:
        _journal.active = False


DynamoDBBackend.transact_write_items = _transact_backing_up_items
dynamodb_models.copy = types.SimpleNamespace(deepcopy=_deepcopy)


# --- the response serializer and dispatch ------------------------------------------------------

_possible_keys = XFormedAttributePicker.get_possible_keys
_known_keys: dict[tuple[int, int, str], tuple[Any, Any, tuple[str, ...]]] = {}
"""(shape, its parent, member name) by their ids -> (the shape, the parent, the names tried):
the shapes are kept, so their ids stay theirs (moto's service models live for the process)."""


def _remembered_keys(self: XFormedAttributePicker, context: Any) -> Iterator[str]:
    """The names under which `context.key` is looked up in a plain dict: what the alias rules
    give depends only on the shape, its parent and the name (a dict has no `Meta`, and its
    class name is `dict`); anything else is asked of the rules."""
    if type(context.obj) is not dict or self.alias_providers is not DEFAULT_ALIAS_PROVIDERS:
        return _possible_keys(self, context)
    shape = context.shape
    parent = getattr(shape, "parent", None)
    index = (id(shape), id(parent), context.key)
    known = _known_keys.get(index)
    if known is None or known[0] is not shape or known[1] is not parent:
        known = (shape, parent, tuple(_possible_keys(self, context)))
        _known_keys[index] = known
    return iter(known[2])


XFormedAttributePicker.get_possible_keys = _remembered_keys


@functools.cache
def _method_names(cls: type) -> frozenset[str]:
    """The names of `cls`'s functions (moto's dispatch looks the action up there)."""
    return frozenset(name for name, _ in inspect.getmembers(cls, predicate=inspect.isfunction))


moto_responses.method_names_from_class = _method_names
