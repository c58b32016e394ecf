"""`stratigos serve` with two server processes on one port, supervised by the command.

The real command in a subprocess on a free loopback port: once its banner is out, two child
processes serve the API with the session key; a child killed with SIGKILL is replaced and the
port keeps answering; an optimization job runs in a child's job worker; SIGTERM to the command
stops every child and revokes the session key; a command killed with SIGKILL takes its
children with it."""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from api.server import SIGN_IN_FILE, job_worker_shares
from settings.cores import usable_cores
from settings.groups.api import MAX_DEFAULT_PROCESSES, ApiSettings
from tests.support.live_server import TLS

STARTUP_SECONDS = 180.0
"""Generous: each child is a fresh interpreter importing the app on a shared, busy machine."""


def server_children(pid: int) -> set[int]:
    """The child processes of `pid` that serve (multiprocessing's resource tracker left out)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    serving = set()
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:  # gone meanwhile
            continue
        if b"resource_tracker" not in command:
            serving.add(int(child))
    return serving


def wait_for(condition: Callable[[], bool], what: str, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def start_serve(
    data_dir: Path,
    *arguments: str,
    variables: dict[str, str],
    stderr: int = subprocess.DEVNULL,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[str]:
    """`stratigos serve --port 0 *arguments` on the offline model with its data in `data_dir`,
    none of this process's `STRATIGOS_*` variables but `variables`; its output in a pipe. Python's
    fault handler is on: a server that dies of a signal (once, of SIGABRT after a clean shutdown,
    in a full suite) writes every thread's stack to the stderr a test reads."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("STRATIGOS_")
    }
    environment |= {"STRATIGOS_DATA_DIR": str(data_dir), "STRATIGOS_MODEL_PROVIDER": "offline",
                    "PYTHONFAULTHANDLER": "1"}  # fmt: skip
    stratigos = str(Path(sys.executable).with_name("stratigos"))
    return subprocess.Popen(
        [stratigos, "serve", "--port", "0", *arguments],
        env=environment | variables,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        preexec_fn=preexec_fn,
    )


def read_banner(server: subprocess.Popen[str]) -> tuple[str, collections.deque[str]]:
    """The banner line of `start_serve`'s `server` (what it wrote before it: in the deque) and
    the deque of its last 200 lines of output, filled from then on by a thread of its own: a
    server whose pipe is not read blocks once the pipe holds 64 KiB (its access log)."""
    assert server.stdout is not None
    output: collections.deque[str] = collections.deque(maxlen=200)
    while "Stratigos API on http://" not in (banner := server.stdout.readline()):
        assert banner, f"the server ended before it served: {''.join(output)}"
        output.append(banner)
    threading.Thread(target=output.extend, args=(server.stdout,), daemon=True).start()
    return banner, output


def assert_session_keys_revoked(data_dir: Path) -> None:
    """The stopped server's session keys (in the store of `data_dir`) are all revoked."""
    from store.sqlite import SQLiteStore

    with SQLiteStore(data_dir / "store.sqlite") as store:
        keys = store.list_api_keys("local")
        assert keys and all(k.revoked_at is not None for k in keys)


def test_the_default_is_one_server_process_per_core_at_most_four() -> None:
    assert ApiSettings().server_processes() == min(MAX_DEFAULT_PROCESSES, usable_cores())
    assert ApiSettings(processes=3).server_processes() == 3
    with pytest.raises(ValueError, match="STRATIGOS_API_PROCESSES"):
        ApiSettings(processes=0)


@pytest.mark.parametrize(
    ("job_workers", "processes", "shares"),
    [(1, 2, [1, 0]), (5, 2, [3, 2]), (0, 3, [0, 0, 0]), (4, 4, [1, 1, 1, 1]), (2, 1, [2])],
)
def test_job_workers_are_shared_out_among_the_processes(
    job_workers: int, processes: int, shares: list[int]
) -> None:
    assert job_worker_shares(job_workers, processes) == shares


def test_serve_runs_n_processes_on_one_port_and_replaces_a_dead_one(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    variables = {
        "STRATIGOS_API_JOB_WORKERS": "1",
        "STRATIGOS_COMPUTE_WORKERS": "1",  # batches go to a process pool of the server's
        "STRATIGOS_API_PROCESSES": "2",  # the setting `--workers` stands for
    }
    server = start_serve(data_dir, variables=variables)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # written once every child accepts connections
        address = re.search(r"Stratigos API on (http://\S+)", banner)
        assert address is not None, banner
        base = address.group(1)
        key = (data_dir / SIGN_IN_FILE).read_text().strip().split("#key=")[1]
        first = server_children(server.pid)
        assert len(first) == 2

        # the first requests wait for each child to load its app (api.startup)
        client = httpx.Client(
            base_url=base, headers={"x-api-key": key}, timeout=STARTUP_SECONDS, verify=TLS
        )
        with client:
            for _ in range(10):  # fresh connections, whichever process accepts them
                response = client.get("/v1/portfolios", headers={"connection": "close"})
                assert response.status_code == 200, response.text

            killed = min(first)
            os.kill(killed, signal.SIGKILL)
            wait_for(
                lambda: (
                    killed not in server_children(server.pid)
                    and len(server_children(server.pid)) == 2
                ),
                "a replacement process",
            )
            replacement = server_children(server.pid) - first
            assert len(replacement) == 1
            wait_for(
                lambda: (
                    client.get("/v1/health/live", headers={"connection": "close"}).status_code
                    == 200
                ),
                "the port to answer",
            )
            for _ in range(10):
                response = client.get("/v1/portfolios", headers={"connection": "close"})
                assert response.status_code == 200, response.text

            # a job runs in a server process's job worker, whose compute backend (a process
            # pool: STRATIGOS_COMPUTE_WORKERS) starts processes of its own
            request = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 30, "seed": 3}
            submitted = client.post("/v1/optimizations", json=request)
            assert submitted.status_code == 202, submitted.text
            job = submitted.json()["id"]
            wait_for(
                lambda: (
                    client.get(f"/v1/optimizations/{job}").json()["status"]
                    in ("succeeded", "failed", "cancelled")
                ),
                "the job to end",
            )
            status = client.get(f"/v1/optimizations/{job}").json()
            assert status["status"] == "succeeded", status

        children = server_children(server.pid)
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
        for child in children:  # every server process is gone with it
            assert not Path(f"/proc/{child}").exists() or _zombie(child)
        with httpx.Client(
            base_url=base, headers={"x-api-key": key}, timeout=5, verify=TLS
        ) as client:
            try:
                refused = client.get("/v1/portfolios").status_code
            except httpx.TransportError:
                refused = None  # nothing listens any more
        assert refused is None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert_session_keys_revoked(data_dir)


def _zombie(pid: int) -> bool:
    """True when `pid` has exited and only waits to be reaped (its parent is gone too)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_the_server_processes_end_with_a_killed_command(tmp_path: Path) -> None:
    variables = {"STRATIGOS_API_JOB_WORKERS": "0"}
    server = start_serve(tmp_path / "data", "--workers", "2", variables=variables)
    try:
        assert server.stdout is not None
        assert "Stratigos API on" in server.stdout.readline()
        children = server_children(server.pid)
        assert len(children) == 2
        server.kill()  # no chance to stop them itself
        server.wait(30)
        wait_for(
            lambda: all(
                not Path(f"/proc/{child}").exists() or _zombie(child) for child in children
            ),
            "the server processes to end",
            seconds=60,
        )
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("processes", ["1", "2"])
def test_sigint_stops_a_server_started_with_sigint_ignored(tmp_path: Path, processes: str) -> None:
    """A shell's background job or a test runner's worker starts the command with SIGINT
    ignored: `kill -INT` still stops it gracefully, whether one process serves or a supervisor
    runs several (which, serving nothing itself, has no uvicorn handler of its own)."""
    data_dir = tmp_path / "data"
    server = start_serve(
        data_dir,
        "--workers",
        processes,
        variables={"STRATIGOS_API_JOB_WORKERS": "0"},
        stderr=subprocess.PIPE,
        preexec_fn=_ignoring_sigint,
    )
    try:
        assert server.stdout is not None
        assert "Stratigos API on" in server.stdout.readline()
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
        assert server.returncode == 0, stderr
        assert "Traceback" not in stderr
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    assert_session_keys_revoked(data_dir)


ORPHAN = """
import os, subprocess, sys
child = subprocess.Popen(
    [sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
)
print(child.pid, child.stdout.readline().strip(), flush=True)  # then exit: the child is orphaned
"""
WATCHING = """
import os, signal, sys, time
from api.server import watch_parent
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
watch_parent(os.getppid(), every=0.05)
print("watching", flush=True)
time.sleep(60)
"""


def test_a_watched_parent_that_dies_ends_the_child() -> None:
    """Where the kernel has no parent-death signal (not Linux), a server process ends with the
    command that started it: here the watch runs on Linux too, with the command already gone."""
    done = subprocess.run(
        [sys.executable, "-c", ORPHAN, WATCHING], capture_output=True, text=True, timeout=60
    )
    pid, state = done.stdout.split()
    assert state == "watching", done.stderr
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(int(pid)), "the child to end", 30)
