"""``python -m devtools.local_bedrock [--host 127.0.0.1] [--port 8765]``: serve in the foreground."""

from __future__ import annotations

import sys

from devtools.local_bedrock.server import LocalBedrock
from devtools.loopback import serve_command


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, print the endpoint URL and serve until Ctrl-C."""
    return serve_command(
        argv,
        prog="python -m devtools.local_bedrock",
        description="A Bedrock Runtime-compatible endpoint backed by the offline model.",
        default_port=8765,
        endpoint=LocalBedrock,
        announce=lambda server: [
            f"local Bedrock endpoint on {server.url}",
            f"  export STRATIGOS_BEDROCK_ENDPOINT_URL={server.url}",
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
