"""A JavaScript module of the web UI (`api/web/*.js`) run by Node.js for the tests: a process
that imports the module and answers requests read as JSON lines, one JSON line each.

`serve` is the process's script: it gets the module's URL as `process.argv[1]` and loops over
stdin's lines. A test that needs it skips, saying why, where Node.js is missing (`make
system-deps` installs it)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

WEB_DIR = Path(__file__).resolve().parents[2] / "api" / "web"


class NodeModule:
    """A module in a Node.js process: `ask(request)` -> its answer."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def ask(self, request: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request, allow_nan=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"node exited: {self.process.stderr.read() if self.process.stderr else ''}"
        return json.loads(line)


@contextmanager
def node_module(name: str, serve: str) -> Iterator[NodeModule]:
    """`api/web/<name>` in a Node.js process running `serve`, for the `with` block."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"Node.js is missing (`make system-deps` installs it): {name} cannot run")
    source = base64.b64encode((WEB_DIR / name).read_bytes()).decode()
    process = subprocess.Popen(
        [node, "--input-type=module", "-e", serve, f"data:text/javascript;base64,{source}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield NodeModule(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
