"""The SIGKILL harnesses' fork server (`tests/support/forked.py`): each call runs in a fresh child
of a server that imported (and warmed) the preload once, and says how the child ended."""

from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

from tests.support.forked import forkserver_runner

WARMED: list[int] = []
"""The processes that ran this module's `warm` (in a child: inherited from the server)."""


def warm() -> None:
    """Called by the server once it imported this module (a preload), before any fork."""
    WARMED.append(os.getpid())


def write_pid_and_modules(path: Path) -> None:
    warmed = ",".join(map(str, WARMED))
    path.write_text(f"{os.getpid()} {os.getppid()} {'json.tool' in sys.modules} {warmed}")


def raise_error() -> None:
    raise RuntimeError("on purpose")


def kill_myself() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_each_call_is_a_child_of_one_server_that_imported_the_preload(tmp_path: Path) -> None:
    run = forkserver_runner(["json.tool", "tests.project.test_forked"])
    assert run(write_pid_and_modules, tmp_path / "a") == 0
    assert run(write_pid_and_modules, tmp_path / "b") == 0
    first, second = ((tmp_path / n).read_text().split() for n in "ab")
    assert first[0] != second[0] and first[1] == second[1] != str(os.getpid())
    assert first[2] == second[2] == "True"
    assert first[3] == second[3] == first[1]  # warmed once, by the server
    assert run(raise_error) == 1
    assert run(kill_myself) == -signal.SIGKILL
    server = int(first[1])
    del run
    gc.collect()
    assert not Path(f"/proc/{server}").exists()  # the server ended with its runner
