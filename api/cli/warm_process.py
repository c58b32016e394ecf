"""The warm chat process (`python -m api.cli.warm_process SOCKET FINGERPRINT IDLE_SECONDS`),
started in the background by `api.cli.warm.keep_warm`: it loads the assistant once and runs the
`chat -m` turns its clients send, one at a time, as `stratigos` would in their own process.

A client sends one JSON line, `{"fingerprint", "argv", "isatty": [stdout, stderr]}`; the process
answers `{"declined": reason}` (busy with another turn, another fingerprint, a module changed on
disk: the client runs the turn itself) or `{"ready": true}`. Only when the client then sends
`{"go": true}` does the turn start (so a client that gave up waiting and runs the turn itself
never has it run twice); the process sends `{"out": text}` / `{"err": text}` as the command
prints, then `{"exit": code}`. A client that goes away mid-turn interrupts the turn as Ctrl-C
would interrupt it in its own process.

It stops after `IDLE_SECONDS` without a turn, when its data directory or socket file is gone,
after declining a turn because a module it loaded changed on disk (the next command starts a
fresh one), and on SIGTERM (after the turn it is running). Its lock file (the socket's name with
`.lock`) holds its process id while it runs.
"""

from __future__ import annotations

import _thread
import contextlib
import fcntl
import io
import json
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from api.cli.warm import file_version
from settings.process_exit import exit_process

REQUEST_LIMIT_BYTES = 1 << 20
"""Longest request line a client may send (the arguments of one command)."""

HANDSHAKE_TIMEOUT_S = 5.0
"""How long a client may take to send its request, and then its go-ahead."""

TICK_S = 1.0
"""How often an idle warm process checks whether it should stop."""

WARM_MODULES = (
    "api.cli.chat",
    "api.reports.terminal",
    "graphs.chat",
    "agents.offline",
)
"""Modules every turn needs, loaded before the first client is served (with every tool
module: `tools.TOOL_GROUPS`)."""


class Connection:
    """A client's socket, written by the relays from any thread: once the client has gone,
    writes are dropped (the turn is being interrupted)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()
        self.gone = False

    def send(self, message: dict[str, Any]) -> None:
        """Send one JSON line, unless the client has gone."""
        data = json.dumps(message).encode() + b"\n"
        with self._lock:
            if self.gone:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.gone = True


class Relay(io.TextIOBase):
    """Standard output or error of the warm process: what is written goes to the client whose
    turn is running (`attach`), else to `fallback`; it reports the client's terminal as its own."""

    def __init__(self, channel: str, fallback: Any) -> None:
        super().__init__()
        self._channel = channel
        self._fallback = fallback
        self._connection: Connection | None = None
        self._tty = False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def attach(self, connection: Connection | None, tty: bool = False) -> None:
        """Send what is written to `connection` (None: back to the fallback)."""
        self._connection = connection
        self._tty = tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        connection = self._connection
        if connection is None:
            with contextlib.suppress(OSError, ValueError):
                self._fallback.write(text)
        elif text:
            connection.send({self._channel: text})
        return len(text)

    def isatty(self) -> bool:
        return self._tty


class LoadedModules:
    """The files of the modules this process has loaded, with their modification time and size
    when first seen: a changed one means the process no longer runs the code on disk."""

    def __init__(self) -> None:
        self._stamps: dict[str, tuple[int, int] | None] = {}
        self.remember()

    def remember(self) -> None:
        """Note the files of modules loaded since the last call."""
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and path not in self._stamps:
                self._stamps[path] = file_version(path)

    def changed(self) -> str | None:
        """The first remembered file that changed or went away since it was first seen."""
        for path, stamp in self._stamps.items():
            if file_version(path) != stamp:
                return path
        return None


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (Linux), else None."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    credentials = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


class WarmProcess:
    """Serves `chat -m` turns on the Unix socket at `path` for clients of fingerprint `digest`
    until idle for `idle_seconds` (on `clock`) or told to stop; `run(argv)` runs one command
    and returns its exit code; `data_dir` gone stops it."""

    def __init__(
        self,
        path: Path,
        digest: str,
        idle_seconds: float,
        run: Callable[[Sequence[str]], int],
        data_dir: Path,
        relays: tuple[Relay, Relay],
        clock: Callable[[], float] = time.monotonic,
        tick: float = TICK_S,
    ) -> None:
        self.path = path
        self.digest = digest
        self.idle_seconds = idle_seconds
        self.run = run
        self.data_dir = data_dir
        self.relays = relays
        self.clock = clock
        self.tick = tick
        self.modules = LoadedModules()
        self.stopping = threading.Event()
        self._busy = threading.Lock()
        self._turn_lock = threading.Lock()
        self._turn_running = False
        self._accepted: queue.Queue[socket.socket] = queue.Queue()
        self._listener: socket.socket | None = None
        self._inode: int | None = None

    def bind(self) -> None:
        """Listen on `path` (owner-only), replacing a socket file left by a process that
        ended (the caller holds the lock that makes this process the only one for it)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(previous)
        listener.listen(16)
        self._listener = listener
        self._inode = self.path.stat().st_ino
        threading.Thread(target=self._accept, name="warm-accept", daemon=True).start()

    def serve(self) -> None:
        """Serve turns until it should stop (`should_stop`), then remove the socket file. Runs
        in the main thread: a client that goes away interrupts its turn with SIGINT's
        KeyboardInterrupt (handled here even when this process was started with SIGINT
        ignored, as a shell's background job is)."""
        signal.signal(signal.SIGINT, signal.default_int_handler)
        last_turn = self.clock()
        try:
            while True:
                try:
                    try:
                        client = self._accepted.get(timeout=self.tick)
                    except queue.Empty:
                        if self.should_stop(last_turn) is not None:
                            return
                        continue
                    try:
                        if not self.handle(client):
                            return
                    finally:
                        client.close()
                        self._busy.release()
                        last_turn = self.clock()
                except KeyboardInterrupt:  # a client went away just as its turn ended
                    continue
        finally:
            self.close()

    def should_stop(self, last_turn: float) -> str | None:
        """Why this process should stop now, or None."""
        if self.stopping.is_set():
            return "told to stop"
        if self.clock() - last_turn >= self.idle_seconds:
            return "idle"
        if not self.data_dir.is_dir():
            return "its data directory is gone"
        try:
            if self.path.stat().st_ino != self._inode:
                return "its socket file was replaced"
        except OSError:
            return "its socket file is gone"
        return None

    def close(self) -> None:
        """Stop listening and remove the socket file if it is still this process's."""
        if self._listener is not None:
            self._listener.close()
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed: the process is stopping
                return
            if peer_uid(client) not in (None, os.getuid()):
                client.close()
            elif self._busy.acquire(blocking=False):
                self._accepted.put(client)
            else:
                threading.Thread(target=_decline_busy, args=(client,), daemon=True).start()

    def handle(self, client: socket.socket) -> bool:
        """Run the turn `client` asks for; False when this process should stop after it."""
        connection = Connection(client)
        client.settimeout(HANDSHAKE_TIMEOUT_S)
        reader = client.makefile("rb")
        try:
            request = json.loads(reader.readline(REQUEST_LIMIT_BYTES))
            argv = [str(arg) for arg in request["argv"]]
            ttys = [bool(flag) for flag in request["isatty"]]
        except (OSError, ValueError, KeyError, TypeError):
            return True  # not a client of ours, or one that gave up: nothing was started
        if request.get("fingerprint") != self.digest:
            connection.send({"declined": "another environment"})
            return True
        changed = self.modules.changed()
        if changed is not None or self.stopping.is_set():
            connection.send({"declined": f"the code changed on disk ({changed})"})
            return False
        connection.send({"ready": True})
        try:
            if json.loads(reader.readline(REQUEST_LIMIT_BYTES)) != {"go": True}:
                return True
        except (OSError, ValueError):
            return True  # the client gave up waiting and runs the turn itself
        client.settimeout(None)
        code = self._run_turn(connection, argv, ttys)
        connection.send({"exit": code})
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_RDWR)
        self.modules.remember()
        return True

    def _run_turn(self, connection: Connection, argv: list[str], ttys: list[bool]) -> int:
        stdout, stderr = self.relays
        stdout.attach(connection, ttys[0])
        stderr.attach(connection, ttys[1])
        with self._turn_lock:
            self._turn_running = True
        threading.Thread(target=self._watch, args=(connection,), daemon=True).start()
        try:
            return self.run(argv)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            return 130
        except BaseException:  # what `stratigos` would print as a traceback, exit 1
            traceback.print_exc()
            return 1
        finally:
            with self._turn_lock:
                self._turn_running = False
            stdout.attach(None)
            stderr.attach(None)

    def _watch(self, connection: Connection) -> None:
        """Interrupt the running turn when its client goes away (it sends nothing more)."""
        with contextlib.suppress(OSError):
            while connection.sock.recv(4096):
                pass  # a client sends nothing after its go-ahead; read until it hangs up
        with self._turn_lock:
            if self._turn_running:
                connection.gone = True
                _thread.interrupt_main()


def _decline_busy(client: socket.socket) -> None:
    """Tell a client that another turn is running, after reading its request (closing a socket
    with unread data would reset the connection before the client reads the answer)."""
    client.settimeout(HANDSHAKE_TIMEOUT_S)
    with contextlib.suppress(OSError), client:
        client.makefile("rb").readline(REQUEST_LIMIT_BYTES)
        Connection(client).send({"declined": "busy with another turn"})


def warm_up() -> None:
    """Load what every turn needs: the chat, the offline model, every tool module."""
    import importlib

    from tools import TOOL_GROUPS

    for module in (*WARM_MODULES, *(factory.partition(":")[0] for factory, _ in TOOL_GROUPS)):
        importlib.import_module(module)


def run_command(argv: Sequence[str]) -> int:
    """Run one `stratigos` command in this process (never handing it on to a warm process)."""
    from api.cli import build_parser, run_parsed

    return run_parsed(build_parser().parse_args(list(argv)))


def main(argv: Sequence[str]) -> int:
    """Become the warm process for socket `argv[0]`, fingerprint `argv[1]`, idle seconds
    `argv[2]`; returns at once (0) if another process already is."""
    path, digest, idle = Path(argv[0]), argv[1], float(argv[2])
    relays = (Relay("out", sys.stdout), Relay("err", sys.stderr))
    sys.stdout, sys.stderr = relays
    lock_path = path.with_suffix(".lock")
    lock = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)  # held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return 0
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())
    from settings import get_settings

    warm_up()
    process = WarmProcess(path, digest, idle, run_command, get_settings().data_dir, relays)
    signal.signal(signal.SIGTERM, lambda *_: process.stopping.set())
    process.bind()
    try:
        process.serve()
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
    return 0


if __name__ == "__main__":
    exit_process(lambda: main(sys.argv[1:]))
