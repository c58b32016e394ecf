"""A full disk for real, in a child process: `RLIMIT_FSIZE` caps the size of every file the
process writes (a write past it fails with `EFBIG`, "File too large"; Python ignores the
`SIGXFSZ` the kernel sends with it), as a disk with that much room left for each file would.

`python -m tests.support.full_disk` is a writer for the tests of atomic writes: for each JSON
line ``{"path", "size", "limit"}`` on stdin it writes `size` bytes to `path` with
`settings.files.write_private` under a size limit of `limit` bytes (``{"path", "events",
"limit"}``: appends that many events to the trace file `path` with `traces.tracelog`), lifts
the limit again and prints ``{"errno": <the OSError's errno, or null>, "emitted": <events
appended>}``.
"""

from __future__ import annotations

import json
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """No file of this process grows past `limit` bytes during the block (then as before)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def main() -> int:
    from settings.files import write_private
    from traces.tracelog import trace_log

    for line in sys.stdin:
        case = json.loads(line)
        errno, emitted = None, 0
        with file_size_limit(case["limit"]):
            try:
                if "events" in case:
                    with trace_log(Path(case["path"]), "run_1") as log:
                        for n in range(case["events"]):
                            log.emit([log.recorder.warning(f"event {n} " + "x" * 40)])
                            emitted += 1
                else:
                    write_private(case["path"], b"n" * case["size"])
            except OSError as exc:
                errno = exc.errno
        print(json.dumps({"errno": errno, "emitted": emitted}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
