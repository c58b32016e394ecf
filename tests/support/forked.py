"""Running test code in processes forked from a server process that imported the heavy modules
once (the SIGKILL harnesses: each kill point costs a fork, not an interpreter start).

The server is the harness's own, not multiprocessing's forkserver: that one is a single server
per process, and whoever starts it first sets what it imports (`jobs.backends.local` starts it
for its process pools), so a harness running after a process pool in the same pytest worker
forked from a server that had imported none of its modules, and each child imported the
workflow again (seconds each). The server is single-threaded when it forks, as multiprocessing's
is: nothing it imports starts a thread.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import Any

WARM_IMPORTS = (
    "openai",  # the model loop's error types (agents.agent_loop, on the first model call)
    "optuna.importance",  # parameter importance (quant.sensitivity)
    "quant.sensitivity",
    "scipy.optimize",
    "scipy.stats",
    "sklearn",
    "agents.offline",  # the offline model (agents.models, on first use)
    "agents.chat",
    "exchange_calendars",  # trading sessions (execution.schedule)
)
"""Modules the workflows import on first use: imported by a server that warms them (the default),
so that no child pays for them (missing ones are skipped); a harness whose children run none of
the workflows (the rebalance kill tests) does without them (4 CPU-s a server)."""

TIMEOUT_SECONDS = 300
_HEADER = struct.Struct("!I")


def _send(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data) :]


def _receive(fd: int, timeout: float | None = None) -> bytes | None:
    """One message from `fd`; None at its end."""
    buffer = b""
    size: int | None = None
    while size is None or len(buffer) < size:
        if timeout is not None and not select.select([fd], [], [], timeout)[0]:
            raise TimeoutError(f"no answer within {timeout} s")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        buffer += chunk
        if size is None and len(buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer)
            buffer = buffer[_HEADER.size :]
    return buffer


def _warm_numba() -> None:
    """Numba's compiler set up (half a second in each child otherwise): a trivial function
    compiled, which starts no thread (the parallel kernels' thread pool starts in the child)."""
    try:
        import numba
    except ImportError:
        return
    numba.njit(lambda x: x + 1)(1)


def serve(requests: int, answers: int, preload: Sequence[str], warm_imports: bool) -> None:
    """The server's loop: import `preload` (and, if `warm_imports`, `WARM_IMPORTS` and numba's
    compiler) and call the `warm()` of each module of `preload` that has one (first-use caches
    every child would fill again: it must start no thread, so no parallel numba kernel), then
    for each (target, args) request fork a child that runs `target(*args)` and answer with the
    child's exit code (-9 when it SIGKILLed itself, 1 when it raised); ends when the requests
    end."""
    for name in [*preload, *(WARM_IMPORTS if warm_imports else ())]:
        try:
            importlib.import_module(name)
        except ImportError:
            if name in preload:
                raise
    if warm_imports:
        _warm_numba()
    for name in preload:
        warm = getattr(sys.modules[name], "warm", None)
        if callable(warm):
            warm()
    while (request := _receive(requests)) is not None:
        target, args = pickle.loads(request)
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                os.close(requests)
                os.close(answers)
                target(*args)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        _send(answers, str(os.waitstatus_to_exitcode(status)).encode())


def forkserver_runner(preload: Sequence[str], *, warm_imports: bool = True) -> Callable[..., int]:
    """`run(target, *args)`: run `target(*args)` in a process forked from a server that imported
    `preload` (and `WARM_IMPORTS` unless `warm_imports` is False); its exit code (-9 when it
    SIGKILLed itself). The server ends with the returned function."""
    requests_r, requests_w = os.pipe()
    answers_r, answers_w = os.pipe()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
            "from tests.support.forked import serve; "
            "serve(int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5] == '1')",
            json.dumps(sys.path),
            str(requests_r),
            str(answers_w),
            json.dumps(list(preload)),
            "1" if warm_imports else "0",
        ],
        pass_fds=(requests_r, answers_w),
        stdin=subprocess.DEVNULL,
    )
    os.close(requests_r)
    os.close(answers_w)

    def run(target: Callable[..., None], *args: Any) -> int:
        _send(requests_w, pickle.dumps((target, args)))
        try:
            answer = _receive(answers_r, TIMEOUT_SECONDS)
        except TimeoutError:
            server.send_signal(signal.SIGKILL)
            raise AssertionError(f"{target.__name__}{args} did not end") from None
        assert answer is not None, f"the fork server ended ({server.poll()})"
        return int(answer)

    def stop() -> None:
        os.close(requests_w)  # the server's loop ends
        os.close(answers_r)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    weakref.finalize(run, stop)
    return run
