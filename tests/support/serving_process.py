"""Requests to a chosen process of a `stratigos serve` whose processes share one listening socket.

The kernel hands each new connection to whichever server process accepts it first; which one
did is observable without the server's help: the accepted socket (local port the server's,
remote port the client's) is in `/proc/net/tcp`, and its inode among the file descriptors of
exactly one process. `pinned_connection` opens connections until one is served by the process
asked for and returns it (kept alive, every request on it reaches that process)."""

from __future__ import annotations

import http.client
import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_CONNECTIONS = 500
"""New connections tried before giving up on reaching one process (each costs a millisecond)."""


def _server_socket_inode(client: socket.socket) -> str | None:
    """The inode of the server's end of the loopback TCP connection `client`."""
    client_port = client.getsockname()[1]
    server_port = client.getpeername()[1]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)) == (
                server_port,
                client_port,
            ):
                return inode
    return None


def serving_process(client: socket.socket, processes: set[int]) -> int | None:
    """Which of `processes` holds the server's end of connection `client` (None: none yet,
    e.g. not accepted)."""
    inode = _server_socket_inode(client)
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for pid in processes:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == wanted:
                    return pid
            except OSError:  # closed meanwhile
                continue
    return None


def pinned_connection(
    base_url: str, pid: int, processes: set[int], timeout: float
) -> http.client.HTTPConnection:
    """A kept-alive connection to `base_url` that server process `pid` (one of `processes`)
    serves: new connections, each asked for liveness (so it is accepted), until one is."""
    address = urlsplit(base_url)
    assert address.hostname is not None and address.port is not None
    seen: set[int | None] = set()
    for _ in range(MAX_CONNECTIONS):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=timeout)
        connection.request("GET", "/v1/health/live")
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        assert connection.sock is not None
        served = serving_process(connection.sock, processes)
        if served == pid:
            return connection
        seen.add(served)
        connection.close()
    raise AssertionError(f"{MAX_CONNECTIONS} connections, none to process {pid} (only {seen})")


def request_json(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
) -> tuple[int, Any]:
    """`method path` with the JSON `body` on `connection`: the status and the JSON answer."""
    data = None if body is None else json.dumps(body)
    sent = {"accept": "application/json", **headers}
    if data is not None:
        sent["content-type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None
