"""`stratigos mcp`: the assistant's tools, drafts, records and workflows as an MCP server on
stdin and stdout, for desktop and IDE agent clients (docs/mcp.md). It acts as the local owner,
as every command does; `/mcp` in `stratigos serve` serves the same over HTTP to the API's
authenticated callers."""

from __future__ import annotations

import argparse

from api.cli.local import LOCAL_OWNER, open_local_store


def mcp_command(args: argparse.Namespace) -> int:
    """Serve MCP over stdio until the client closes the connection."""
    import anyio

    from api.mcp.server import serve_stdio
    from settings import get_settings

    store = open_local_store()
    try:
        anyio.run(serve_stdio, get_settings(), store, LOCAL_OWNER)
    finally:
        store.close()
    return 0
