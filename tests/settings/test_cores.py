"""`settings.cores`: the cores a process may use, its affinity within a container's CPU quota,
read from control group files written here in both layouts (cgroup v2 and v1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings.cores import cpu_quota, usable_cores

AFFINITY = len(os.sched_getaffinity(0))


def _v2(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpu.max").write_text(text)
    return root


def _v1(root: Path, quota: str, period: str) -> Path:
    (root / "cpu").mkdir(parents=True, exist_ok=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(quota)
    (root / "cpu" / "cpu.cfs_period_us").write_text(period)
    return root


@pytest.mark.parametrize(
    ("text", "cores"),
    [
        ("100000 100000\n", 1.0),
        ("150000 100000\n", 1.5),
        ("50000 100000\n", 0.5),
        ("max 100000\n", None),
    ],
)
def test_a_cgroup_v2_quota_is_cpu_max_over_its_period(
    tmp_path: Path, text: str, cores: float | None
) -> None:
    assert cpu_quota(_v2(tmp_path, text)) == cores


def test_a_cgroup_v1_quota_is_cfs_quota_over_period(tmp_path: Path) -> None:
    assert cpu_quota(_v1(tmp_path, "200000\n", "100000\n")) == 2.0
    assert cpu_quota(_v1(tmp_path / "unlimited", "-1\n", "100000\n")) is None


def test_no_or_unreadable_files_mean_no_quota(tmp_path: Path) -> None:
    assert cpu_quota(tmp_path / "missing") is None
    assert cpu_quota(_v2(tmp_path / "garbled", "lots\n")) is None


def test_usable_cores_are_the_affinity_within_the_quota_rounded_up(tmp_path: Path) -> None:
    assert usable_cores(tmp_path / "missing") == AFFINITY
    assert usable_cores(_v2(tmp_path / "half", "50000 100000")) == 1  # at least one
    assert usable_cores(_v2(tmp_path / "one-and-a-half", "150000 100000")) == min(AFFINITY, 2)
    assert usable_cores(_v2(tmp_path / "plenty", f"{(AFFINITY + 8) * 100000} 100000")) == AFFINITY
