"""Starting `python -m MODULE ARGS...` commands as processes forked from a warm interpreter.

Each container of a locally executed pipeline definition is its own process (its own memory,
environment, exit status and output), but starting a fresh interpreter per container repeats
the same imports (numpy, numba, the steps' code: seconds each time). `WarmLauncher` starts
one interpreter (`python -m jobs.pipeline.warm_launcher MODULE...`, the "zygote") that
imports the modules named once, then forks a child per command: the child takes the
command's environment (replacing the zygote's), working directory and arguments, sends its
stdout and stderr to the log file named, and runs the module as `python -m` does
(`runpy.run_module(..., run_name="__main__")`); its exit status is the command's
(`SystemExit`'s code; 1 for an uncaught exception, whose traceback is in the log).

The zygote forks from one thread only (no thread is started before a fork). Imports happen
with the environment the launcher was started with: a module reading the environment at
import time sees that one. The settings' cache (`settings.get_settings`) is cleared in each
child, so the command reads its own environment.

Protocol (one JSON document per line): the parent writes `{"run": {"argv", "env", "cwd",
"log"}}` and reads `{"pid"}`; `{"kill": pid}` kills a running child (SIGKILL, through its
pidfd: never another process that reused the number); the zygote writes `{"exit": pid,
"status"}` when a child ends (status: the exit code, or minus the signal number, as
`subprocess.Popen.returncode`). End of input ends the zygote (killing the children left).
Linux only (`os.fork`, `os.pidfd_open`); `available()` says whether it can be used here.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import selectors
import signal
import subprocess
import sys
import traceback
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class LauncherError(RuntimeError):
    """The warm launcher could not start or stopped answering."""


def available() -> bool:
    """Whether processes can be forked from a warm interpreter on this platform."""
    return (
        hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")
    )


def module_command(command: Sequence[str], python: str) -> tuple[str, list[str]] | None:
    """`(module, arguments)` when `command` is `python -m module arguments...` for the
    interpreter `python`; None otherwise."""
    if len(command) >= 3 and command[0] == python and command[1] == "-m":
        return command[2], list(command[3:])
    return None


class WarmProcess:
    """A command forked by a `WarmLauncher`: the part of `subprocess.Popen` a caller waiting
    for it uses (`poll`, `wait`, `kill`, `returncode`, `pid`)."""

    def __init__(self, launcher: WarmLauncher, pid: int) -> None:
        self._launcher = launcher
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit status once the process ended, else None (does not block)."""
        if self.returncode is None:
            self.returncode = self._launcher.exit_status(self.pid, block=False)
        return self.returncode

    def wait(self) -> int:
        """Wait for the process to end; its exit status."""
        if self.returncode is None:
            self.returncode = self._launcher.exit_status(self.pid, block=True)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        """Kill the process (SIGKILL) if it still runs."""
        if self.poll() is None:
            self._launcher.send({"kill": self.pid})


class WarmLauncher:
    """The parent's side of a zygote that imported `preload` (see the module docstring);
    `python`: the interpreter, `env`: the zygote's environment (its imports see it). Close it
    (or use it as a context manager) to end the zygote."""

    def __init__(self, python: str, preload: Sequence[str], env: Mapping[str, str]) -> None:
        self._process = subprocess.Popen(
            [python, "-m", __name__, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env),
        )
        self._exits: dict[int, int] = {}
        self._buffer = b""
        ready = self._receive(block=True)
        if ready != {"ready": True}:
            raise LauncherError(f"the warm launcher did not start: {ready}")

    def __enter__(self) -> WarmLauncher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def launch(
        self, command: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
    ) -> WarmProcess:
        """Start `command` (`python -m module ...`, see `module_command`) in a forked child
        with environment `env`, its output appended to `log`."""
        parsed = module_command(command, command[0])
        if parsed is None:
            raise ValueError(f"not a `python -m module` command: {list(command)}")
        module, arguments = parsed
        request = {
            "argv": [module, *arguments],
            "env": dict(env),
            "cwd": str(cwd or Path.cwd()),
            "log": str(log),
        }
        self.send({"run": request})
        while True:
            message = self._receive(block=True)
            assert message is not None
            if "pid" in message:
                return WarmProcess(self, int(message["pid"]))
            self._exits[int(message["exit"])] = int(message["status"])

    def exit_status(self, pid: int, *, block: bool) -> int | None:
        """Child `pid`'s exit status once the zygote reported it (waiting for it if `block`);
        given once (its `WarmProcess` keeps it), so that a later child given the same pid by a
        launcher that lives long (shared between executions) never reads it."""
        while pid not in self._exits:
            message = self._receive(block=block)
            if message is None:
                return None
            self._exits[int(message["exit"])] = int(message["status"])
        return self._exits.pop(pid)

    def send(self, message: Mapping[str, Any]) -> None:
        """Write one request to the zygote."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message).encode() + b"\n")
            stdin.flush()
        except BrokenPipeError as exc:
            raise LauncherError("the warm launcher has stopped") from exc

    def _receive(self, *, block: bool) -> dict[str, Any] | None:
        """The zygote's next message (None when `block` is false and none has arrived). Reads
        the pipe's descriptor directly into this launcher's own buffer, so a message that
        arrived with the previous one is never left unseen in a file object's buffer."""
        stdout = self._process.stdout
        assert stdout is not None
        descriptor = stdout.fileno()
        while b"\n" not in self._buffer:
            if not block:
                with selectors.DefaultSelector() as selector:
                    selector.register(descriptor, selectors.EVENT_READ)
                    if not selector.select(timeout=0):
                        return None
            chunk = os.read(descriptor, 65536)
            if not chunk:
                status = self._process.wait()
                raise LauncherError(
                    f"the warm launcher ended (exit status {status}); its stderr has why"
                )
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def close(self) -> None:
        """End the zygote (a child still running is killed)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


# -- the zygote --------------------------------------------------------------------------------
def _run_child(request: Mapping[str, Any]) -> int:
    """In a forked child: run the request's module as `python -m` would; its exit status."""
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    from settings import get_settings

    get_settings.cache_clear()
    module, *arguments = request["argv"]
    sys.argv = [module, *arguments]
    try:
        with warnings.catch_warnings():
            # the module was imported by the zygote: running it as __main__ again is intended
            warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _status(wait_status: int) -> int:
    return -os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else os.WEXITSTATUS(wait_status)


def serve(preload: Sequence[str]) -> None:
    """The zygote: import `preload`, then fork a child per request (module docstring)."""
    requests, answers = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # what an import prints goes to stderr, not into the answers
    os.close(devnull)
    for module in preload:
        importlib.import_module(module)

    def answer(message: Mapping[str, Any]) -> None:
        os.write(answers, json.dumps(message).encode() + b"\n")

    children: dict[int, int] = {}  # pid -> pidfd
    selector = selectors.DefaultSelector()
    selector.register(requests, selectors.EVENT_READ)
    answer({"ready": True})
    buffered = b""
    open_input = True
    while open_input or children:
        for key, _ in selector.select():
            if key.fd != requests:
                pid = int(key.data)
                selector.unregister(key.fd)
                os.close(children.pop(pid))
                _, wait_status = os.waitpid(pid, 0)
                answer({"exit": pid, "status": _status(wait_status)})
                continue
            chunk = os.read(requests, 65536)
            if not chunk:  # the parent is gone or closed us: no child outlives the zygote
                open_input = False
                selector.unregister(requests)
                for pidfd in children.values():
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                continue
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "kill" in message:
                    if (target := children.get(int(message["kill"]))) is not None:
                        signal.pidfd_send_signal(target, signal.SIGKILL)
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    for fd in (requests, answers, *children.values()):
                        os.close(fd)
                    status = 1
                    try:
                        status = _run_child(message["run"])
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        os._exit(status)
                pidfd = os.pidfd_open(pid)
                children[pid] = pidfd
                selector.register(pidfd, selectors.EVENT_READ, data=pid)
                answer({"pid": pid})
    selector.close()


if __name__ == "__main__":
    serve(sys.argv[1:])
