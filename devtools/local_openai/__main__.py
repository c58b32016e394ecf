"""``python -m devtools.local_openai [--host 127.0.0.1] [--port 8766]``: serve in the foreground."""

from __future__ import annotations

import sys

from devtools.local_openai.server import LocalOpenAI
from devtools.loopback import serve_command


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, print the endpoint URL and serve until Ctrl-C."""
    return serve_command(
        argv,
        prog="python -m devtools.local_openai",
        description="An OpenAI-compatible Chat Completions endpoint backed by the offline model.",
        default_port=8766,
        endpoint=LocalOpenAI,
        announce=lambda server: [
            f"local OpenAI-compatible endpoint on {server.url}",
            "  export STRATIGOS_MODEL_PROVIDER=openai",
            f"  export STRATIGOS_OPENAI_BASE_URL={server.url}",
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
