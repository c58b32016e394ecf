"""AWS in tests: fake credentials and a moto server on a loopback port the kernel picks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""Credentials moto accepts; set them only for the tests that talk to moto (others must not
see AWS credentials: they would switch the model provider to Bedrock)."""


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (every service) on 127.0.0.1 until the block ends; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
