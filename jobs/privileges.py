"""Giving up root in the SageMaker containers before any of the job's code runs.

SageMaker starts a processing or serving container as root and mounts the processing
directories owned by root (a container's user could not write its outputs otherwise). The
processing image names an unprivileged user in `STRATIGOS_RUN_AS` (``uid:gid``, the image's
`stratigos` user); `drop_root(writable)` hands the directories the job writes to that user, and
the caches its libraries write (`LIBRARY_CACHES`: the numeric kernels' cache, which importing
the engine as root already seeded, `quant.compiled`), and becomes it, for good (supplementary
groups cleared, group then user). Elsewhere (not root, or `STRATIGOS_RUN_AS` unset: tests, a
developer's machine) it changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RUN_AS = "STRATIGOS_RUN_AS"
LIBRARY_CACHES = ("NUMBA_CACHE_DIR", "MPLCONFIGDIR")
"""Environment variables naming the directories the libraries of a job write besides its
outputs (numba's kernel cache, matplotlib's): handed over with them where they exist."""


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
    """Running as root with `STRATIGOS_RUN_AS` set: chown every directory of `writable` and of
    `LIBRARY_CACHES` (and what it holds; a symbolic link itself, never what it points to) to
    that user, then become it; True when it did. `environ`: the environment (default
    `os.environ`); `system` gives `geteuid`, `chown`, `setgroups`, `setgid` and `setuid` (the
    `os` module)."""
    environment = os.environ if environ is None else environ
    ids = run_as(environment)
    if ids is None or system.geteuid() != 0:
        return False
    uid, gid = ids
    caches = [Path(environment[name]) for name in LIBRARY_CACHES if environment.get(name)]
    for root in [*writable, *caches]:
        if root.is_dir():
            for path in (root, *root.rglob("*")):
                system.chown(path, uid, gid, follow_symlinks=False)
    system.setgroups([])
    system.setgid(gid)
    system.setuid(uid)
    return True
