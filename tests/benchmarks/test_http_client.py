"""The load benchmark's HTTP client: requests and JSON bodies on one kept-alive connection."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.http_client import Connection


class Echo(BaseHTTPRequestHandler):
    """Answers every request with its method, path, key header, body and connection port."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length)) if length else None
        document = {
            "method": self.command,
            "path": self.path,
            "key": self.headers.get("x-api-key"),
            "body": body,
            "client_port": self.client_address[1],
        }
        payload = json.dumps(document).encode()
        self.send_response(202 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_share_one_kept_alive_connection(base: str) -> None:
    async def exchange() -> list[tuple[int, dict[str, object]]]:
        connection = Connection(base, {"x-api-key": "k1"})
        answers = []
        for method, path, body in (("POST", "/v1/jobs", {"n": 1}), ("GET", "/v1/jobs/7", None)):
            status, raw = await connection.request(method, path, body)
            answers.append((status, json.loads(raw)))
        await connection.close()
        return answers

    (posted, post), (got, get) = asyncio.run(exchange())
    assert (posted, post["method"], post["path"], post["body"]) == (
        202,
        "POST",
        "/v1/jobs",
        {"n": 1},
    )
    assert (got, get["method"], get["path"], get["body"]) == (200, "GET", "/v1/jobs/7", None)
    assert post["key"] == get["key"] == "k1"
    assert post["client_port"] == get["client_port"]  # the same connection
