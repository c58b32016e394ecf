"""`stratigos jobs`, `stratigos keys` and `stratigos serve` against a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli import main
from graphs.optimization_run import run_directory
from tests.support.cli import fails
from tests.support.live_server import TLS
from tests.support.requests import SMALL_REQUEST

REQUEST = SMALL_REQUEST


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_jobs_list_show_and_cancel(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.factory import open_store

    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    run_id = run_json(capsys, "optimize", "--request", str(request), "--json", "--quiet")[
        "manifest"
    ]["run_id"]
    store = open_store()
    pending_a, _ = store.submit_job("local", "optimization", {**REQUEST, "seed": 1})
    pending_b, _ = store.submit_job("local", "optimization", {**REQUEST, "seed": 2})
    foreign, _ = store.submit_job("alice", "optimization", REQUEST)

    listed = run_json(capsys, "jobs", "list", "--json")
    assert [j["id"] for j in listed] == [pending_b.id, pending_a.id, run_id]  # newest first
    assert [j["status"] for j in listed] == ["pending", "pending", "succeeded"]
    assert "request" not in listed[0]
    done = run_json(capsys, "jobs", "list", "--status", "succeeded", "--json")
    assert [j["id"] for j in done] == [run_id]
    assert done[0]["duration_s"] > 0
    assert len(run_json(capsys, "jobs", "list", "--limit", "1", "--json")) == 1
    assert [j["id"] for j in run_json(capsys, "jobs", "list", "--owner", "alice", "--json")] == [
        foreign.id
    ]
    assert main(["jobs", "list"]) == 0
    table = capsys.readouterr().out
    job = store.get_job("local", run_id)
    assert re.search(rf"{run_id}\s+optimization\s+succeeded\s+{job.progress[0]}/", table)
    assert "3 job(s)" in table
    assert main(["jobs", "list", "--status", "failed"]) == 0
    assert "No failed jobs for owner local." in capsys.readouterr().out

    shown = run_json(capsys, "jobs", "show", run_id, "--json")
    stored = json.loads((run_directory(run_id) / "result.json").read_text())
    assert shown["status"] == "succeeded" and shown["best"] == stored["best"]
    assert shown["timings"] == stored["timings"]
    assert shown["files"]["report_html"] == str(run_directory(run_id) / "report.html")
    assert Path(shown["files"]["report_html"]).is_file()
    assert main(["jobs", "show", run_id]) == 0
    text = capsys.readouterr().out
    assert "status:   succeeded" in text
    assert f"objective {stored['best']['objective']:.2f}" in text  # ratios: 2 decimals (issue 62)
    pending = run_json(capsys, "jobs", "show", pending_a.id, "--json")
    assert pending["status"] == "pending" and pending["best"] is None

    assert main(["jobs", "cancel", pending_a.id]) == 0
    assert f"Cancelled job {pending_a.id} (it was pending)." in capsys.readouterr().out
    assert store.get_job("local", pending_a.id).status == "cancelled"
    assert main(["jobs", "cancel", pending_a.id]) == 0
    assert "already cancelled" in capsys.readouterr().out
    cancelled = run_json(capsys, "jobs", "cancel", pending_b.id, "--json")
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"] is not None
    err = fails(capsys, "jobs", "cancel", run_id)
    assert f"job {run_id} cannot be cancelled: it already succeeded" in err
    assert store.get_job("local", run_id).status == "succeeded"

    # another owner's job is not visible without --owner; the message says what to do
    err = fails(capsys, "jobs", "show", foreign.id)
    assert f"no job {foreign.id} for owner local; list jobs with `stratigos jobs list`" in err
    err = fails(capsys, "jobs", "cancel", "job_nope", "--owner", "alice")
    assert "list jobs with `stratigos jobs list --owner alice`" in err
    assert store.get_job("alice", foreign.id).status == "pending"


def test_keys_create_list_revoke(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store import NotFoundError
    from store.factory import open_store

    created = run_json(capsys, "keys", "create", "--owner", "alice", "--name", "laptop", "--json")
    assert created["owner"] == "alice" and created["name"] == "laptop"
    assert "only time" in created["warning"]
    store = open_store()
    assert store.verify_api_key(created["key"]).id == created["id"]

    assert main(["keys", "create", "--owner", "alice"]) == 0
    out = capsys.readouterr().out
    raw = re.search(r"^  (\S+)$", out, re.M)
    assert raw is not None and store.verify_api_key(raw.group(1)).owner == "alice"
    assert "This is the only time the key is shown" in out
    second = store.verify_api_key(raw.group(1))
    assert second.name.startswith("cli-")

    listed = run_json(capsys, "keys", "list", "--owner", "alice", "--json")
    assert [k["id"] for k in listed] == [created["id"], second.id]
    assert all("key" not in k for k in listed) and created["key"] not in json.dumps(listed)
    assert run_json(capsys, "keys", "list", "--owner", "bob", "--json") == []

    # bob cannot revoke alice's key
    err = fails(capsys, "keys", "revoke", "--owner", "bob", created["id"])
    assert f"no API key {created['id']} for owner bob" in err
    assert "`stratigos keys list --owner bob`" in err
    assert store.verify_api_key(created["key"]).owner == "alice"

    assert main(["keys", "revoke", "--owner", "alice", created["id"]]) == 0
    assert f"Revoked API key {created['id']}" in capsys.readouterr().out
    with pytest.raises(NotFoundError):
        store.verify_api_key(created["key"])
    assert store.verify_api_key(raw.group(1)).owner == "alice"  # the other key still works
    revoked = run_json(capsys, "keys", "list", "--owner", "alice", "--json")
    assert revoked[0]["revoked_at"] is not None and revoked[1]["revoked_at"] is None
    assert main(["keys", "list", "--owner", "alice"]) == 0
    assert created["id"] in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_info:
        main(["keys", "create"])  # --owner is required
    assert exit_info.value.code == 2
    assert "--owner" in capsys.readouterr().err


def test_usage_errors_name_the_problem_and_exit_2(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    err = fails(capsys, "optimize", "--request", str(missing))
    assert f"request file {missing} does not exist" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"n_paths": 20,\n "universe": [}')
    err = fails(capsys, "optimize", "--request", str(broken))
    assert f"request file {broken} is not valid JSON:" in err and "line 2" in err
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    assert "must hold a JSON object, not list" in fails(
        capsys, "optimize", "--request", str(listed)
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**REQUEST, "budget": {"max_trials": -3}}))
    err = fails(capsys, "optimize", "--request", str(bad))
    assert f"invalid request in {bad}: budget.max_trials:" in err
    assert not (offline_data_dir / "runs").exists()  # nothing ran

    err = fails(capsys, "chat", "--json")
    assert "--json needs --message or a decision" in err
    err = fails(capsys, "chat", "--thread", "t", "--edit", "{n_paths: 1}")
    assert "--edit is not valid JSON" in err

    for argv in (
        ["optimize", "--trials", "0"],
        ["jobs", "list", "--status", "finished"],
        ["jobs", "list", "--limit", "-5"],
        ["serve", "--port", "70000"],
        ["jobs"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2, argv
        assert "error:" in capsys.readouterr().err


def test_chat_json_prints_the_turn(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "what is the 95% VaR of AAPL and XOM?"
    assert main(["chat", "--thread", "tj", "-m", message, "--json"]) == 0
    captured = capsys.readouterr()
    turn = json.loads(captured.out)
    assert turn["thread_id"] == "tj" and turn["pending"] is None
    assert any("one-day VaR" in reply for reply in turn["replies"])
    assert "[" in captured.err  # the agents' trace went to stderr


def test_chat_json_gives_the_approval_the_thread_waits_on(
    offline_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli.local import LOCAL_OWNER
    from graphs.chat import ChatSession

    message = "search the target vol that holds up in a bear market with 10 trials for KO and XOM"
    assert main(["chat", "--thread", "tw", "-m", message, "--quiet", "--json"]) == 0
    turn = json.loads(capsys.readouterr().out)
    assert turn["pending"]["type"] == "approval", turn
    waiting = ChatSession("tw", owner=LOCAL_OWNER).pending()  # the thread's stored state
    assert turn["pending"] == json.loads(json.dumps(waiting, default=str))
    assert main(["chat", "--thread", "tw", "--reject", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] is None


# --------------------------------------------------------------------------- serve


def _read_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            if line:
                return line
        if process.poll() is not None:
            break
    raise AssertionError(f"no banner from `stratigos serve` (exit code {process.poll()})")


def _serve(*options: str) -> tuple[subprocess.Popen[str], str, str]:
    """`stratigos serve *options` with its output in a pipe: (process, base URL, session key),
    the key read from the sign-in file the banner names (a pipe never receives it)."""
    executable = Path(sys.executable).with_name("stratigos")
    process = subprocess.Popen(
        [str(executable), "serve", "--port", "0", "--workers-in-process", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    banner = _read_line(process, time.monotonic() + 120)
    match = re.fullmatch(
        r"Stratigos API on (http://127\.0\.0\.1:(\d+)) \(docs /v1/docs\); "
        r"web UI sign-in link \(with the session key\) in (\S+)\n",
        banner,
    )
    assert match is not None, banner
    base, port, path = match.group(1), int(match.group(2)), Path(match.group(3))
    assert port > 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    link = re.fullmatch(rf"{re.escape(base)}/#key=(stg_\S+)\n", path.read_text())
    assert link is not None
    return process, base, link.group(1)


def _ready(client: httpx.Client, deadline: float) -> httpx.Response:
    """Readiness once the server has loaded its app: until then it answers 503 naming the
    routes still loading (`api.startup`), polled every 50 ms until `deadline`."""
    while True:
        health = client.get("/v1/health")
        if health.status_code != 503 or time.monotonic() > deadline:
            return health
        assert health.json()["error"]["details"][0]["field"] == "routes", health.text
        time.sleep(0.05)


def test_serve_keeps_its_session_key_out_of_its_output_and_revokes_it_on_ctrl_c(
    offline_data_dir: Path,
) -> None:
    from store import NotFoundError
    from store.factory import open_store

    offline_data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store()
    job, _ = store.submit_job("local", "optimization", REQUEST)
    store.submit_job("alice", "optimization", REQUEST)

    # one server process (not the default of one per core): the key is the command's, never
    # handed to the processes a supervisor starts, and Ctrl-C's revocation with several of them
    # is tests/api/test_serve_workers.py's (each further process: ~3 s of CPU)
    process, base, key = _serve("--workers", "1")
    try:
        assert store.verify_api_key(key).owner == "local"
        (session,) = store.list_api_keys("local")
        assert session.expires_at is not None  # renewed while the server lives
        with httpx.Client(base_url=base, timeout=30, verify=TLS) as client:
            health = _ready(client, time.monotonic() + 120)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert client.get("/v1/optimizations").status_code == 401
            listed = client.get("/v1/optimizations", headers={"x-api-key": key})
            assert listed.status_code == 200, listed.text
            # the session key is the local user's: it sees the local job (not alice's), and
            # with --workers-in-process 0 the job was left pending
            assert [(j["id"], j["status"]) for j in listed.json()] == [(job.id, "pending")]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    stdout, stderr = process.communicate()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert key not in stdout + stderr  # never in the output or the logs
    keys = store.list_api_keys("local")
    assert [k.name.startswith("serve-") for k in keys] == [True]
    assert keys[0].revoked_at is not None
    with pytest.raises(NotFoundError):
        store.verify_api_key(key)


def test_a_restart_after_kill_9_revokes_the_crashed_servers_key(offline_data_dir: Path) -> None:
    from store import NotFoundError
    from store.factory import open_store

    offline_data_dir.mkdir(parents=True, exist_ok=True)
    # one server process each (not the default of one per core): the key is the command's
    # whether it serves or supervises (`api.server.run_server`), and a supervisor killed so
    # takes its children with it (tests/api/test_serve_workers.py)
    crashed, _, old_key = _serve("--workers", "1")
    crashed.kill()  # SIGKILL: no shutdown, nothing revoked
    crashed.communicate(timeout=60)
    store = open_store()
    assert store.verify_api_key(old_key).owner == "local"  # until a restart (or its expiry)
    restarted, base, new_key = _serve("--workers", "1")
    try:
        with httpx.Client(base_url=base, timeout=30, verify=TLS) as client:
            assert (
                client.get("/v1/optimizations", headers={"x-api-key": old_key}).status_code == 401
            )
            assert (
                client.get("/v1/optimizations", headers={"x-api-key": new_key}).status_code == 200
            )
        with pytest.raises(NotFoundError):
            store.verify_api_key(old_key)
    finally:
        restarted.send_signal(signal.SIGINT)
        restarted.communicate(timeout=60)
    revoked = [k.revoked_at is not None for k in store.list_api_keys("local")]
    assert revoked == [True, True]
