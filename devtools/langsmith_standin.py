"""A loopback stand-in for the LangSmith API's run ingestion, for tests.

It answers `GET /info` with an empty server description (the client then uses its defaults),
accepts `POST /runs/multipart` (multipart/form-data, one part per run operation: `post.<id>`,
`patch.<id>` and their `.inputs` / `.outputs` parts) and `POST /runs/batch` / `POST /runs`
(JSON), answering 202, and keeps every request (method, path, headers with lower-case names,
body) for assertions.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class LangSmithRequest:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def parts(self) -> dict[str, bytes]:
        """A multipart body's parts by name (empty for other bodies)."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/"):
            return {}
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
        )
        parts: dict[str, bytes] = {}
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            name = part.get_param("name", header="content-disposition")
            parts[str(name)] = payload if isinstance(payload, bytes) else b""
        return parts


class LangSmithStandIn:
    """The stand-in, serving on 127.0.0.1 (a free port) while entered; `url` is its API base."""

    def __init__(self) -> None:
        self.requests: list[LangSmithRequest] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, document: Any) -> None:
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                stand_in._keep(self, b"")
                self._answer(200, {} if self.path.startswith("/info") else {"detail": "ok"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in._keep(self, body)
                self._answer(202, {})

            do_PATCH = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()

    def _keep(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(LangSmithRequest(handler.command, handler.path, headers, body))

    @property
    def url(self) -> str:
        """The API base URL, `http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LangSmithStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def runs(self) -> list[dict[str, Any]]:
        """Every run created (`post`) through the multipart or batch endpoints."""
        found: list[dict[str, Any]] = []
        for request in self.requests:
            if request.path.startswith("/runs/multipart"):
                found += [
                    json.loads(body)
                    for name, body in request.parts().items()
                    if name.startswith("post.") and name.count(".") == 1
                ]
            elif request.path.startswith("/runs/batch"):
                found += json.loads(request.body).get("post", [])
        return found
