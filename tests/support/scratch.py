"""Where the suite's scratch files go: a memory file system when the machine has room there.

The suite's tests write thousands of short-lived SQLite stores, traces and data directories,
and delete them. On a disk file system every new database's setup, every last close (a WAL
checkpoint) and every delete waits for the disk: a synchronous `fdatasync` of ~3.5 ms, an
`unlink` of ~1.7 ms on this project's machines (ext4 mounted with `discard`), against ~0.06 ms
on tmpfs; forty evaluation cases spent 5.7 s of their 31 s waiting there. None of the suite's
assertions is about durability across a power loss (a full disk is a file size limit, which
tmpfs enforces alike: tests/jobs/test_full_disk.py), so the scratch files may live in memory.

`use_memory_scratch` points `TMPDIR` (and so `tempfile`, pytest's `tmp_path` and every process
the tests start) at this user's directory of `/dev/shm`, unless the caller set `TMPDIR`, or
`/dev/shm` is not a writable tmpfs with `MIN_FREE_BYTES` free (a container's default of 64 MB
is not), or the directory is not this user's own: then the default stays. Like `/tmp`, others
may pass through it (to a directory a test made for an unprivileged user,
tests/jobs/test_privileges.py) but not list or write it; what is made in it (`mkdtemp`, pytest's
directories) is the user's alone. What a test keeps between sessions (the JSII cache of the CDK
tests) and Ray's session logs stay on disk (`disk_tempdir`, `RAY_TMPDIR`). Its name is short: a socket path in it must stay within the
platforms' 104-108 bytes (api/cli/warm.py's warm processes use 100 at most).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

MEMORY_ROOT = Path("/dev/shm")
MIN_FREE_BYTES = 4 << 30
"""Free space the memory file system and the memory must each have (a session's scratch peaks
near 3 GB; a passed test's `tmp_path` is removed at its teardown: pyproject.toml)."""
DISK_TMPDIR = "STRATIGOS_TEST_DISK_TMPDIR"
"""The variable that keeps the temporary directory on disk for the tests' processes."""


def use_memory_scratch(root: Path = MEMORY_ROOT, min_free: int = MIN_FREE_BYTES) -> Path | None:
    """Set `TMPDIR` to `root/st-<uid>` (mode 0711) when the rules above allow; the directory,
    or None when the default stays."""
    if os.environ.get("TMPDIR") or not _is_tmpfs(root) or not os.access(root, os.W_OK):
        return None
    usage = os.statvfs(root)
    if min(usage.f_bavail * usage.f_frsize, _memory_available()) < min_free:
        return None  # a tmpfs' size is a limit, not memory set aside: both must have room
    scratch = root / f"st-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        scratch.mkdir(mode=0o700)
    info = os.lstat(scratch)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return None  # another user's, or a link: not this user's scratch
    scratch.chmod(0o711)
    disk = tempfile.gettempdir()
    os.environ.setdefault(DISK_TMPDIR, disk)  # for caches kept between sessions
    os.environ.setdefault("RAY_TMPDIR", disk)  # Ray's session logs, kept by Ray: not in memory
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = None  # `tempfile.gettempdir()` reads TMPDIR again
    return scratch


def disk_tempdir() -> Path:
    """The temporary directory on disk, for what a test keeps between sessions (a cache): the
    one before `use_memory_scratch` moved TMPDIR, else the temporary directory."""
    return Path(os.environ.get(DISK_TMPDIR) or tempfile.gettempdir())


def _memory_available() -> int:
    """Bytes of memory available (/proc/meminfo's MemAvailable; 0 when it cannot be read)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _is_tmpfs(root: Path) -> bool:
    """Whether `root` lies on a tmpfs (the mount of the longest mount point above it)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return False
    path = root.resolve()
    above = [
        (len(Path(m[1]).parts), m[2]) for m in mounts if len(m) > 2 and path.is_relative_to(m[1])
    ]
    return bool(above) and max(above)[1] == "tmpfs"
