"""Giving up root in the SageMaker containers before any of the job's code runs.

SageMaker starts a processing or serving container as root and mounts the processing
directories owned by root (a container's user could not write its outputs otherwise). The
processing image names an unprivileged user in `STRATIGOS_RUN_AS` (``uid:gid``, the image's
`stratigos` user); `drop_root(writable)` hands the directories the job writes to that user and
becomes it, for good (supplementary groups cleared, group then user). Elsewhere (not root, or
`STRATIGOS_RUN_AS` unset: tests, a developer's machine) it changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RUN_AS = "STRATIGOS_RUN_AS"


def run_as(environ: Mapping[str, str]) -> tuple[int, int] | None:
    """The (uid, gid) `STRATIGOS_RUN_AS` names (``uid:gid``), None when unset; `ValueError`
    naming the variable when it is not two non-zero numbers."""
    spec = environ.get(RUN_AS, "").strip()
    if not spec:
        return None
    uid, separator, gid = spec.partition(":")
    if not (separator and uid.isdigit() and gid.isdigit()) or int(uid) == 0 or int(gid) == 0:
        raise ValueError(f"{RUN_AS}={spec!r} must be uid:gid of an unprivileged user")
    return int(uid), int(gid)


def drop_root(
    writable: Iterable[Path], *, environ: Mapping[str, str] | None = None, system: Any = os
) -> bool:
    """Running as root with `STRATIGOS_RUN_AS` set: chown every directory of `writable` (and
    what it holds) to that user, then become it; True when it did. `system` gives `geteuid`,
    `chown`, `setgroups`, `setgid` and `setuid` (the `os` module)."""
    ids = run_as(os.environ if environ is None else environ)
    if ids is None or system.geteuid() != 0:
        return False
    uid, gid = ids
    for root in writable:
        if root.is_dir():
            for path in (root, *root.rglob("*")):
                system.chown(path, uid, gid)
    system.setgroups([])
    system.setgid(gid)
    system.setuid(uid)
    return True
