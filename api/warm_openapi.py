"""Build the OpenAPI document of the app `stratigos serve` runs and keep it on disk ahead of first
use (`python -m api.warm_openapi`; `make bytecode` and the API image run it): every later server
process reads it instead of building it (`api.openapi_cache`). It writes the file whatever
`PYTHONDONTWRITEBYTECODE` says, as `compileall` writes bytecode, and exits with an error, saying
why, when the document is not kept.

A process does not keep a document while one of its sources looks modified after the process
started (it may have imported the old code); a source installed just before (within
`api.openapi_cache.START_ROUNDING_NS`: an install immediately followed by this step) looks so, and
the build is then run again once in a new process, started after that modification."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from api.app import create_app
from api.contract import contract_openapi, operations_of
from api.openapi_cache import (
    START_ROUNDING_NS,
    cache_path,
    edited_since_start,
    loaded_sources,
    read_kept,
)
from settings import Settings

AGAIN = "--again"
"""The argument of the run in a new process (it does not run another)."""
MAX_WAIT_NS = 2_000_000_000
"""The longest wait for a source's modification time to pass before the new process, ns: a
source dated later than that is dated in the future (the document is not kept)."""


def main(arguments: list[str]) -> None:
    """Build and keep the document (the app on a throwaway data directory: its routes do not
    depend on the directory's contents); exit 1 with the reason when it is not kept."""
    sys.dont_write_bytecode = False  # an explicit build, as compileall's
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(Settings(data_dir=Path(directory)))
        try:
            contract_openapi(app)
            path = cache_path(operations_of(app))
        finally:
            app.state.context.close()
    if path is None:
        sys.exit("the OpenAPI document is not kept: a route has no stable name")
    if read_kept(path) is not None:
        return
    edited = edited_since_start(loaded_sources())
    if not edited:
        sys.exit(f"the OpenAPI document could not be written to {path}")
    file, newest, _ = max(edited, key=lambda source: source[1])
    wait_ns = newest + START_ROUNDING_NS - time.time_ns()
    if wait_ns > MAX_WAIT_NS:
        sys.exit(f"the OpenAPI document is not kept: {file} is dated in the future")
    if AGAIN in arguments:
        sys.exit(f"the OpenAPI document is not kept: {file} was modified while it was built")
    time.sleep(max(0, wait_ns) / 1e9)
    again = subprocess.run([sys.executable, *sys.orig_argv[1:], AGAIN], check=False)
    sys.exit(again.returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
