"""A lean HTTP/1.1 keep-alive client for load benchmarks on loopback.

A load generator that runs on the same 2-core machine as the server must cost little per request,
or its own queueing shows up as the server's latency (httpx spends about a millisecond of CPU
per request). `Connection` speaks just what the benchmarks need: one request at a time on a kept-
alive socket, JSON bodies, responses framed by `Content-Length` (as the API sends them). A
response saying `Connection: close` (or a server that closed the socket between requests) makes
the next request open a new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class Connection:
    """One kept-alive connection to `base` (``http://host:port``) sending `headers` each time."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.response_headers: dict[str, str] = {}
        """The headers of the last response (names in lower case)."""
        self.connections_opened = 0
        """How many sockets this connection has opened (1 while the server keeps it alive)."""

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """(status, body) of one request; `body` is sent as JSON, `headers` besides the
        connection's own."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self.connections_opened += 1
        assert self._reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self._headers}{extra}"
            f"Content-Length: {len(payload)}\r\n"
            + ("Content-Type: application/json\r\n" if body is not None else "")
            + "\r\n"
        )
        try:
            self._writer.write(head.encode() + payload)
            status_line = await self._reader.readline()
            if not status_line:
                raise ConnectionError("the server closed the connection")
            status = int(status_line.split()[1])
            found: dict[str, str] = {}
            while (line := await self._reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                found[name.strip().lower()] = value.strip()
            answer = await self._reader.readexactly(int(found.get("content-length", "0")))
        except BaseException:
            await self.close()
            raise
        self.response_headers = found
        if found.get("connection", "").lower() == "close":
            await self.close()
        return status, answer

    async def close(self) -> None:
        """Close the socket (if open)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()
            with contextlib.suppress(OSError):  # the server reset it first
                await writer.wait_closed()
