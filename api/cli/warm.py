"""The warm chat process, client side: `stratigos chat -m` hands its turn to a process that has
the assistant loaded already (docs/cli.md, "A warm process for chat -m").

A fresh Python needs about 1.6 s to load LangGraph, LangChain, pandas and the tools before the
first turn can start; a turn itself takes about 0.1 s offline. So, unless
`STRATIGOS_CHAT_KEEP_WARM_SECONDS` is 0, the first `chat -m` runs its turn here as always and then
starts a background process (`api.cli.warm_process`) that loads everything and waits on a Unix
socket; later `chat -m` commands with the same settings, environment and working directory send it
their arguments and relay what it prints and its exit code. It stops after that many idle seconds,
when its data directory goes away, when a module it loaded changes on disk, or on SIGTERM.

A warm process serves only the environment it was started in: its socket's name is a hash of the
resolved settings (secrets included), every environment variable but the shell's bookkeeping
ones, the working directory, the interpreter and the AWS configuration files' versions
(`fingerprint`). Its socket lives in an
owner-only directory (`runtime_directory`) and it answers its own user only. Whenever it cannot
serve a turn (none running, busy with another, stale, another platform), the turn runs in this
process as it would without it: the warm process changes how fast a turn starts, never what it
does.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

PROTOCOL = 1
"""The version of the messages between a client and its warm process (part of the fingerprint)."""

VOLATILE_VARIABLES = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES"})
"""Environment variables a shell changes between commands without changing what they do."""

MAX_SOCKET_PATH_BYTES = 100
"""Longest socket path used (the platforms' limits are 104-108 bytes)."""

CONNECT_TIMEOUT_S = 2.0
"""How long to wait for the warm process to take a connection and say it is ready (then the
turn runs here instead)."""

MAX_WARM_PROCESSES = 3
"""Most warm processes a user keeps at once (one per environment; each holds about 200 MB):
a command of a fourth environment runs its turn itself and starts none."""

STOP_TIMEOUT_S = 60.0
"""How long `stop_warm_processes` waits for a warm process to finish its turn and end."""


class WarmTurnLost(Exception):
    """The warm process went away in the middle of a turn it had started: the turn may or may
    not have been stored in its thread (unlike a turn never started, it is not run again)."""


def supported() -> bool:
    """Whether this platform has what a warm process needs (Unix sockets and file locks)."""
    return os.name == "posix" and hasattr(socket, "AF_UNIX")


def eligible(args: argparse.Namespace) -> bool:
    """Whether the parsed command is one a warm process runs: `chat` with `--message`, not a
    decision (which may start a search that reports progress for minutes) or a recording."""
    return args.command == "chat" and args.message is not None and not needs_own_process(args)


def needs_own_process(args: argparse.Namespace) -> bool:
    """Whether the parsed `chat` command has an option that keeps it in its own process: a
    decision, a recording."""
    return bool(args.approve or args.reject or args.edit is not None or args.record is not None)


def fingerprint(settings: Any, environ: dict[str, str], cwd: str) -> str:
    """What a warm process must share with a command to run its turn, as a hex digest: the
    protocol, the interpreter, the working directory, the environment (but `VOLATILE_VARIABLES`),
    the resolved settings, secrets included (hashed, never stored), and the version of the AWS
    configuration and credentials files (read once by a process's AWS clients)."""
    digest = hashlib.sha256()
    values = settings.model_dump(mode="python")
    material = {
        "protocol": PROTOCOL,
        "python": [sys.executable, sys.version],
        "cwd": cwd,
        "environment": {k: v for k, v in environ.items() if k not in VOLATILE_VARIABLES},
        "settings": values,
        "aws_files": [file_version(path) for path in _aws_files(environ)],
    }
    digest.update(json.dumps(material, sort_keys=True, default=_revealed).encode())
    return digest.hexdigest()


def _aws_files(environ: Mapping[str, str]) -> list[Path]:
    """The AWS SDKs' shared configuration and credentials files for `environ`."""
    home = Path(environ.get("HOME", "~")).expanduser()
    return [
        Path(environ.get("AWS_CONFIG_FILE", home / ".aws" / "config")).expanduser(),
        Path(
            environ.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials")
        ).expanduser(),
    ]


def file_version(path: str | Path) -> tuple[int, int] | None:
    """The modification time (ns) and size of the file at `path`, None when it is missing."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _revealed(value: Any) -> Any:
    reveal = getattr(value, "get_secret_value", None)
    return reveal() if callable(reveal) else str(value)


def runtime_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The owner-only directory holding the warm processes' sockets of this user, created if
    missing: `$XDG_RUNTIME_DIR/stratigos`, else `<temp dir>/stratigos-<uid>`. None when it
    exists but is not a directory of this user that only this user can reach."""
    base = (os.environ if environ is None else environ).get("XDG_RUNTIME_DIR")
    uid = os.getuid()
    path = Path(base) / "stratigos" if base else Path(tempfile.gettempdir()) / f"stratigos-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        return None
    return path


def socket_path(directory: Path, digest: str) -> Path:
    """The socket of the warm process for fingerprint `digest` in `directory`."""
    return directory / f"chat-{digest[:32]}.sock"


@dataclass(frozen=True)
class WarmTarget:
    """The warm process a command would use: its socket, fingerprint and idle seconds, and the
    environment the command started with (a turn run here may add variables: the libraries it
    loads do, so the warm process is started with this one, the one its fingerprint hashes)."""

    path: Path
    digest: str
    idle_seconds: float
    environ: dict[str, str]


def run_turn(found: WarmTarget, argv: Sequence[str]) -> int | None:
    """Run this `chat -m` command in the warm process `found` and return its exit code, having
    relayed what it printed; None when it cannot take it (then run it here, and call
    `keep_warm` after). Raises `WarmTurnLost` when it took it and went away mid-turn, and
    `BrokenPipeError` when this process's output is closed (as printing here would)."""
    path, digest = found.path, found.digest
    if not path.exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT_S)
        request = {
            "fingerprint": digest,
            "argv": list(argv),
            "isatty": [_isatty(sys.stdout), _isatty(sys.stderr)],
        }
        try:
            client.connect(str(path))
            client.sendall(json.dumps(request).encode() + b"\n")
        except OSError:  # refused (a socket file left behind), timed out, reset
            return None
        return _relay(client)
    finally:
        client.close()


def _relay(client: socket.socket) -> int | None:
    """Go ahead once the warm process is ready, then copy its output here until its exit
    code; None if it declined the turn or went away before it was told to go."""
    reader = client.makefile("rb")
    started = False
    try:
        while True:
            try:
                line = reader.readline()
                message = json.loads(line) if line else None
            except (OSError, ValueError):
                message = None
            if not isinstance(message, dict):
                if started:
                    raise WarmTurnLost("the warm chat process ended during the turn")
                return None
            if not started:
                if message != {"ready": True}:
                    return None  # declined
                try:
                    client.sendall(json.dumps({"go": True}).encode() + b"\n")
                except OSError:
                    return None
                started = True
                client.settimeout(None)  # the turn runs as long as it runs
                continue
            if "exit" in message:
                return int(message["exit"])
            for key, stream in (("out", sys.stdout), ("err", sys.stderr)):
                if key in message:
                    stream.write(str(message[key]))
                    stream.flush()
    finally:
        reader.close()


def keep_warm(found: WarmTarget) -> bool:
    """After a turn run in this process: start the warm process `found` for the next ones, in
    the background, unless it is already there or the user has `MAX_WARM_PROCESSES` (best
    effort: a warm process that cannot start leaves the next command to run its turn itself).
    Whether one was started."""
    path = found.path
    if path.exists() or len(warm_pids(path.parent)) >= MAX_WARM_PROCESSES:
        return False
    command = [
        sys.executable,
        "-m",
        "api.cli.warm_process",
        str(path),
        found.digest,
        repr(found.idle_seconds),
    ]
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            env=found.environ,
        )
    except OSError:
        return False
    return True


def target() -> WarmTarget | None:
    """The warm process of this command, or None when there is none to use: another platform,
    settings that do not load (the command reports them), keeping warm switched off, no
    private runtime directory. Call it before the command changes anything."""
    if not supported():
        return None
    from settings import get_settings

    try:
        settings = get_settings()
    except (ValueError, OSError):
        return None
    if settings.chat_keep_warm_seconds <= 0:
        return None
    directory = runtime_directory()
    if directory is None:
        return None
    environ = dict(os.environ)
    digest = fingerprint(settings, environ, os.getcwd())
    path = socket_path(directory, digest)
    if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
        return None
    return WarmTarget(path, digest, settings.chat_keep_warm_seconds, environ)


def warm_pids(directory: Path) -> list[int]:
    """Process ids of the running warm processes whose sockets are in `directory` (each holds
    a lock on its lock file, which names its process id, while it runs)."""
    return sorted(pid for pid, _ in _held_locks(directory))


def stop_warm_processes(directory: Path) -> list[int]:
    """Stop the warm processes of `directory` (SIGTERM: each ends after the turn it runs) and
    wait until they have ended; returns their ids. TimeoutError if one still runs after
    `STOP_TIMEOUT_S`."""
    locks = _held_locks(directory)
    pids = sorted(pid for pid, _ in locks)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_locked(lock) for _, lock in locks):
        if time.monotonic() > deadline:
            raise TimeoutError(f"warm chat processes {pids} did not stop")
        time.sleep(0.05)
    return pids


def _held_locks(directory: Path) -> list[tuple[int, Path]]:
    """(process id, lock file) of each running warm process of `directory`."""
    held = []
    for lock in directory.glob("chat-*.lock"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(lock.read_text())
            if _locked(lock):
                held.append((pid, lock))
    return held


def _locked(path: Path) -> bool:
    """Whether a running warm process holds the lock file at `path`."""
    import fcntl  # POSIX only, like the warm processes

    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # removed: its process ended
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)
    return False


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
