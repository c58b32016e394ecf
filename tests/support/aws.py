"""AWS in tests: fake credentials, a moto server on a loopback port the kernel picks, boto3
sessions that share the service models.

The moto server answers without the costs that tell a test nothing (`tests.support.moto_speed`:
connections kept open between requests, no log line per request, a DynamoDB transaction's
backup made of the items it names, moto's serializer and dispatch without repeated look-ups)
(issue 63)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from moto.server import ThreadedMotoServer

from tests.support.moto_speed import KeepAliveRequestHandler

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""Credentials moto accepts; set them only for the tests that talk to moto (others must not
see AWS credentials: they would switch the model provider to Bedrock)."""


def local_endpoint_env(monkeypatch: pytest.MonkeyPatch, scratch: Path) -> None:
    """Fake credentials for a loopback Bedrock stand-in: no profile, no shared files (under
    `scratch`, which need not exist), no instance metadata, no session token."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def moto_server(requests: list[tuple[str, str, str]] | None = None) -> Iterator[str]:
    """A moto server (every service) on 127.0.0.1 until the block ends; yields its URL. With
    `requests`, every request it receives is appended there as (method, path, query string):
    what a client that is not boto3 (LanceDB's Rust object store) sent."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server._server.RequestHandlerClass = KeepAliveRequestHandler  # type: ignore[union-attr]
    wsgi = server._server.app  # type: ignore[union-attr]  # moto's WSGI application
    one_at_a_time = threading.Lock()

    def serving(environ: dict[str, Any], start_response: Any) -> Any:
        if requests is not None:
            requests.append(
                (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"])
            )
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB_"):
            return wsgi(environ, start_response)
        # DynamoDB applies a conditional write atomically; moto checks the condition and then
        # writes, so two threads of its server could both pass the check: one at a time here
        with one_at_a_time:
            return list(wsgi(environ, start_response))

    server._server.app = serving  # type: ignore[union-attr]
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def moto_with_bucket(bucket: str) -> Iterator[str]:
    """`moto_server()` with the bucket `bucket` created and `FAKE_AWS_ENV` in the environment
    until the block ends (for a module's fixture: no test's monkeypatch lives that long)."""
    import pytest

    with pytest.MonkeyPatch.context() as patch, moto_server() as endpoint:
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=bucket
        )
        yield endpoint


def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's waits (the backoff between attempts, the adaptive mode's token bucket) take
    no time; what they decide (retry, how often) is unchanged."""
    from botocore.retries.bucket import TokenBucket
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(TokenBucket, "_sleep_amount", lambda self, amount: 0.0)
