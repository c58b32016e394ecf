"""A stand-in for the SageMaker Runtime API in front of a serving container, on loopback: what a
client configured with botocore's `endpoint_url` for `sagemaker-runtime` talks to.

It speaks InvokeEndpoint's wire format (`POST /endpoints/<name>/invocations`, the body and
`Content-Type` / `Accept` headers passed on) and relays each call to the container's
`POST /invocations` as SageMaker does: a 2xx answer comes back as the response body (with
`x-Amzn-Invoked-Production-Variant`); any other status as SageMaker's `ModelError` (424, the
container's status and body in `OriginalStatusCode` / `OriginalMessage`); an endpoint it does
not serve is a `ValidationError` (400), a container it cannot reach `ServiceUnavailable` (503).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VARIANT = "estimates"


@contextmanager
def sagemaker_runtime(endpoint_name: str, container_url: str) -> Iterator[str]:
    """Serve the stand-in for the endpoint `endpoint_name`, whose container answers at
    `container_url`, until the block ends; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, kind: str, fields: dict[str, object]) -> None:
            body = json.dumps(fields).encode()
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": f"{kind}:"}
            self._answer(status, body, headers)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "endpoints" or parts[2] != "invocations":
                self._error(404, "UnknownOperationException", {"message": self.path})
                return
            if parts[1] != endpoint_name:
                message = f"Endpoint {parts[1]} of account 123456789012 not found."
                self._error(400, "ValidationError", {"message": message})
                return
            request = urllib.request.Request(
                f"{container_url}/invocations",
                data=body,
                method="POST",
                headers={
                    "Content-Type": self.headers.get("Content-Type", "application/octet-stream"),
                    "Accept": self.headers.get("Accept", "*/*"),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status, content = answer.status, answer.read()
                    kind = answer.headers.get("Content-Type", "application/json")
            except urllib.error.HTTPError as failed:
                status, content = failed.code, failed.read()
            except OSError:
                self._error(503, "ServiceUnavailable", {"message": "the model is unavailable"})
                return
            if 200 <= status < 300:
                headers = {"Content-Type": kind, "x-Amzn-Invoked-Production-Variant": VARIANT}
                self._answer(200, content, headers)
                return
            self._error(
                424,
                "ModelError",
                {
                    "ErrorCode": "CLIENT_ERROR_FROM_MODEL",
                    "Message": f"Received client error ({status}) from primary",
                    "OriginalStatusCode": status,
                    "OriginalMessage": content.decode("utf-8", "replace"),
                    "LogStreamArn": f"arn:aws:logs:us-east-1:123456789012:log-group:"
                    f"/aws/sagemaker/Endpoints/{endpoint_name}",
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="sagemaker-runtime", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
