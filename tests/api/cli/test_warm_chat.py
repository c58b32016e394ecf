"""The warm process of `stratigos chat -m` (api.cli.warm, api.cli.warm_process): a later turn
runs in it and prints what it would print in its own process; it serves only its own
environment, declines what it should not run, stops when it should, and a client that goes away
interrupts its turn."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main, warm
from api.cli.warm import stop_warm_processes, warm_pids
from api.cli.warm_process import LoadedModules, Relay, WarmProcess
from settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[3]
QUESTION = "what is the 95% CVaR of AAPL and KO since 2019?"
START_TIMEOUT_S = 120.0

RUN = """
import json, sys
from api.cli import main
code = main(json.loads(sys.argv[1]))
print(json.dumps({"code": code, "graph_loaded": "graphs.chat" in sys.modules}), file=sys.stderr)
"""
"""`stratigos <argv>` in a new interpreter, saying on its last line of standard error whether
this process loaded the assistant's graph (it did not when a warm process ran the turn)."""


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    """A short private directory for the sockets (a Unix socket's path has at most 107 bytes),
    whose warm processes are stopped after the test."""
    path = Path(tempfile.mkdtemp(prefix="stratigos-warm-"))
    yield path
    stop_warm_processes(path / "stratigos")
    shutil.rmtree(path, ignore_errors=True)


def cli_env(tmp_path: Path, runtime_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_"))}
    return env | {
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_CHAT_KEEP_WARM_SECONDS": "300",
        **extra,
    }


def chat(env: dict[str, str], *argv: str) -> tuple[int, str, bool]:
    """(exit code, standard output, whether this process loaded the graph) of `chat argv`."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(["chat", *argv])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], done.stdout, report["graph_loaded"]


def wait_for_socket(runtime_dir: Path, count: int = 1) -> None:
    """Wait until `count` warm processes listen in `runtime_dir` (they load the assistant first)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(list((runtime_dir / "stratigos").glob("chat-*.sock"))) < count:
        assert time.monotonic() < deadline, "no warm process started"
        time.sleep(0.05)


def without_ids(text: str) -> str:
    """`text` without the ids that differ from one turn to the next (threads, portfolios)."""
    return re.sub(r"(thread|pf)_[0-9a-f]+", r"\1_", text)


def test_a_later_turn_runs_in_the_warm_process_and_prints_the_same(
    tmp_path: Path, runtime_dir: Path
) -> None:
    env = cli_env(tmp_path, runtime_dir)
    code, first, graph_loaded = chat(env, "-m", QUESTION)
    assert (code, graph_loaded) == (0, True)
    assert "CVaR 3.76%" in first
    wait_for_socket(runtime_dir)

    code, second, graph_loaded = chat(env, "-m", QUESTION)
    assert (code, graph_loaded) == (0, False)  # the warm process ran it
    assert without_ids(second) == without_ids(first)
    thread = re.search(r"run (thread_[0-9a-f]+): assistant started", second)
    assert thread is not None
    assert (tmp_path / "data" / "threads" / thread.group(1) / "events.jsonl").is_file()

    code, continued, graph_loaded = chat(env, "--thread", thread.group(1), "-m", QUESTION, "--json")
    assert (code, graph_loaded) == (0, False)
    payload = json.loads(continued)
    assert payload["thread_id"] == thread.group(1)
    assert "CVaR 3.76%" in payload["replies"][0]

    # another environment is not served by this warm process: the turn runs in its own
    code, other, graph_loaded = chat(env | {"STRATIGOS_LOG_LEVEL": "WARNING"}, "-m", QUESTION)
    assert (code, graph_loaded) == (0, True)
    assert without_ids(other) == without_ids(first)

    wait_for_socket(runtime_dir, count=2)  # and keeps one warm for that environment
    pids = warm_pids(runtime_dir / "stratigos")
    assert len(pids) == 2
    code, stopped, _ = chat(env, "--stop-warm")
    assert (code, stopped) == (0, "stopped 2 warm chat processes\n")
    assert warm_pids(runtime_dir / "stratigos") == []
    assert list((runtime_dir / "stratigos").iterdir()) == []  # sockets and locks removed


def test_a_turn_whose_libraries_set_variables_still_leaves_a_warm_process_for_the_next(
    tmp_path: Path, runtime_dir: Path
) -> None:
    env = cli_env(tmp_path, runtime_dir)
    hrp = "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018"
    code, first, graph_loaded = chat(env, "-m", hrp, "--quiet")
    assert (code, graph_loaded) == (0, True)
    wait_for_socket(runtime_dir)
    code, second, graph_loaded = chat(env, "-m", hrp, "--quiet")
    assert (code, graph_loaded) == (0, False)
    assert without_ids(second) == without_ids(first)


def test_no_warm_process_when_keeping_warm_is_off(tmp_path: Path, runtime_dir: Path) -> None:
    env = cli_env(tmp_path, runtime_dir, STRATIGOS_CHAT_KEEP_WARM_SECONDS="0")
    assert chat(env, "-m", QUESTION)[0] == 0
    assert list(runtime_dir.rglob("chat-*")) == []


INTERRUPTED = """
import json, socket, sys, threading, time
from pathlib import Path
from api.cli.warm_process import Relay, WarmProcess

path, data = Path(sys.argv[1]), Path(sys.argv[2])
seen, received = [], []

def run(argv):
    try:
        print("turn started", flush=True)
        while True:
            time.sleep(0.01)  # a long turn
    except KeyboardInterrupt:
        seen.append("interrupted")
        return 130
    finally:
        process.stopping.set()

def request(client):
    line = {"fingerprint": "fp", "argv": ["chat"], "isatty": [False, False]}
    client.sendall(json.dumps(line).encode() + b"\\n")
    return client.makefile("rb")

def clients():
    first = socket.socket(socket.AF_UNIX)
    first.connect(str(path))
    replies = request(first)
    received.append(json.loads(replies.readline()))
    first.sendall(b'{"go": true}\\n')
    received.append(json.loads(replies.readline()))
    second = socket.socket(socket.AF_UNIX)
    second.connect(str(path))
    received.append(json.loads(request(second).readline()))
    second.close()
    first.close()  # goes away mid-turn

relays = (Relay("out", sys.stdout), Relay("err", sys.stderr))
sys.stdout, sys.stderr = relays
process = WarmProcess(path, "fp", 60, run, data, relays, tick=0.05)
process.bind()
threading.Thread(target=clients).start()
process.serve()
print(json.dumps({"seen": seen, "received": received, "left": path.exists()}), file=sys.__stdout__)
"""


def test_a_client_going_away_interrupts_its_turn_and_a_second_is_declined(
    runtime_dir: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED, str(runtime_dir / "t.sock"), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["seen"] == ["interrupted"], report
    assert report["received"] == [
        {"ready": True},
        {"out": "turn started"},
        {"declined": "busy with another turn"},
    ]
    assert report["left"] is False  # the socket file is removed when it stops


def process_at(runtime_dir: Path, data_dir: Path, clock: list[float]) -> WarmProcess:
    relays = (Relay("out", sys.stdout), Relay("err", sys.stderr))
    return WarmProcess(
        runtime_dir / "t.sock", "fp", 30.0, lambda argv: 0, data_dir, relays, clock=lambda: clock[0]
    )


def test_it_stops_when_idle_or_its_data_or_socket_is_gone(
    runtime_dir: Path, tmp_path: Path
) -> None:
    now = [100.0]
    process = process_at(runtime_dir, tmp_path, now)
    process.bind()
    try:
        assert process.should_stop(last_turn=100.0) is None
        now[0] = 129.9
        assert process.should_stop(last_turn=100.0) is None
        now[0] = 130.0
        assert process.should_stop(last_turn=100.0) == "idle"
        assert process.should_stop(last_turn=129.0) is None
        process.path.unlink()
        assert process.should_stop(last_turn=129.0) == "its socket file is gone"
        process.stopping.set()
        assert process.should_stop(last_turn=129.0) == "told to stop"
    finally:
        process.close()
    gone = process_at(runtime_dir, tmp_path / "removed", now)
    gone.bind()
    try:
        assert gone.should_stop(last_turn=129.0) == "its data directory is gone"
    finally:
        gone.close()


def ask(process: WarmProcess, fingerprint: str) -> tuple[bool, dict[str, object]]:
    """Hand `process` one request over a socket pair: (whether it goes on, its first answer)."""
    server, client = socket.socketpair()
    line = {"fingerprint": fingerprint, "argv": ["chat", "-m", "hi"], "isatty": [False, False]}
    client.sendall(json.dumps(line).encode() + b'\n{"go": true}\n')
    goes_on = process.handle(server)
    server.close()
    answer = json.loads(client.makefile("rb").readline())
    client.close()
    return goes_on, answer


def test_it_declines_another_environment_and_stops_when_its_code_changed(
    tmp_path: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "warm_sample_module.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("warm_sample_module")
    try:
        process = process_at(runtime_dir, tmp_path, [0.0])
        assert ask(process, "another") == (True, {"declined": "another environment"})
        assert ask(process, "fp") == (True, {"ready": True})
        module.write_text("VALUE = 22\n")
        goes_on, answer = ask(process, "fp")
        assert goes_on is False
        assert answer == {"declined": f"the code changed on disk ({module})"}
    finally:
        sys.modules.pop("warm_sample_module", None)


def test_loaded_modules_notice_a_changed_or_removed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "warm_stamp_module.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("warm_stamp_module")
    try:
        loaded = LoadedModules()
        assert loaded.changed() is None
        os.utime(module, ns=(0, 10**18))
        assert loaded.changed() == str(module)
        module.unlink()
        assert loaded.changed() == str(module)
    finally:
        sys.modules.pop("warm_stamp_module", None)


def test_the_fingerprint_covers_settings_secrets_environment_and_directory() -> None:
    settings = Settings(data_dir=Path("/tmp/a"))
    base = warm.fingerprint(settings, {"A": "1", "SHLVL": "1"}, "/w")
    assert warm.fingerprint(settings, {"A": "1", "SHLVL": "2", "_": "x"}, "/w") == base
    assert warm.fingerprint(settings, {"A": "2", "SHLVL": "1"}, "/w") != base
    assert warm.fingerprint(settings, {"A": "1", "SHLVL": "1"}, "/v") != base
    other_dir = Settings(data_dir=Path("/tmp/b"))
    assert warm.fingerprint(other_dir, {"A": "1", "SHLVL": "1"}, "/w") != base
    secret = {"alpaca": {"secret_key": "s1"}}
    first = warm.fingerprint(Settings(**secret), {}, "/w")  # type: ignore[arg-type]
    secret["alpaca"]["secret_key"] = "s2"
    assert warm.fingerprint(Settings(**secret), {}, "/w") != first  # type: ignore[arg-type]


def test_the_fingerprint_follows_the_aws_credentials_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=Path("/tmp/a"))
    environ = {"HOME": str(tmp_path)}
    missing = warm.fingerprint(settings, environ, "/w")
    credentials = tmp_path / ".aws" / "credentials"
    credentials.parent.mkdir()
    credentials.write_text("[default]\naws_access_key_id = AKIAEXAMPLE1\n")
    present = warm.fingerprint(settings, environ, "/w")
    assert present != missing
    credentials.write_text("[default]\naws_access_key_id = AKIAEXAMPLE22\n")  # rotated
    assert warm.fingerprint(settings, environ, "/w") != present


def test_the_runtime_directory_is_private_or_not_used(tmp_path: Path) -> None:
    private = warm.runtime_directory({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert private == tmp_path / "stratigos"
    assert private.stat().st_mode & 0o777 == 0o700
    private.chmod(0o770)
    assert warm.runtime_directory({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    assert warm.runtime_directory({"XDG_RUNTIME_DIR": str(tmp_path / "missing")}) is None


@pytest.fixture
def warm_settings(
    offline_data_dir: Path, runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """This process's settings keep a warm process (its socket is in the runtime directory)."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    monkeypatch.setenv("STRATIGOS_CHAT_KEEP_WARM_SECONDS", "300")
    get_settings.cache_clear()
    yield runtime_dir
    get_settings.cache_clear()


def warm_socket() -> Path:
    """The socket of this process's warm process (the environment is read now: pytest changes
    `PYTEST_CURRENT_TEST` between a test's phases)."""
    found = warm.target()
    assert found is not None
    return found.path


def stand_in(path: Path, answer: bytes, then: bytes = b"") -> threading.Thread:
    """A warm process that takes one request, sends `answer`, and, when the client goes ahead,
    `then`; then it hangs up."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        client, _ = listener.accept()
        reader = client.makefile("rb")
        reader.readline()
        client.sendall(answer)
        if then:
            assert json.loads(reader.readline()) == {"go": True}
            client.sendall(then)
        client.close()
        listener.close()

    thread = threading.Thread(target=serve)
    thread.start()
    return thread


def test_a_warm_process_lost_mid_turn_is_an_error_and_the_turn_is_not_run_again(
    warm_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = b'{"out": "run thread_1: assistant started\\n"}\n'
    server = stand_in(warm_socket(), b'{"ready": true}\n', output)
    assert main(["chat", "-m", QUESTION, "--quiet"]) == 1
    server.join()
    out, err = capsys.readouterr()
    assert out == "run thread_1: assistant started\n"
    assert "the warm chat process ended during the turn" in err
    assert "Traceback" not in err


def test_a_declined_turn_runs_here(warm_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = stand_in(warm_socket(), b'{"declined": "busy with another turn"}\n')
    assert main(["chat", "-m", QUESTION, "--quiet"]) == 0
    server.join()
    assert "CVaR 3.76%" in capsys.readouterr().out
    assert warm_pids(warm_settings / "stratigos") == []  # its socket is there: none was started


def test_at_most_three_warm_processes_and_stop_warm_takes_no_other_option(
    warm_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = warm_socket().parent
    held = []
    for name in ("a", "b", "c"):  # three running warm processes (their locks held here)
        descriptor = os.open(directory / f"chat-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        os.write(descriptor, str(os.getpid()).encode())
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        held.append(descriptor)
    try:
        assert warm_pids(directory) == [os.getpid()] * 3
        found = warm.target()
        assert found is not None and found.path.parent == directory
        assert warm.keep_warm(found) is False
        assert sorted(p.name for p in directory.iterdir()) == [
            "chat-a.lock",
            "chat-b.lock",
            "chat-c.lock",
        ]
    finally:
        for descriptor in held:
            os.close(descriptor)
    assert warm_pids(directory) == []  # a lock nobody holds is a process that ended
    assert main(["chat", "--stop-warm", "-m", "hi"]) == 2
    assert "--stop-warm takes no other option" in capsys.readouterr().err
