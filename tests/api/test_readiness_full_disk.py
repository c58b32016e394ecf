"""Readiness on a disk that fills up, for real: `stratigos serve` with its data directory on a
small tmpfs of its own (a private mount namespace made with `unshare`, so no other process sees
it); the test fills that filesystem through `/proc/<pid>/root` until the kernel refuses
(ENOSPC). Readiness turns 503 naming the disk (and the store, when its write check fails too)
while liveness answers on, and turns 200 again once the space is freed."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import assert_error
from tests.support.live_server import TLS

TMPFS_SIZE = "64m"
"""Room for the store and the market data's cache, and more than the 20 MiB the disk check
wants free (`api_max_upload_bytes`)."""
STARTUP_SECONDS = 180.0
CHUNK = b"\0" * (1 << 20)


def private_tmpfs_refused(directory: Path) -> str | None:
    """Why a private tmpfs cannot be mounted on `directory` here, or None when it can."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         'mount -t tmpfs -o size=1m tmpfs "$0"', str(directory)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        return f"no private tmpfs for a full disk (unprivileged user namespaces?): {probe.stderr}"
    return None


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_full_disk_is_not_ready_until_space_is_freed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    refused = private_tmpfs_refused(data_dir)
    if refused is not None:
        pytest.skip(refused)
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("STRATIGOS_")
    }
    environment |= {"STRATIGOS_DATA_DIR": str(data_dir), "STRATIGOS_MODEL_PROVIDER": "offline"}
    stratigos = str(Path(sys.executable).with_name("stratigos"))
    mount = f'mount -t tmpfs -o size={TMPFS_SIZE},mode=0700 tmpfs "$0" && exec "$@"'
    server = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, str(data_dir),
         stratigos, "serve", "--port", "0", "--workers", "1"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        address = re.search(r"Stratigos API on (http://\S+)", banner)
        assert address is not None, banner
        base = address.group(1)
        wait_for(lambda: httpx.get(f"{base}/v1/health", verify=TLS).status_code == 200, "ready")
        # the server's view of its data directory: the tmpfs, seen from this process
        filler = Path(f"/proc/{server.pid}/root") / data_dir.relative_to("/") / "filler"
        with filler.open("wb") as out:
            try:
                while True:
                    out.write(CHUNK)
                    out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        assert shutil.disk_usage(filler.parent).free < len(CHUNK)
        assert shutil.disk_usage(data_dir).free > len(CHUNK)  # not this process's disk

        def disk_full() -> bool:
            answer = httpx.get(f"{base}/v1/health", verify=TLS)
            return answer.status_code == 503 and "the disk is full" in answer.text

        wait_for(disk_full, "the disk check")  # the store's write may fail first, or not
        answer = httpx.get(f"{base}/v1/health", verify=TLS)
        error = assert_error(answer, 503, "UNAVAILABLE", "disk")
        assert {"field": "disk", "problem": "the disk is full"} in error["details"]
        assert answer.headers["retry-after"] == "5"
        assert str(data_dir) not in answer.text  # no paths to anonymous callers
        assert httpx.get(f"{base}/v1/health/live", verify=TLS).status_code == 200

        filler.unlink()
        wait_for(
            lambda: httpx.get(f"{base}/v1/health", verify=TLS).status_code == 200, "ready again"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
