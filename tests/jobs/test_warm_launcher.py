"""The warm launcher (`jobs.pipeline.warm_launcher`): each command is its own process, forked
from the zygote that imported the modules once, with the command's environment (not the
zygote's), arguments, output and exit status, as a fresh `python -m` would have; a kill
reaches only the command's process; the zygote ends with its launcher."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.pipeline.warm_launcher import WarmLauncher, available, module_command

MODULE = "tests.support.launched_command"

pytestmark = pytest.mark.skipif(not available(), reason="needs os.fork and pidfd (Linux)")


def _env(mark: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "STRATIGOS_TEST_MARK": mark, "STRATIGOS_DATA_DIR": str(data_dir)}


def _facts(log: Path) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads(log.read_text().splitlines()[0])
    return facts


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Any:
    zygote_env = _env("zygote", tmp_path_factory.mktemp("zygote"))
    with WarmLauncher(sys.executable, [MODULE], zygote_env) as started:
        yield started


@settings(max_examples=10, deadline=None)
@given(status=st.integers(0, 255), mark=st.text("abcXYZ09-_", min_size=1, max_size=12))
def test_a_command_is_its_own_process_with_its_environment_and_exit_status(
    launcher: WarmLauncher, tmp_path_factory: pytest.TempPathFactory, status: int, mark: str
) -> None:
    directory = tmp_path_factory.mktemp("command")
    log = directory / "out.log"
    command = [sys.executable, "-m", MODULE, f"exit:{status}", "--flag"]
    process = launcher.launch(command, _env(mark, directory / "data"), log)
    assert process.wait() == status == process.returncode
    facts = _facts(log)
    assert facts["pid"] == process.pid and facts["pid"] != os.getpid()
    assert facts["mark"] == mark and facts["data_dir"] == str(directory / "data")
    assert facts["argv"] == [f"exit:{status}", "--flag"]


def test_commands_run_at_once_and_a_kill_reaches_only_its_own(
    launcher: WarmLauncher, tmp_path: Path
) -> None:
    env = _env("many", tmp_path / "data")
    sleeping = [
        launcher.launch([sys.executable, "-m", MODULE, "sleep"], env, tmp_path / f"{i}.log")
        for i in range(3)
    ]
    assert len({p.pid for p in sleeping}) == 3
    assert [p.poll() for p in sleeping] == [None, None, None]
    sleeping[1].kill()
    assert sleeping[1].wait() == -9
    assert sleeping[0].poll() is None and sleeping[2].poll() is None
    for process in (sleeping[0], sleeping[2]):
        process.kill()
        assert process.wait() == -9


def test_an_uncaught_exception_exits_1_with_its_traceback_in_the_log(
    launcher: WarmLauncher, tmp_path: Path
) -> None:
    log = tmp_path / "out.log"
    process = launcher.launch(
        [sys.executable, "-m", MODULE, "raise"], _env("raise", tmp_path / "data"), log
    )
    assert process.wait() == 1
    assert "RuntimeError: the command failed on purpose" in log.read_text()


def test_the_zygote_ends_with_its_launcher_and_kills_what_still_runs(tmp_path: Path) -> None:
    env = _env("closing", tmp_path / "data")
    launcher = WarmLauncher(sys.executable, [MODULE], env)
    process = launcher.launch([sys.executable, "-m", MODULE, "sleep"], env, tmp_path / "out.log")
    launcher.close()
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)  # killed and reaped by the zygote before it ended


def test_only_python_dash_m_commands_are_forked() -> None:
    assert module_command([sys.executable, "-m", MODULE, "x"], sys.executable) == (MODULE, ["x"])
    assert module_command(["/bin/echo", "-m", MODULE], sys.executable) is None
    assert module_command([sys.executable, "script.py"], sys.executable) is None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_polling_alone_sees_every_end_even_when_they_arrive_together(
    launcher: WarmLauncher, tmp_path: Path
) -> None:
    """Ends reported in one read of the pipe are all seen by `poll` (none left unread in a
    buffer while the pipe looks empty): eight quick commands, polled only, all end."""
    env = _env("polled", tmp_path / "data")
    running = [
        launcher.launch([sys.executable, "-m", MODULE, f"exit:{i}"], env, tmp_path / f"{i}.log")
        for i in range(8)
    ]
    deadline = time.monotonic() + 300  # generous: a lost end would poll None forever
    while any(_exists(p.pid) for p in running) and time.monotonic() < deadline:
        time.sleep(0.05)  # every command ended and was reaped: their ends wait in the pipe
    while None in [p.poll() for p in running] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p.poll() for p in running] == list(range(8))
