"""The tests' moto server (`tests.support.moto_speed`) answers as moto does: a failed DynamoDB
transaction leaves every item as it was, responses are whole and the same on a kept-open
connection, a chunked request is served too."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ddb(moto_endpoint: str, aws_env: None, aws_names: dict[str, str]) -> Iterator[Any]:
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name="us-east-1")
    yield client
    client.close()


def _everything(ddb: Any, table: str) -> list[dict[str, Any]]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _item(pk: str, sk: str, **values: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    for name, value in values.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


def test_a_failed_transaction_leaves_every_item_as_it_was(
    ddb: Any, aws_names: dict[str, str]
) -> None:
    table = aws_names["table"]
    ddb.put_item(TableName=table, Item=_item("A", "1", n=1, tags="x"))
    ddb.put_item(TableName=table, Item=_item("A", "2", n=2))
    ddb.put_item(TableName=table, Item=_item("B", "1", n=3))
    before = _everything(ddb, table)
    actions = [
        {"Update": {"TableName": table, "Key": _item("A", "1"),
                    "UpdateExpression": "SET n = n + :one REMOVE tags",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": table, "Item": _item("C", "1", n=9)}},
        {"Put": {"TableName": table, "Item": _item("A", "3", n=9)}},
        {"Delete": {"TableName": table, "Key": _item("B", "1")}},
        {"ConditionCheck": {"TableName": table, "Key": _item("A", "2"),
                            "ConditionExpression": "n = :three",
                            "ExpressionAttributeValues": {":three": {"N": "3"}}}},
    ]  # fmt: skip
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(TransactItems=actions)
    assert _everything(ddb, table) == before
    assert (
        ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :c",
            ExpressionAttributeValues={":c": {"S": "C"}},
            ConsistentRead=True,
        )["Items"]
        == []
    )

    actions[-1]["ConditionCheck"]["ExpressionAttributeValues"] = {":three": {"N": "2"}}
    ddb.transact_write_items(TransactItems=actions)
    after = {(i["pk"]["S"], i["sk"]["S"]): i for i in _everything(ddb, table)}
    assert set(after) == {("A", "1"), ("A", "2"), ("A", "3"), ("C", "1")}
    assert after["A", "1"] == _item("A", "1", n=2)


def test_two_actions_on_one_item_change_nothing(ddb: Any, aws_names: dict[str, str]) -> None:
    table = aws_names["table"]
    ddb.put_item(TableName=table, Item=_item("A", "1", n=1))
    before = _everything(ddb, table)
    with pytest.raises(ClientError, match="ValidationException"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _item("A", "1", n=5)}},
                {"Delete": {"TableName": table, "Key": _item("A", "1")}},
            ]
        )
    assert _everything(ddb, table) == before


def test_every_kind_of_value_comes_back_as_written(ddb: Any, aws_names: dict[str, str]) -> None:
    table = aws_names["table"]
    item = {
        **_item("A", "1", n=7, text="é"),
        "blob": {"B": b"\x00\xff"},
        "strings": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [b"x", b"y"]},
        "nested": {"M": {"flag": {"BOOL": True}, "nothing": {"NULL": True},
                         "list": {"L": [{"S": "s"}, {"N": "1"}, {"M": {}}]}}},
    }  # fmt: skip
    for _ in range(2):  # the second time from what the serializer remembered
        ddb.put_item(TableName=table, Item=item)
        got = ddb.get_item(TableName=table, Key=_item("A", "1"), ConsistentRead=True)["Item"]
        for name, kind in (("strings", "SS"), ("numbers", "NS"), ("blobs", "BS")):
            assert sorted(got.pop(name)[kind]) == sorted(item[name][kind])  # sets: any order
        assert got == {k: v for k, v in item.items() if k not in ("strings", "numbers", "blobs")}
        page = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :a",
            ExpressionAttributeValues={":a": {"S": "A"}},
            ConsistentRead=True,
        )
        assert page["Count"] == 1 and page["Items"][0]["blob"] == {"B": b"\x00\xff"}


def _raw(connection: http.client.HTTPConnection, target: str, body: bytes, **headers: str) -> Any:
    connection.request(
        "POST",
        "/",
        body=body,
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{target}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
            **headers,
        },
    )
    response = connection.getresponse()
    return response, json.loads(response.read())


def test_one_connection_serves_request_after_request(
    moto_endpoint: str, aws_names: dict[str, str]
) -> None:
    host, port = moto_endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    query = json.dumps({"TableName": aws_names["table"], "Key": _item("A", "1")}).encode()
    sockets = set()
    for _ in range(3):
        response, body = _raw(connection, "GetItem", query)
        assert response.status == 200 and body == {}
        assert response.getheader("Connection") is None
        sockets.add(id(connection.sock))
    assert len(sockets) == 1
    chunked = iter([query[:10], query[10:]])  # a body of unknown length goes chunked
    response, body = _raw(connection, "GetItem", chunked)  # type: ignore[arg-type]
    assert response.status == 200 and body == {}
    assert response.getheader("Connection") == "close"
    connection.close()


def test_a_connection_left_idle_is_closed_without_an_error_and_a_stalled_request_with_one(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A pooled connection the client stops using is the normal end of a kept-open connection:
    nothing is logged (a test watching the process's log took http.server's "Request timed
    out" for a fault of its own server). A request that stops midway is still an error."""
    import logging
    import socket

    from tests.support.moto_speed import KeepAliveRequestHandler

    monkeypatch.setattr(KeepAliveRequestHandler, "timeout", 0.3)  # read by each new connection
    caplog.set_level(logging.INFO, logger="werkzeug")
    host, port = moto_endpoint.removeprefix("http://").split(":")

    def timed_out() -> list[str]:
        return [r.getMessage() for r in caplog.records if "timed out" in r.getMessage()]

    with socket.create_connection((host, int(port)), timeout=10) as idle:
        idle.sendall(b"GET /moto-api/ HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received:
            received += idle.recv(65536)
        assert received.startswith(b"HTTP/1.1 ")
        while idle.recv(65536):  # the rest of the response, then the server's close
            pass
    assert not timed_out()
    with socket.create_connection((host, int(port)), timeout=10) as stalled:
        stalled.sendall(b"GET /moto-api/ HTTP/1.1\r\nHost: x\r\n")  # the headers never end
        while stalled.recv(65536):
            pass
    assert len(timed_out()) == 1, timed_out()
