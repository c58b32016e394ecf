"""The SageMaker containers give up root before the job's code runs (`jobs.privileges`): the
directories the job writes go to the image's user, then the process becomes it; elsewhere
nothing changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from jobs.privileges import RUN_AS, drop_root, run_as


class System:
    """Records the calls `drop_root` makes, as a given effective user."""

    def __init__(self, euid: int) -> None:
        self.euid = euid
        self.calls: list[tuple[Any, ...]] = []

    def geteuid(self) -> int:
        return self.euid

    def chown(self, path: Path, uid: int, gid: int, *, follow_symlinks: bool = True) -> None:
        assert not follow_symlinks  # a link is handed over, never what it points to
        self.calls.append(("chown", Path(path), uid, gid))

    def setgroups(self, groups: list[int]) -> None:
        self.calls.append(("setgroups", tuple(groups)))

    def setgid(self, gid: int) -> None:
        self.calls.append(("setgid", gid))

    def setuid(self, uid: int) -> None:
        self.calls.append(("setuid", uid))


def test_root_hands_the_outputs_over_then_becomes_the_user(tmp_path: Path) -> None:
    output = tmp_path / "opt/ml/processing/output"
    (output / "step").mkdir(parents=True)
    (output / "step" / "part.json").write_text("{}")
    system = System(euid=0)
    assert drop_root([output, tmp_path / "absent"], environ={RUN_AS: "10001:10001"}, system=system)
    chowned = {call[1] for call in system.calls if call[0] == "chown"}
    assert chowned == {output, output / "step", output / "step" / "part.json"}
    # the groups, then the group, then the user: the order that leaves no way back
    assert system.calls[-3:] == [("setgroups", ()), ("setgid", 10001), ("setuid", 10001)]


def test_the_libraries_caches_are_handed_over_their_links_not_followed(tmp_path: Path) -> None:
    # numba's kernel cache as importing the engine as root seeded it: a folder of links into
    # the image's baked cache (quant.compiled.seed_kernel_cache)
    baked = tmp_path / "opt/stratigos/numba-cache/engine_1"
    baked.mkdir(parents=True)
    (baked / "run.nbi").write_text("index")
    cache = tmp_path / "tmp/numba-cache"
    (cache / "engine_1").mkdir(parents=True)
    (cache / "engine_1" / "run.nbi").symlink_to(baked / "run.nbi")
    environ = {RUN_AS: "10001:10001", "NUMBA_CACHE_DIR": str(cache),
               "MPLCONFIGDIR": str(tmp_path / "tmp/matplotlib")}  # fmt: skip
    system = System(euid=0)
    assert drop_root([], environ=environ, system=system)
    chowned = {call[1] for call in system.calls if call[0] == "chown"}
    assert chowned == {cache, cache / "engine_1", cache / "engine_1" / "run.nbi"}


@pytest.mark.parametrize(("euid", "environ"), [(1000, {RUN_AS: "10001:10001"}), (0, {})])
def test_nothing_changes_without_root_or_a_user_named(euid: int, environ: dict[str, str]) -> None:
    system = System(euid=euid)
    assert not drop_root([Path("/")], environ=environ, system=system)
    assert system.calls == []


@pytest.mark.parametrize("spec", ["0:0", "10001", "stratigos:stratigos", "10001:0", ":"])
def test_a_user_that_is_not_unprivileged_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=RUN_AS):
        run_as({RUN_AS: spec})


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another user needs root")
def test_a_root_process_really_ends_unprivileged_with_its_outputs() -> None:
    # a directory the unprivileged user can reach (pytest's own are root's alone)
    base = Path(tempfile.mkdtemp(prefix="stratigos-run-as-"))
    base.chmod(0o755)
    output = base / "output"
    output.mkdir()
    seed = base / "seed"  # the image's baked kernel cache: root's, linked into the cache
    seed.mkdir()
    (seed / "run.nbi").write_text("index")
    kernels = base / "numba-cache" / "engine_1"  # seeded by root at import
    kernels.mkdir(parents=True)
    (kernels / "run.nbi").symlink_to(seed / "run.nbi")
    script = (
        "import os, pathlib, sys\n"
        "from jobs.privileges import drop_root\n"
        "out = pathlib.Path(sys.argv[1])\n"
        "assert drop_root([out])\n"
        "(out / 'result.json').write_text('{}')\n"
        "(pathlib.Path(sys.argv[2]) / 'run.1.nbc').write_text('saved')\n"
        "print(os.getuid(), os.getgid(), os.geteuid(), os.getgroups())\n"
        "try:\n"
        "    os.setuid(0)\n"
        "except PermissionError:\n"
        "    print('no way back')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(output), str(kernels)],
        env=os.environ | {RUN_AS: "10001:10001", "NUMBA_CACHE_DIR": str(kernels.parent)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["10001 10001 10001 []", "no way back"]
    assert (output / "result.json").stat().st_uid == 10001
    assert (kernels / "run.1.nbc").stat().st_uid == 10001  # the cache took the user's kernel
    assert (seed / "run.nbi").stat().st_uid == 0  # and the baked file it links stays root's
    shutil.rmtree(base)
