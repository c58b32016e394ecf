"""The `stratigos` command line: the demo's output and its errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from api.cli import main
from quant import hierarchical_risk_parity, load_sp500_prices, risk_report, to_returns
from quant.data import load_sp500_index
from tests.support.requests import SMALL_REQUEST
from traces.schema import TraceEvent


def test_demo_json_reports_four_valid_portfolios_and_out_of_sample_risk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--json", "--train-start", "2016-01-01", "--split", "2019-01-01"]) == 0
    payload = json.loads(capsys.readouterr().out)
    weights = pd.DataFrame(payload["weights"])
    assert list(weights.columns) == ["HRP", "risk parity", "min volatility", "max Sharpe"]
    np.testing.assert_allclose(weights.sum().to_numpy(), 1.0, atol=1e-9)
    assert (weights.to_numpy() >= -1e-12).all()
    assert payload["train"] == ["2016-01-04", "2018-12-31"]
    assert payload["test"][0] == "2019-01-02"
    # The HRP column is HRP on the training window; its risk is measured on the test window.
    returns = to_returns(load_sp500_prices())
    train = returns.loc["2016-01-01":"2018-12-31"]
    np.testing.assert_allclose(
        weights["HRP"].to_numpy(), hierarchical_risk_parity(train).to_numpy(), atol=1e-12
    )
    report = risk_report(
        hierarchical_risk_parity(train), returns.loc["2019-01-01":], risk_free_rate=0.02
    ).to_dict()
    assert payload["risk"]["HRP"]["volatility"] == pytest.approx(report["volatility"], rel=1e-12)
    assert payload["risk"]["HRP"]["max drawdown"] == pytest.approx(
        report["max_drawdown"], rel=1e-12
    )
    # beside them, the stocks equal-weighted and the index, over the same days, by hand
    test = returns.loc["2019-01-01":].to_numpy()
    held = np.cumprod(1 + test, axis=0).mean(axis=1)
    held_returns = np.diff(np.concatenate([[1.0], held])) / np.concatenate([[1.0], held[:-1]])
    index = to_returns(load_sp500_index()).iloc[:, 0].loc["2019-01-01":].to_numpy()
    benchmarks = payload["benchmarks"]
    for name, daily in (
        ("equal weight, rebalanced", test.mean(axis=1)),
        ("equal weight, held", held_returns),
        ("S&P 500 index", index),
    ):
        excess = daily - 0.02 / 252
        assert benchmarks[name]["Sharpe"] == pytest.approx(
            excess.mean() / excess.std(ddof=1) * np.sqrt(252), rel=1e-9
        ), name
        wealth = np.cumprod(1 + daily)
        assert benchmarks[name]["CAGR"] == pytest.approx(
            wealth[-1] ** (252 / len(daily)) - 1, rel=1e-9
        ), name


def test_demo_text_output_names_every_method(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for heading in ("HRP", "risk parity", "min volatility", "max Sharpe", "Out-of-sample risk"):
        assert heading in out


def test_demo_with_dates_outside_the_data_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--train-start", "1980-01-01", "--split", "1985-01-01"]) == 2
    err = capsys.readouterr().err
    assert "training window has 0 days" in err
    assert "1990-01-03" in err and "choose dates inside it" in err
    assert "Traceback" not in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    executable = Path(sys.executable).with_name("stratigos")
    completed = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("stratigos ")


@pytest.fixture
def data_dir(offline_data_dir: Path) -> Path:
    return offline_data_dir


def test_optimize_runs_a_job_stores_it_and_prints_the_result_as_json(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.factory import open_store

    request = tmp_path / "request.json"
    request.write_text(json.dumps(SMALL_REQUEST))
    assert main(["optimize", "--request", str(request), "--key", "k1", "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    run_id = printed["manifest"]["run_id"]
    stored = json.loads((data_dir / "runs" / run_id / "result.json").read_text())
    assert printed["status"] == stored["status"] == "succeeded"
    assert printed["best"] == stored["best"] and stored["n_trials"] == 12
    assert "trials" not in printed  # the full trial table stays in the file and the store
    report = Path(printed["files"]["report_html"])
    assert report == data_dir / "runs" / run_id / "report.html" and report.is_file()
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "[optimizer] trials 12/12" in captured.err  # the live trace goes to stderr with --json

    store = open_store()
    job = store.get_job("local", run_id)
    assert job.status == "succeeded" and job.kind == "optimization"
    assert store.get_result("local", run_id).payload["best"] == stored["best"]
    events = store.events("local", run_id, after_seq=0, limit=10_000)
    on_disk = [json.loads(line) for line in (data_dir / "runs" / run_id / "events.jsonl").open()]
    assert (
        [e.seq for e in events] == [e["seq"] for e in on_disk] == list(range(1, len(on_disk) + 1))
    )

    # the same key again: the same job, shown, not run again
    assert main(["optimize", "--request", str(request), "--key", "k1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["manifest"]["run_id"] == run_id
    assert len(list((data_dir / "runs").iterdir())) == 1


def test_optimize_with_an_invalid_request_names_the_field(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**SMALL_REQUEST, "n_paths": 0}))
    assert main(["optimize", "--request", str(request)]) == 2  # a usage error
    err = capsys.readouterr().err
    assert f"invalid request in {request}: n_paths:" in err and "Traceback" not in err
    assert main(["resume", "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert f"no run no-such-run in {data_dir / 'runs'}" in err
    assert "list runs with `stratigos jobs list`" in err


def test_optimize_refuses_work_that_cannot_run_before_creating_a_job(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.factory import open_store

    request = tmp_path / "request.json"
    request.write_text(json.dumps({**SMALL_REQUEST, "scenario_weights": {"bull": -1.0}}))
    assert main(["optimize", "--request", str(request)]) == 2
    err = capsys.readouterr().err
    assert (
        "scenario_weights.bull: " in err and "must be at least 0" in err and "Traceback" not in err
    )
    request.write_text(json.dumps({**SMALL_REQUEST, "start": "1800-01-01", "end": "1800-12-31"}))
    assert main(["optimize", "--request", str(request)]) == 2
    assert (
        "start: the range 1800-01-01 to 1800-12-31 holds 0 trading days" in capsys.readouterr().err
    )
    store = open_store()
    try:
        assert store.list_jobs("local", limit=10) == []
    finally:
        store.close()


def test_chat_one_message_and_a_decision_on_the_pending_run(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["chat", "--thread", "t", "-m", "what is the 95% VaR of AAPL and XOM?", "--quiet"])
        == 0
    )
    assert "one-day VaR" in capsys.readouterr().out
    message = "search the target vol that holds up in a bear market with 10 trials for KO and XOM"
    assert main(["chat", "--thread", "t", "-m", message, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Approval needed" in out and "--approve" in out
    assert main(["chat", "--thread", "t", "--reject", "--quiet"]) == 0
    assert "Cancelled: nothing was run." in capsys.readouterr().out
    # approved, the run is one of the local owner's jobs
    assert main(["chat", "--thread", "t", "-m", message, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["chat", "--thread", "t", "--approve", "--quiet", "--json"]) == 0
    reply = " ".join(json.loads(capsys.readouterr().out)["replies"])
    job_id = reply.split("Run ", 1)[1].split(" ", 1)[0]
    assert f"Run {job_id} succeeded." in reply
    assert main(["jobs", "list", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert [(j["id"], j["status"]) for j in jobs] == [(job_id, "succeeded")]


def test_a_chat_portfolio_is_saved_to_the_local_owner_s_portfolios(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.factory import open_store

    ask = "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO"
    assert main(["chat", "--thread", "t", "-m", ask, "--quiet", "--json"]) == 0
    turn = json.loads(capsys.readouterr().out)
    (saved,) = turn["saved_portfolios"]
    store = open_store()
    try:
        portfolio = store.get_portfolio("local", saved["portfolio_id"])  # `stratigos serve`'s
        weights = {w["asset"]: w["weight"] for w in portfolio.data["weights"]}
        assert set(weights) == {"AAPL", "MSFT", "JNJ", "KO"}
        assert f"({saved['chat_id']})" in turn["replies"][0]
        assert main(["chat", "--thread", "t", "-m", "what's the 99% CVaR of that?", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "CVaR" in out and "saved to your portfolios" not in out
        assert [p.id for p in store.list_portfolios("local")] == [saved["portfolio_id"]]
    finally:
        store.close()


def test_cleanup_archives_old_jobs_and_reports_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from store.factory import open_store

    request = tmp_path / "request.json"
    request.write_text(json.dumps(SMALL_REQUEST))
    assert main(["optimize", "--request", str(request), "--json", "--quiet"]) == 0
    run_id = json.loads(capsys.readouterr().out)["manifest"]["run_id"]
    assert main(["cleanup", "--days", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["archived_jobs"] == []  # it just finished
    assert main(["cleanup", "--days", "0"]) == 0
    assert "Archived 1 job(s)" in capsys.readouterr().out
    store = open_store()
    assert store.get_job("local", run_id).archived_at is not None
    assert store.get_result("local", run_id).payload["status"] == "succeeded"
    assert main(["cleanup", "--days", "-1"]) == 2
    assert "--days must be >= 0" in capsys.readouterr().err


def test_optimize_text_output_names_the_html_report(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["optimize", "--trials", "6", "--paths", "20", "--quiet"]) == 0
    out = capsys.readouterr().out
    (run,) = (data_dir / "runs").iterdir()
    assert f"Report:  {run / 'report.html'}, {run / 'report.md'}" in out
    assert (run / "report.html").is_file()
    # --quiet on a pipe: progress as plain lines, no carriage returns
    assert "\r" not in out and "[optimizer] trials 6/6" in out
    # the search space as run: what it searches, fixes and leaves at each field's default
    assert (
        "  search space: searches volatility target 5.00% to 25.00%; weight rule: inverse "
        "volatility, sigmoid volatility rule or Merton rule; lookback 21 to 126 trading days; "
        "rebalancing every 5 to 63 trading days; leverage 1.00x to 2.00x; risk aversion 1.00 to "
        "10.00; steepness 2.00 to 20.00; it fixes trading cost 5.0 bps; it leaves every other "
        "setting at its default: risky sleeve equal-weight portfolio, no hedge\n"
    ) in out


class FakeTerminal(io.StringIO):
    """A text stream that says it is a TTY (what a terminal is to the renderer)."""

    def isatty(self) -> bool:
        return True


def _progress(done: int, seq: int) -> TraceEvent:
    return TraceEvent.model_validate(
        {
            "run_id": "r",
            "seq": seq,
            "ts": "2026-01-02T00:00:00Z",
            "type": "progress",
            "agent": "optimizer",
            "node": "evaluate",
            "data": {
                "unit": "trials",
                "done": done,
                "total": 200,
                "best": 0.9123,
                "metric": "objective",
            },
        }
    )


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    from api.reports.terminal import TerminalRenderer, progress_bar

    assert progress_bar(120, 200, width=10) == "[######----] 120/200"
    assert progress_bar(0, 200, width=4) == "[----] 0/200"
    assert progress_bar(250, 200, width=4) == "[####] 250/200"

    finished = TraceEvent.model_validate(
        {
            "run_id": "r",
            "seq": 9,
            "ts": "2026-01-02T00:00:00Z",
            "type": "run_finished",
            "data": {"status": "succeeded"},
        }
    )
    paths = TraceEvent.model_validate(
        {
            "run_id": "r",
            "seq": 8,
            "ts": "2026-01-02T00:00:00Z",
            "type": "progress",
            "node": "scenarios",
            "data": {"unit": "paths", "done": 100, "total": 100},
        }
    )
    terminal = FakeTerminal()
    TerminalRenderer(terminal).handle_all([paths, _progress(100, 1), _progress(200, 2), finished])
    first, text = terminal.getvalue().split("\n", 1)
    assert first == "\r[scenarios] [####################] 100/100 paths\x1b[K"  # kept
    bar = "[optimizer] [##########----------] 100/200 trials: best objective 0.9123"
    assert text.startswith("\r" + bar + "\x1b[K\r[optimizer] [####################] 200/200")
    # the bar is rewritten in place, then ended before the next line
    assert text.endswith("200/200 trials: best objective 0.9123\x1b[K\nrun r: succeeded\n")

    pipe = io.StringIO()
    TerminalRenderer(pipe).handle_all([_progress(100, 1), _progress(200, 2), finished])
    assert pipe.getvalue().splitlines() == [
        "[optimizer] trials 100/200: best objective 0.9123",
        "[optimizer] trials 200/200: best objective 0.9123",
        "run r: succeeded",
    ]


def _cli_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_"))}
    return env | {
        "HOME": str(tmp_path),
        "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_CHAT_KEEP_WARM_SECONDS": "0",
    }


STRATIGOS = Path(sys.executable).with_name("stratigos")


ASK_FOR_A_SEARCH = (
    "find the target-vol setting that holds up in a bear market for AAPL, KO and XOM\n"
)


def _chat_with_input(
    typed: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """(stdout, stderr) of `stratigos chat --quiet`, run in this process (its settings: the
    `data_dir` fixture's), with `typed` on its standard input: a pipe, not a terminal, that ends
    after `typed`; it must exit 0."""
    read, write = os.pipe()
    with os.fdopen(write, "w") as writer:
        writer.write(typed)
    with os.fdopen(read) as stdin:
        assert not stdin.isatty()
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["chat", "--quiet"]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def _chat(tmp_path: Path, options: list[str]) -> subprocess.CompletedProcess[str]:
    """`stratigos chat OPTIONS` in a new process; it must exit 0."""
    completed = subprocess.run(
        [str(STRATIGOS), "chat", *options],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path),
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


def test_piped_input_that_ends_at_an_approval_prompt_ends_with_a_clear_message(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = _chat_with_input(ASK_FOR_A_SEARCH, monkeypatch, capsys)
    assert "Approval needed" in out
    assert "No answer (the input ended): the proposed run was not started" in out
    assert "--approve | --reject | --edit JSON" in out
    assert "Traceback" not in err and "EOFError" not in err


def test_an_unclear_answer_at_the_approval_prompt_is_asked_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _chat_with_input(ASK_FOR_A_SEARCH + "maybe\nreject\n\n", monkeypatch, capsys)
    assert "answer approve, edit or reject" in out
    assert "Cancelled: nothing was run." in out


def test_a_reader_that_stops_early_leaves_no_broken_pipe_message(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(STRATIGOS), "demo", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_cli_env(tmp_path),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head`, gone before the command writes
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0
    assert "Broken pipe" not in stderr and "BrokenPipeError" not in stderr, stderr


@pytest.mark.slow
def test_a_follow_up_in_a_new_process_finds_the_portfolio_of_an_earlier_one(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def say(thread: str, text: str) -> str:
        """The last reply, of a chat in this process (the `data_dir` fixture's settings)."""
        assert main(["chat", "--thread", thread, "-m", text, "--json"]) == 0
        return str(json.loads(capsys.readouterr().out)["replies"][-1])

    def say_in_a_new_process(thread: str, text: str) -> str:
        """The last reply, of `stratigos chat` in a new process on the same data directory."""
        assert data_dir == tmp_path / "data"  # what `_cli_env` names
        completed = _chat(tmp_path, ["--thread", thread, "-m", text, "--json"])
        return str(json.loads(completed.stdout)["replies"][-1])

    built = say("t1", "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO")
    follow_up = say_in_a_new_process("t1", "what's the 99% CVaR of that?")
    assert "99% confidence" in follow_up and "unknown portfolio" not in follow_up
    # ids are the thread's own: the same request in another thread names another portfolio
    other = say("t2", "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO")
    first_id, other_id = (text.split("(")[1].split(")")[0] for text in (built, other))
    assert first_id.startswith("pf_") and other_id.startswith("pf_") and first_id != other_id


def test_settings_that_do_not_load_are_named_as_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from settings import get_settings

    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "openai")
    for variable in ("STRATIGOS_OPENAI_BASE_URL", "STRATIGOS_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()
    try:
        assert main(["chat", "-m", "hello"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "stratigos chat: error: settings: model_provider openai needs" in err
    assert "Value error" not in err and "request" not in err and "Traceback" not in err
