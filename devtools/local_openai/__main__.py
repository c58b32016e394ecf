"""``python -m devtools.local_openai [--host 127.0.0.1] [--port 8766]``: serve in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from devtools.local_openai.server import LocalOpenAI


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, print the endpoint URL and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.local_openai",
        description="An OpenAI-compatible Chat Completions endpoint backed by the offline model.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8766, help="port (0: a free one)")
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM stop it even when started with SIGINT ignored (background jobs)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = LocalOpenAI(args.host, args.port)
    print(f"local OpenAI-compatible endpoint on {server.url}", flush=True)
    print("  export STRATIGOS_MODEL_PROVIDER=openai", flush=True)
    print(f"  export STRATIGOS_OPENAI_BASE_URL={server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
