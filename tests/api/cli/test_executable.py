"""The `stratigos` executable is `api.cli.command`: it exits with the code `main` returns through
`settings.process_exit` (the heap frozen out of the cyclic collector first: the interpreter's
shutdown walked it for about 0.75 s of an `optimize` run, issue 63), while `main` itself, which
tests call, freezes nothing. Each command runs in a process of its own, as a user's does."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

PROBE = """
import atexit, gc, sys
atexit.register(lambda: print(f"frozen {gc.get_freeze_count()}", file=sys.stderr))
from api.cli import command
sys.argv = ["stratigos", *sys.argv[1:]]
command()
"""
"""Runs `command()` as the executable does, and says at exit how many objects are frozen."""

LOADED = 10_000
"""Fewer objects than a command that has loaded its modules holds (tens of thousands)."""


def _frozen_at_exit(data_dir: Path, *arguments: str) -> tuple[int, int, str]:
    """The exit code, the number of frozen objects at exit and stderr of `stratigos
    *arguments` run through `command()` in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        env={**os.environ, "STRATIGOS_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    frozen = [line for line in done.stderr.splitlines() if line.startswith("frozen ")]
    assert len(frozen) == 1, done.stderr
    return done.returncode, int(frozen[0].split()[1]), done.stderr


def test_the_installed_executable_is_command() -> None:
    (script,) = metadata.entry_points(group="console_scripts", name="stratigos")
    assert script.value == "api.cli:command"


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (("jobs", "list"), 0),  # loads the store and answers
        (("jobs", "show", "job_0000000000000000000000000000"), 2),  # an unknown job: a usage error
        (("--help",), 0),  # argparse ends the process from inside main
    ],
)
def test_the_executable_exits_with_main_s_code_its_heap_frozen(
    tmp_path: Path, arguments: tuple[str, ...], code: int
) -> None:
    returned, frozen, stderr = _frozen_at_exit(tmp_path / "data", *arguments)
    assert returned == code, stderr
    assert frozen > LOADED, stderr


def test_main_freezes_nothing_in_a_process_that_goes_on(tmp_path: Path) -> None:
    """Tests and embedders call `main` and go on: their garbage stays collectable."""
    program = (
        "import gc\n"
        "from api.cli import main\n"
        "code = main(['jobs', 'list'])\n"
        "print(code, gc.get_freeze_count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "STRATIGOS_DATA_DIR": str(tmp_path / "data")},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert done.stdout.split()[-2:] == ["0", "0"], done.stderr
