"""`stratigos mcp`: the assistant's tools, drafts, records and workflows as an MCP server on
stdin and stdout, for desktop and IDE agent clients (docs/mcp.md). It acts as the local owner,
as every command does; `/mcp` in `stratigos serve` serves the same over HTTP to the API's
authenticated callers."""

from __future__ import annotations

import argparse
import sys

from api.cli.local import LOCAL_OWNER, open_local_store
from api.mcp.handshake import Early
from api.mcp.handshake import answer_early as answer_early_on


def answer_early() -> Early:
    """Answer the client's `initialize` before loading the server (`api.mcp.handshake`)."""
    return answer_early_on(sys.stdin.buffer, sys.stdout.buffer)


def mcp_command(args: argparse.Namespace) -> int:
    """Serve MCP over stdio until the client closes the connection; the client's first request
    was read (and answered, when an `initialize`) before the server loaded (`args.mcp_early`,
    set by `api.cli.main`; read here otherwise)."""
    import anyio

    from api.mcp.server import serve_stdio
    from settings import get_settings

    early = getattr(args, "mcp_early", None) or answer_early()
    store = open_local_store()
    try:
        anyio.run(serve_stdio, get_settings(), store, LOCAL_OWNER, early)
    finally:
        store.close()
    return 0
