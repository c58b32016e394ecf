"""What the forkserver of `stratigos serve`'s processes loads (`api.serve_preload`) is safe to
fork and spares each process the app's imports and its OpenAPI document: loading it leaves one
thread, no numeric library (whose thread pools a fork would copy mid-state) and the document
that a new app of the process then has without building it."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json, os, sys, threading
import api.serve_preload
from api import contract
from api.app import create_app
threads = int(open("/proc/self/status").read().split("Threads:")[1].split()[0])
built = []
contract._documented = lambda app: built.append(app) or {}
document = create_app().openapi()
print(json.dumps({
    "threads": threads,
    "python_threads": threading.active_count(),
    "numeric": sorted(n for n in ("numpy", "pandas", "numba", "scipy") if n in sys.modules),
    "built_again": len(built),
    "operations": sum(len(item) for item in document.get("paths", {}).values()),
}))
"""


def test_the_preload_leaves_one_thread_no_numeric_library_and_the_document_built() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=300
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["threads"] == 1 and found["python_threads"] == 1, found
    assert found["numeric"] == [], found
    assert found["built_again"] == 0, found  # the app of a forked process finds the document
    assert found["operations"] > 100, found
