"""`stratigos serve`: the API app under uvicorn, with a session API key for the local user.

`run_server(host, port, settings)` serves the app (`api.app.create_app`, loaded in the background
while the server already answers its health checks: `api.startup`) and creates a session key for
owner `local` (`SessionKey`): it expires `SESSION_TTL` after its last renewal and the server
renews it every `SESSION_RENEW_SECONDS` while it lives, so a key outlives a crashed server
(`kill -9`) by at most the TTL; starting a server revokes every session key left by an earlier
one in the same store. Once the server accepts connections it prints

    Stratigos API on http://HOST:PORT (docs /v1/docs); web UI: http://HOST:PORT/#key=<key>

when its output is a terminal (the web UI reads the key from the address fragment, which
browsers never send to the server). Otherwise (a pipe, a log file) the key is never written
there: the sign-in link goes to `<data_dir>/serve-sign-in.txt` (mode 0600) and the banner says
where it is. The server runs until Ctrl-C (SIGINT) or SIGTERM, then shuts down gracefully and
revokes the session key. Port 0 binds a free port; the printed address names the real one.

With `processes` > 1 (`stratigos serve --workers N`; by default one per core, at most
`MAX_DEFAULT_PROCESSES`: `ApiSettings.server_processes`) this process binds the socket, keeps
the session key and supervises N child processes (spawned, each a fresh interpreter) that accept
connections on that one socket, each with its own app, store connections, thread pool and
limits (`_serve_child`); the `api_job_workers` job threads are shared out among them
(`job_worker_shares`), so N processes run as many jobs at once as one. They share the socket,
the store and the data directory. A child that dies is started again with its share;
SIGINT/SIGTERM stop them all gracefully, and the children end with the command even when it is
killed (SIGKILL; on Linux at once, elsewhere within a second).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from settings import LOCAL_OWNER, Settings, get_settings
from settings.files import write_private
from settings.process_start import defer_package_indexes
from store import ApiKey, Clock, NotFoundError, Store, utc_now
from store.factory import open_store

SESSION_OWNER = LOCAL_OWNER
"""Owner of the session key (the command line's own jobs belong to it too)."""
SESSION_TTL = timedelta(minutes=15)
"""A session key stops working this long after its last renewal."""
SESSION_RENEW_SECONDS = 300.0
"""How often a running server renews its session key (well within `SESSION_TTL`)."""
SESSION_PREFIX = "serve-"
"""Session keys are the expiring keys of `SESSION_OWNER` named `serve-<UTC timestamp>`."""
SIGN_IN_FILE = "serve-sign-in.txt"
"""Where the sign-in link goes (in the data dir) when the output is not a terminal."""
PR_SET_PDEATHSIG = 1
"""Linux prctl(2) option: the signal a process receives when its parent dies."""
CHILD_STOP_SECONDS = 30.0
"""How long a child server process may take to stop gracefully before it is killed."""
CHILD_CANNOT_START = 3
"""Exit code of a child server process whose app could not be loaded or started."""
PARENT_CHECK_SECONDS = 1.0
"""Where the kernel cannot signal a parent's death (not Linux), how often a child server
process looks for it."""

log = logging.getLogger("stratigos.api.server")


def is_session_key(key: ApiKey) -> bool:
    """A key `stratigos serve` made (never one made with `stratigos keys create`, which has no
    expiry)."""
    return (
        key.owner == SESSION_OWNER
        and key.name.startswith(SESSION_PREFIX)
        and key.expires_at is not None
    )


class SessionKey:
    """The session key of one server: revokes the keys earlier servers left (a crash never
    revokes its own), creates a new one that expires after `ttl`, renews and finally revokes
    it. `clock` gives "now" (tests pass a fake one)."""

    def __init__(
        self, store: Store, *, ttl: timedelta = SESSION_TTL, clock: Clock = utc_now
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self.revoked_previous = [
            store.revoke_api_key(SESSION_OWNER, key.id).id
            for key in store.list_api_keys(SESSION_OWNER)
            if is_session_key(key) and key.revoked_at is None
        ]
        now = clock()
        self.raw, self.key = store.create_api_key(
            SESSION_OWNER, f"{SESSION_PREFIX}{now:%Y%m%dT%H%M%S%fZ}", expires_at=now + ttl
        )
        self._revoked = threading.Event()

    def renew(self) -> None:
        """Push the expiry to now + ttl (nothing once revoked)."""
        if not self._revoked.is_set():
            with contextlib.suppress(NotFoundError):  # revoked meanwhile (`keys revoke`)
                self.key = self.store.renew_api_key(
                    SESSION_OWNER, self.key.id, self.clock() + self.ttl
                )

    def revoke(self) -> None:
        """Revoke the key (once)."""
        if not self._revoked.is_set():
            self._revoked.set()
            self.store.revoke_api_key(SESSION_OWNER, self.key.id)

    def keep_renewed(self, every: float = SESSION_RENEW_SECONDS) -> threading.Thread:
        """A daemon thread renewing the key every `every` seconds until it is revoked."""

        def loop() -> None:
            while not self._revoked.wait(every):
                self.renew()

        thread = threading.Thread(target=loop, name="session-key-renewal", daemon=True)
        thread.start()
        return thread


def sign_in_banner(base: str, raw_key: str, stream: TextIO, data_dir: Path) -> str:
    """The line to print: with the key on a terminal; otherwise the link is written to
    `data_dir / SIGN_IN_FILE` (mode 0600) and the line says where."""
    link = f"{base}/#key={raw_key}"
    if stream.isatty():
        return f"Stratigos API on {base} (docs /v1/docs); web UI: {link}\n"
    path = write_private(data_dir / SIGN_IN_FILE, link + "\n")
    return (
        f"Stratigos API on {base} (docs /v1/docs); web UI sign-in link (with the session key) "
        f"in {path}\n"
    )


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket on (host, port); uvicorn starts listening on it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)"
        ) from None
    sock.set_inheritable(True)
    return sock


class ServerStartError(RuntimeError):
    """The server did not start: its app could not be loaded or started, or a server process
    exited before it accepted connections (the command line reports it in one line, exit 1)."""


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run_server(
    host: str,
    port: int,
    settings: Settings | None = None,
    *,
    out: TextIO | None = None,
    log_level: str = "info",
    processes: int | None = None,
) -> None:
    """Serve the Stratigos API on `host:port` until interrupted (see the module docstring).

    `settings` default to the process settings (`api_job_workers` decides how many job worker
    threads run in the server processes together); listening on an address other machines
    reach, the server is production unless `STRATIGOS_ENVIRONMENT` says otherwise
    (`Settings.listening_on`). `processes` server processes accept the connections (1: this
    one; None: `settings.api.server_processes()`). The banner goes to `out` (default stdout),
    uvicorn's logs to stderr. Returns after a graceful shutdown; the session key is revoked by
    then.
    """
    if processes is None:
        processes = (settings or get_settings()).api.server_processes()
    if processes < 1:
        raise ValueError(f"processes must be at least 1, not {processes}")
    stream: TextIO = out or sys.stdout
    sock = _bind(host, port)
    try:
        settings = (settings or get_settings()).listening_on(str(sock.getsockname()[0]))
    except ValueError:
        sock.close()
        raise
    data_dir = settings.ensure_data_dir()
    store = open_store(settings)
    session = SessionKey(store)
    base = _url(host, int(sock.getsockname()[1]))

    def announce() -> None:
        stream.write(sign_in_banner(base, session.raw, stream, data_dir))
        stream.flush()

    session.keep_renewed()
    previous = _terminate_as_interrupt()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            if processes == 1:
                _serve_here(sock, settings, store, log_level, announce, session.revoke)
            else:
                _supervise(sock, settings, processes, log_level, announce)
    finally:
        _restore(previous)
        try:
            session.revoke()
        finally:
            sock.close()
            store.close()


def _server(
    sock: socket.socket,
    settings: Settings,
    store: Store,
    log_level: str,
    on_started: Callable[[], None],
    on_shutdown: Callable[[], None] | None = None,
) -> None:
    """Serve the app on `settings` and `store` on `sock` with uvicorn and the connection limits of
    `settings.api` until it stops. The app loads while the server already answers its health
    checks (`api.startup.StartingApp`); `on_started` runs once it accepts connections,
    `on_shutdown` after it stopped. `ServerStartError` when the app could not be loaded or started
    (the server then stops at once)."""
    import uvicorn

    from api.connections import server_config
    from api.log_output import queued_output
    from api.startup import StartingApp

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                on_started()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().shutdown(sockets=sockets)
            finally:
                if on_shutdown is not None:
                    on_shutdown()

    def load() -> Any:
        from api.app import create_app  # seconds of imports, while health checks are answered

        return create_app(settings, store=store)

    def stop(_failure: BaseException) -> None:
        server.should_exit = True

    app = StartingApp(load, settings, store, stop)
    server = _Server(server_config(app, settings.api, log_level=log_level, lifespan="on"))
    with queued_output():  # uvicorn's logging is configured: its lines leave the event loop
        server.run(sockets=[sock])
    if app.failure is not None:
        raise ServerStartError(f"the API did not start: {app.failure}") from app.failure


def _serve_here(
    sock: socket.socket,
    settings: Settings,
    store: Store,
    log_level: str,
    announce: Callable[[], None],
    revoke: Callable[[], None],
) -> None:
    """One server process: this one."""
    _server(sock, settings, store, log_level, announce, revoke)


def _end_with_parent(parent: int) -> None:
    """Have this process receive SIGTERM when its parent (`parent`, the supervisor) dies, even
    by SIGKILL, so no server process outlives it holding the port: from the kernel on Linux,
    elsewhere from a thread that looks for a new parent every `PARENT_CHECK_SECONDS`."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    else:
        watch_parent(parent)
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def watch_parent(parent: int, every: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """A daemon thread sending this process SIGTERM once its parent is no longer `parent` (it
    died and the process was adopted), looking every `every` seconds."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def with_job_workers(settings: Settings, job_workers: int) -> Settings:
    """`settings` with `api_job_workers` set to `job_workers`."""
    return settings.model_copy(
        update={"api": settings.api.model_copy(update={"job_workers": job_workers})}
    )


def job_worker_shares(job_workers: int, processes: int) -> list[int]:
    """`job_workers` job threads shared out among `processes` server processes, the first ones
    taking one more: 1 among 2 is [1, 0], 5 among 2 is [3, 2]."""
    each, rest = divmod(job_workers, processes)
    return [each + (index < rest) for index in range(processes)]


def _serve_child(
    sock: socket.socket,
    settings: Settings,
    log_level: str,
    started: EventType,
    failures: Connection,
    parent: int,
) -> None:
    """The body of one child process of `_supervise`: a server on the shared socket with a
    store of its own; `started` is set once it accepts connections. SIGTERM stops it
    gracefully; so does the death of the supervisor (`parent`). When its app cannot be loaded
    or started it sends the reason on `failures` and exits with `CHILD_CANNOT_START`."""
    defer_package_indexes()  # a spawned interpreter: as `exit_process` does in ours
    _terminate_as_interrupt()
    _end_with_parent(parent)
    store = open_store(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            _server(sock, settings, store, log_level, started.set)
    except ServerStartError as exc:
        failures.send(str(exc))
        sys.exit(CHILD_CANNOT_START)
    finally:
        store.close()


class _Child:
    """One server process of `_supervise`."""

    def __init__(
        self, context: SpawnContext, sock: socket.socket, settings: Settings, log_level: str
    ) -> None:
        self.started = context.Event()
        self._failures, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve_child,
            args=(sock, settings, log_level, self.started, sender, os.getpid()),
            name="stratigos-serve",
            # not a daemon: a daemon may not start processes (a process-pool compute backend)
        )
        self.process.start()
        sender.close()  # the child holds its own end

    def failure(self) -> str | None:
        """Why its app could not be loaded or started, once it has exited for that; else None
        (running, or ended otherwise: killed, crashed)."""
        try:
            return str(self._failures.recv()) if self._failures.poll() else None
        except EOFError:
            return None

    def wait_started(self) -> None:
        """Return once it accepts connections; `ServerStartError` when it exits before."""
        while not self.started.wait(0.2):
            if not self.process.is_alive():
                raise ServerStartError(
                    self.failure()
                    or f"a server process exited (code {self.process.exitcode}) before it started"
                )

    def terminate(self) -> None:
        """Ask it to stop gracefully (SIGTERM)."""
        if self.process.is_alive():
            self.process.terminate()

    def stopped(self, deadline: float) -> None:
        """Wait for it to end until `deadline` (`time.monotonic()`), then kill it (SIGKILL)."""
        self.process.join(max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._failures.close()


def _supervise(
    sock: socket.socket,
    settings: Settings,
    processes: int,
    log_level: str,
    announce: Callable[[], None],
) -> None:
    """Run `processes` child servers on `sock` until interrupted (KeyboardInterrupt), starting
    again any that dies (with the same share of the job workers); `announce` runs once all of
    them accept connections."""
    context = multiprocessing.get_context("spawn")
    shares = [
        with_job_workers(settings, n)
        for n in job_worker_shares(settings.api.job_workers, processes)
    ]
    children: list[_Child] = []
    try:
        for share in shares:
            children.append(_Child(context, sock, share, log_level))
        for child in children:
            child.wait_started()
        announce()
        while True:
            multiprocessing.connection.wait([child.process.sentinel for child in children])
            for index, child in enumerate(children):
                if not child.process.is_alive():
                    failure = child.failure()
                    if failure is not None:  # its siblings would fail the same way
                        raise ServerStartError(failure)
                    log.warning(
                        "server process %s exited (code %s); starting another",
                        child.process.pid,
                        child.process.exitcode,
                    )
                    children[index] = _Child(context, sock, shares[index], log_level)
                    children[index].wait_started()
    finally:
        for child in children:
            child.terminate()
        deadline = time.monotonic() + CHILD_STOP_SECONDS
        for child in children:
            child.stopped(deadline)


_Handler = Callable[[int, FrameType | None], Any] | int | None
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""What stops a server gracefully (Ctrl-C, `kill`)."""


def _terminate_as_interrupt() -> dict[int, _Handler]:
    """Treat SIGINT and SIGTERM like Ctrl-C (a graceful stop that revokes the key), even when
    this process was started with SIGINT ignored (a shell's background job, a test runner's
    worker), as uvicorn's own handlers do while it serves: the supervisor of several server
    processes serves nothing itself, and uvicorn hands the signal back after shutting down.
    Returns the previous handlers (none off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous: dict[int, _Handler] = {n: signal.getsignal(n) for n in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, interrupt)
    return previous


def _restore(previous: dict[int, _Handler]) -> None:
    if threading.current_thread() is threading.main_thread():
        for number, handler in previous.items():
            if handler is not None:
                signal.signal(number, handler)


__all__ = [
    "SESSION_OWNER",
    "SESSION_TTL",
    "SessionKey",
    "is_session_key",
    "job_worker_shares",
    "run_server",
    "watch_parent",
    "with_job_workers",
]
