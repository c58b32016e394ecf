"""How many cores this process may use: its CPU affinity, bounded by a container's CPU quota.

A container limited to 2 CPUs on a 64-core host sees 64 cores in its affinity; the limit is its
control group's CPU quota (cgroup v2 `cpu.max`: "QUOTA PERIOD" in microseconds, or "max"; cgroup
v1 `cpu/cpu.cfs_quota_us` and `cpu/cpu.cfs_period_us`, -1 for none), rounded up to whole cores.
Defaults sized per core (`stratigos serve`'s processes and request threads) follow it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where Linux mounts the control groups (in a container: its own)."""


def usable_cores(cgroup_root: Path = CGROUP_ROOT) -> int:
    """Cores this process may run on: its CPU affinity (or the machine's count where there is
    none), at most its control group's CPU quota rounded up; at least 1."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroup_root)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


def cpu_quota(cgroup_root: Path = CGROUP_ROOT) -> float | None:
    """The control group's CPU quota in cores (1.5: one and a half), None when unlimited or
    unknown (no such files, unreadable or malformed)."""
    try:
        quota, period = (cgroup_root / "cpu.max").read_text().split()
        if quota == "max":
            return None
        return _cores(int(quota), int(period))
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((cgroup_root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((cgroup_root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return _cores(quota_us, period_us)


def _cores(quota: int, period: int) -> float | None:
    return quota / period if quota > 0 and period > 0 else None


__all__ = ["CGROUP_ROOT", "cpu_quota", "usable_cores"]
