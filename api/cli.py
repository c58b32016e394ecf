"""The `stratigos` command line (see docs/cli.md for every command with an example).

Exit codes: 0 success; 1 a run that failed (or did not reproduce, for `replay`), or an
operational error (store unreachable, disk); 2 a usage error: bad arguments, an invalid or
missing input file, an unknown job, run or key id, a request the store refused (`replay` and
`record` keep their documented 0/1 contract). Errors are one line naming the problem and what
to do, never a traceback. Heavy modules (the graphs, the API app, uvicorn) are imported by the
command that needs them, so `stratigos --help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.errors import QuantError
from store import JOB_STATUSES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `stratigos` command."""
    parser = argparse.ArgumentParser(
        prog="stratigos",
        description="Stratigos: a multi-agent strategy assistant for dynamic asset allocation.",
    )
    parser.add_argument("--version", action="version", version=f"stratigos {version('stratigos')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="HRP, risk parity, min-volatility and max-Sharpe portfolios on the embedded S&P 500 data",
        description="Estimate classic portfolios on a training window of the embedded S&P 500 data "
        "and report their risk over the following test window.",
    )
    demo.add_argument(
        "--train-start", default="2015-01-01", help="first day of the training window"
    )
    demo.add_argument("--split", default="2020-01-01", help="first day of the test window")
    demo.add_argument(
        "--end", default=None, help="last day of the test window (default: last day of data)"
    )
    demo.add_argument(
        "--risk-free-rate",
        type=float,
        default=0.02,
        help="annual risk-free rate, e.g. 0.02 for 2%%",
    )
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")

    optimize = commands.add_parser(
        "optimize",
        help="run the multi-agent strategy optimization (the main job)",
        description="Find the volatility-targeting configuration that holds up best across "
        "market scenarios: market analysis, batched hyperparameter search, a risk gate and an "
        "explanation, with the agents' trace shown live. Writes result.json, report.md and a "
        "self-contained report.html to the run's directory.",
    )
    optimize.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    optimize.add_argument(
        "--trials", type=_positive_int, help="override the trial budget (max_trials)"
    )
    optimize.add_argument("--paths", type=_positive_int, help="override the paths per scenario")
    optimize.add_argument(
        "--key",
        help="idempotency key: submitting the same key again shows that job instead of a new run",
    )
    _trace_options(optimize)
    _record_options(optimize)

    resume = commands.add_parser(
        "resume", help="continue an optimization run from its last checkpoint"
    )
    resume.add_argument("run_id", help="the run to resume (see the data directory's runs/)")
    _trace_options(resume)

    cleanup = commands.add_parser(
        "cleanup",
        help="archive finished jobs older than N days and drop expired cache entries",
        description="Retention: jobs that finished more than --days ago are archived (their "
        "trials and trace move to the archive; the job and its result stay readable), and "
        "expired results-cache entries are dropped. Safe to run repeatedly (e.g. daily).",
    )
    cleanup.add_argument("--days", type=float, default=30.0, help="archive after this many days")
    cleanup.add_argument("--json", action="store_true", help="print the report as JSON")

    chat = commands.add_parser(
        "chat",
        help="chat with the strategy assistant (interactive, or one message with --message)",
        description="Ask about the market, portfolios and their risk, or ask for a strategy "
        "search; a search waits for your approval before it runs.",
    )
    chat.add_argument("--message", "-m", help="send one message and exit")
    chat.add_argument("--thread", help="continue this thread (default: a new one)")
    decision = chat.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="approve the pending run")
    decision.add_argument("--reject", action="store_true", help="reject the pending run")
    decision.add_argument(
        "--edit", metavar="JSON", help="edit the pending run, e.g. '{\"n_paths\": 100}', and run it"
    )
    chat.add_argument(
        "--quiet", action="store_true", help="show the replies only, not the agents' trace"
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print the turn's replies and pending approval as JSON (with --message or a "
        "decision; the trace goes to stderr)",
    )
    _record_options(chat)

    record = commands.add_parser(
        "record",
        help="record an agent run's Bedrock traffic as a vcrpy cassette",
        description="Run an optimization request (--request), a chat script (--chat), a "
        "built-in session (--session, or NAME itself) or, for an existing cassette, the script "
        "stored in its snapshot, against Amazon Bedrock when AWS credentials are configured, "
        "else against the local Bedrock endpoint; write DIR/NAME.yaml and "
        "DIR/NAME.snapshot.json. See docs/recording.md.",
    )
    record.add_argument("name", help="cassette name")
    script = record.add_mutually_exclusive_group()
    script.add_argument(
        "--session", help="built-in session: optimization, chat or optimization-stream"
    )
    script.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    script.add_argument(
        "--chat",
        type=Path,
        help="a chat script: a text file with one message per line and /approve, /reject or "
        "/edit {json} lines, or JSON steps",
    )
    record.add_argument(
        "--api",
        choices=["converse", "converse-stream"],
        help="Bedrock API (default: the session's, else converse)",
    )
    record.add_argument(
        "--dir", type=Path, help="cassette directory (default: tests/cassettes in a checkout)"
    )
    record.add_argument(
        "--target",
        choices=["auto", "bedrock", "local"],
        default="auto",
        help="auto: Bedrock when credentials are configured and no endpoint override is set, "
        "else the local endpoint",
    )

    replay = commands.add_parser(
        "replay",
        help="replay cassettes offline, or re-execute stored runs, and check they reproduce",
        description="CASSETTE (a name in the cassette directory or a .yaml path): replay its "
        "script offline (no model is called) and compare with its snapshot. RUN_ID: run the "
        "stored request again and compare best config, trials, explanation and trace event "
        "types with the stored run. Exit code 0 when every one reproduced, 1 otherwise.",
    )
    replay.add_argument("refs", nargs="+", metavar="RUN_ID|CASSETTE")
    replay.add_argument(
        "--dir", type=Path, help="cassette directory (default: tests/cassettes in a checkout)"
    )
    replay.add_argument("--json", action="store_true", help="print the reports as JSON")

    local = commands.add_parser(
        "bedrock-local",
        help="run the local Bedrock Runtime endpoint (offline model) in the foreground",
        description="A Bedrock Runtime-compatible endpoint (Converse, ConverseStream) backed by "
        "the deterministic offline model; Ctrl-C stops it. See docs/local-bedrock.md.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    local.add_argument("--port", type=int, default=8765, help="port (0: a free one)")

    _jobs_parser(commands)
    _keys_parser(commands)

    serve = commands.add_parser(
        "serve",
        help="run the Stratigos API (and web UI) with uvicorn",
        description="Serve the FastAPI app on HOST:PORT. A session API key for owner 'local' is "
        "created, printed in the web UI's address, and revoked when the server stops (Ctrl-C).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=_port, default=8000, help="port (0: a free one)")
    serve.add_argument(
        "--workers-in-process",
        type=_non_negative_int,
        metavar="N",
        help="job worker threads inside the server (0: jobs run in separate workers; "
        "default: the api_job_workers setting)",
    )
    return parser


def _jobs_parser(commands: Any) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="list, show and cancel jobs",
        description="Jobs of an owner in the configured store (the command line's own jobs "
        "belong to owner 'local'; --owner inspects another owner's).",
    )
    sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="the owner's jobs, newest first")
    listing.add_argument(
        "--status",
        action="append",
        choices=JOB_STATUSES,
        help="only jobs in this status (repeatable)",
    )
    listing.add_argument(
        "--limit", type=_positive_int, default=20, help="at most N jobs (default 20, max 1000)"
    )
    show = sub.add_parser(
        "show", help="a job's status, progress, timings, error and best configuration"
    )
    show.add_argument("job_id")
    cancel = sub.add_parser("cancel", help="cancel a pending or running job")
    cancel.add_argument("job_id")
    for command in (listing, show, cancel):
        command.add_argument(
            "--owner", default=LOCAL_OWNER, help=f"the jobs' owner (default {LOCAL_OWNER})"
        )
        command.add_argument("--json", action="store_true", help="print JSON")


def _keys_parser(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="API keys authenticate callers of the API (header x-api-key). The store "
        "keeps only a keyed hash: a new key is shown once, when it is created.",
    )
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a key (shown only now)")
    create.add_argument("--name", help="a label for the key (default: cli-<timestamp>)")
    listing = sub.add_parser("list", help="the owner's keys (metadata only), oldest first")
    revoke = sub.add_parser("revoke", help="revoke a key: it stops authenticating at once")
    revoke.add_argument("key_id")
    for command in (create, listing, revoke):
        command.add_argument("--owner", required=True, help="whose keys")
        command.add_argument("--json", action="store_true", help="print JSON")


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {value}")
    return value


def _trace_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    command.add_argument(
        "--quiet", action="store_true", help="show progress and warnings only, not the agents' text"
    )


def _record_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--record",
        metavar="NAME",
        help="record this session's Bedrock traffic as cassette NAME (against Bedrock when "
        "configured, else the local endpoint); replay it with `stratigos replay NAME`",
    )
    command.add_argument(
        "--record-dir",
        type=Path,
        help="where --record writes (default: tests/cassettes in a checkout, else ./cassettes)",
    )


class UsageError(Exception):
    """The command cannot be carried out as asked (bad input): exit code 2."""


_USER_ERRORS: tuple[type[BaseException], ...] = (
    UsageError,
    ValidationError,
    QuantError,
    LookupError,
    ValueError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (0 ok, 1 failed, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    commands = {
        "demo": _demo,
        "optimize": _optimize,
        "resume": _optimize,
        "chat": _chat,
        "cleanup": _cleanup,
        "record": _record,
        "replay": _replay,
        "bedrock-local": _bedrock_local,
        "jobs": _jobs,
        "keys": _keys,
        "serve": _serve,
    }
    command = commands.get(args.command)
    if command is None:
        parser.error(f"unknown command {args.command}")
    try:
        return command(args)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): what it read was enough; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"stratigos {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _is_expected(exc):
            raise
        print(f"stratigos {args.command}: error: {_message(exc)}", file=sys.stderr)
        if args.command in ("replay", "record"):
            return 1  # their documented contract: 0 reproduced / recorded, 1 otherwise
        return _exit_code(exc)


def _exit_code(exc: BaseException) -> int:
    """1 for operational failures (files, disk, an unreachable store), 2 for usage errors."""
    from store import StoreUnavailableError

    return 1 if isinstance(exc, (OSError, StoreUnavailableError)) else 2


def _is_expected(exc: BaseException) -> bool:
    """Errors the command line reports as one line: users' mistakes and operational failures
    (store unreachable, files). Anything else is a bug and keeps its traceback."""
    from store import StoreError

    return isinstance(exc, (*_USER_ERRORS, StoreError, OSError))


def _bedrock_local(args: argparse.Namespace) -> int:
    from devtools.local_bedrock.__main__ import main as serve_local

    return serve_local(["--host", args.host, "--port", str(args.port)])


def _demo(args: argparse.Namespace) -> int:
    from api.demo import format_demo
    from services.demo import run_demo

    result = run_demo(
        train_start=args.train_start,
        split=args.split,
        end=args.end,
        risk_free_rate=args.risk_free_rate,
    )
    if args.json:
        payload = {
            "train": result.train,
            "test": result.test,
            "risk_free_rate": result.risk_free_rate,
            "weights": result.weights.to_dict(),
            "risk": result.risk.T.to_dict(),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(format_demo(result))
    return 0


def _message(exc: BaseException) -> str:
    from graphs.request import validation_problems

    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{field or 'request'}: {problem}"
            for field, problem in validation_problems(exc.errors())
        )
    return str(exc)


LOCAL_OWNER = "local"
"""Owner of the jobs the command line submits (the API authenticates its users instead)."""


def _optimize(args: argparse.Namespace) -> int:
    from api.reports import write_reports
    from api.reports.terminal import TerminalRenderer
    from graphs.request import OptimizationRequest
    from graphs.run import RunNotFoundError, resume_optimization, run_directory

    renderer = TerminalRenderer(sys.stderr if args.json else sys.stdout, quiet=args.quiet)
    if args.command == "resume":
        try:
            outcome = resume_optimization(args.run_id, on_event=renderer.handle)
        except RunNotFoundError as exc:
            raise UsageError(f"{exc}; list runs with `stratigos jobs list`") from None
        run_id, result, directory = outcome.run_id, outcome.result or {}, outcome.directory
    else:
        data: dict[str, Any] = {}
        source = ""
        if args.request is not None:
            data = _read_json_object(args.request, "request file")
            source = f" in {args.request}"
        if args.trials is not None:
            data.setdefault("budget", {})["max_trials"] = args.trials
        if args.paths is not None:
            data["n_paths"] = args.paths
        try:
            request = OptimizationRequest.model_validate(data)
        except ValidationError as exc:
            raise UsageError(f"invalid request{source}: {_message(exc)}") from None
        if args.record is not None:
            run_id, result = _run_job_recorded(request, args, renderer.handle)
        else:
            run_id, result = _run_job(request, args.key, renderer.handle)
        directory = run_directory(run_id)
    renderer.close()
    write_reports(directory)
    files = _run_files(directory)
    if args.json:
        payload = {k: v for k, v in result.items() if k != "trials"}
        payload["files"] = {name: str(path) for name, path in files.items()}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(_summary(run_id, result, files))
    return 0 if result.get("status") in ("succeeded", "partial") else 1


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in `path`; a `UsageError` naming the path and the problem otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read {what} {path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{what} {path} must hold a JSON object, not {type(data).__name__}")
    return data


def _run_files(directory: Path) -> dict[str, Path]:
    """The run's files that exist: result (JSON), report_md, report_html, events."""
    names = {
        "result": "result.json",
        "report_md": "report.md",
        "report_html": "report.html",
        "events": "events.jsonl",
    }
    return {key: directory / name for key, name in names.items() if (directory / name).is_file()}


def _run_job(request: Any, key: str | None, sink: Any) -> tuple[str, dict[str, Any]]:
    """Submit the request as an optimization job and run it here; (job id, result)."""
    from graphs.job_handlers import run_job_here
    from store.factory import open_store

    return run_job_here(open_store(), LOCAL_OWNER, request, sink=sink, idempotency_key=key)


def _run_job_recorded(
    request: Any, args: argparse.Namespace, sink: Any
) -> tuple[str, dict[str, Any]]:
    """`_run_job` with its Bedrock traffic recorded as cassette ``args.record``."""
    from devtools.recording import recording
    from devtools.scripts import manifest_subset, optimization_outcome, optimization_script

    if args.key is not None:
        raise UsageError("--record runs a new job: leave out --key")
    event_types: list[str] = []

    def collect(event: Any) -> None:
        event_types.append(event.type)
        sink(event)

    with recording(args.record, directory=args.record_dir, own_data_dir=False) as current:
        run_id, result = _run_job(request, None, collect)
        current.script = optimization_script(request.model_dump(mode="json"))
        current.description = "recorded with stratigos optimize --record"
        current.produced = {
            "result": optimization_outcome(result, str(result.get("status")))
            | {"event_types": event_types},
            "manifest": manifest_subset(result.get("manifest")),
        }
    out = sys.stderr if args.json else sys.stdout
    print(_recorded_lines(current.snapshot, current.cassette, current.snapshot_path), file=out)
    return run_id, result


def best_line(best: dict[str, Any]) -> str:
    """The best configuration in one line: weights, target vol, lookback, rebalancing, leverage."""
    config = best["config"]
    return (
        f"{config['weight_function']} weights, target vol {config['target_vol']:.1%}, "
        f"lookback {config['lookback']} d, rebalance every {config['rebalance_every']} d, "
        f"max leverage {config['max_leverage']:.2f}; objective {best['objective']:.3f}"
    )


def _summary(run_id: str, result: dict[str, Any], files: dict[str, Path]) -> str:
    from api.reports.markdown import benchmark_rows

    lines = ["", f"Run {run_id}: {result.get('status')}"]
    if result.get("reason"):
        lines.append(f"  reason: {result['reason']}")
    best = result.get("best")
    if best:
        lines.append(f"  best: {best_line(best)}")
        lines.append(f"  risk check: {best.get('risk_verdict', '-')}")
        if best.get("note"):
            lines.append(f"  note: {best['note']}")
        for scenario, metrics in best["scenarios"].items():
            lines.append(
                f"    {scenario:9s} Sharpe {metrics['sharpe']:6.2f}  CAGR {metrics['cagr']:7.1%}  "
                f"max drawdown {metrics['max_drawdown']:6.1%}  CVaR95 {metrics['cvar_95']:6.2%}"
            )
    if result.get("feasibility"):
        lines.append(f"  {result['feasibility']}")
    rows = benchmark_rows(result)
    if rows:
        lines.append("  compared on the same paths (Sharpe, CAGR, max drawdown):")
        for row in rows:
            lines.append(
                f"    {row['scenario']:9s} {row['label']:26s} {row['sharpe']:6.2f} "
                f"{row['cagr']:7.1%} {row['max_drawdown']:7.1%}"
            )
    explanation = (result.get("explanation") or {}).get("text")
    if explanation:
        lines += ["", explanation]
    for warning in result.get("warnings") or []:
        lines.append(f"  warning: {warning}")
    manifest = result.get("manifest")
    if isinstance(manifest, dict):
        lines += ["", *manifest_summary(manifest)]
    timings = result.get("timings") or {}
    if timings:
        lines.append("\nTime (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if "result" in files:
        lines.append(f"Results: {files['result']}")
    reports = [str(files[k]) for k in ("report_html", "report_md") if k in files]
    if reports:
        lines.append("Report:  " + ", ".join(reports))
    return "\n".join(lines)


def manifest_summary(manifest: dict[str, Any]) -> list[str]:
    """A few lines describing a run manifest: models, hashes, seed, versions, usage."""

    def short(value: Any) -> str:
        return str(value)[:12] if value else "-"

    ids = manifest.get("model_ids") or {}
    models = ", ".join(f"{role} {model}" for role, model in ids.items()) or "-"
    prompts = manifest.get("prompt_hashes") or {}
    prompt_text = ", ".join(f"{role} {short(h)}" for role, h in prompts.items()) or "-"
    dataset = manifest.get("dataset") or {}
    versions = manifest.get("package_versions") or {}
    usage = manifest.get("usage") or {}
    return [
        f"Manifest: provider {manifest.get('model_provider')}; models: {models}",
        f"  request {short(manifest.get('request_hash'))}, seed {manifest.get('seed')}, "
        f"data {short(dataset.get('sha256'))} ({dataset.get('n_rows', '-')} rows x "
        f"{dataset.get('n_columns', '-')} assets), tools {short(manifest.get('tool_schema_hash'))}",
        f"  prompts: {prompt_text}",
        f"  code: commit {short(manifest.get('git_commit'))}, stratigos "
        f"{versions.get('stratigos') or '-'}, python {manifest.get('python_version') or '-'}",
        f"  used: {usage.get('trials', 0)} trials, {usage.get('llm_calls', 0)} model calls, "
        f"{usage.get('input_tokens', 0)} input + {usage.get('output_tokens', 0)} output tokens "
        f"({usage.get('cache_read_tokens', 0)} read from the prompt cache), "
        f"{usage.get('wall_time_s', 0.0):.1f} s (budgets: "
        + ", ".join(f"{k} {v}" for k, v in (manifest.get("budgets") or {}).items())
        + ")",
    ]


def _record(args: argparse.Namespace) -> int:
    from devtools.cassettes import cassette_paths
    from devtools.recording import record
    from devtools.scripts import optimization_script, read_chat_file

    script = None
    if args.request is not None:
        request = _read_json_object(args.request, "request file")
        script = optimization_script(request, str(args.request))
    elif args.chat is not None:
        script = read_chat_file(args.chat)
    snapshot = record(
        args.name,
        script=script,
        session=args.session,
        api=args.api,
        directory=args.dir,
        target=args.target,
    )
    where = "Amazon Bedrock" if snapshot["recorded_against"] == "bedrock" else "the local endpoint"
    print(f"Recorded {snapshot['script']['kind']} ({snapshot['api']}) against {where}.")
    print(_recorded_lines(snapshot, *cassette_paths(args.name, args.dir)))
    return 0


def _recorded_lines(snapshot: dict[str, Any], cassette: Path, snapshot_path: Path) -> str:
    """What a recording produced, its files and the command that replays it."""
    result = snapshot["result"]
    if "turns" in result:
        what = f"{len(result['turns'])} chat steps, {len(result['runs'])} runs"
    else:
        what = f"{result.get('n_trials')} trials, status {result.get('status')}"
    return "\n".join(
        [
            f"  {what}, {len(result.get('event_types', []))} trace events",
            f"  cassette: {cassette} ({cassette.stat().st_size} bytes)",
            f"  snapshot: {snapshot_path}",
            f"  replay:   stratigos replay {cassette}",
        ]
    )


def _replay(args: argparse.Namespace) -> int:
    from devtools.run_replay import replay_reference

    reports = [replay_reference(ref, cassettes=args.dir) for ref in args.refs]
    if args.json:
        documents = [
            {"name": r.name, "reproduced": r.reproduced, "error": r.error, "diff": r.diff}
            for r in reports
        ]
        print(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    else:
        print("\n".join(report.summary() for report in reports))
    return 0 if all(report.reproduced for report in reports) else 1


def _chat(args: argparse.Namespace) -> int:
    from graphs.chat import ChatSession

    decided = args.approve or args.reject or args.edit is not None
    if args.json and not (decided or args.message is not None):
        raise UsageError("--json needs --message or a decision (--approve, --reject, --edit)")
    changes = None
    if args.edit is not None:
        try:
            changes = json.loads(args.edit)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--edit is not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(changes, dict):
            raise UsageError("--edit must be a JSON object, e.g. '{\"n_paths\": 100}'")
    if args.record is None:
        return _converse(args, ChatSession(args.thread, owner=LOCAL_OWNER), changes)
    if args.thread is not None or decided:
        raise UsageError("--record starts a new thread: leave out --thread and the decisions")
    from devtools.recording import recording
    from devtools.scripts import ChatRecorder

    with recording(args.record, directory=args.record_dir, own_data_dir=False) as current:
        recorder = ChatRecorder(ChatSession())
        code = _converse(args, recorder, changes)
        current.script = recorder.script()
        current.description = "recorded with stratigos chat --record"
        current.produced = recorder.outcome()
    out = sys.stderr if args.json else sys.stdout
    print(_recorded_lines(current.snapshot, current.cassette, current.snapshot_path), file=out)
    return code


def _converse(args: argparse.Namespace, session: Any, changes: dict[str, Any] | None) -> int:
    """The chat itself: the decision and message given as options, or an interactive loop.
    `session` is a `ChatSession` (or a recorder with the same methods)."""
    from api.reports.terminal import TerminalRenderer
    from graphs.chat import ChatTurn

    decided = args.approve or args.reject or args.edit is not None
    renderer = TerminalRenderer(sys.stderr if args.json else sys.stdout, quiet=args.quiet)
    turns: list[ChatTurn] = []

    def show(turn: ChatTurn) -> None:
        renderer.close()
        turns.append(turn)
        if args.json:
            return
        for text in turn.replies:
            print(f"\nassistant> {text}")
        for saved in turn.saved:
            print(f"(saved to your portfolios as {saved.portfolio_id}: {saved.name})")
        if turn.pending is not None:
            print(f"\nApproval needed: {turn.pending['summary']}")

    if decided:
        action = "approve" if args.approve else "reject" if args.reject else "edit"
        show(session.decide(action, changes=changes, on_event=renderer.handle))
    if args.message is not None:
        show(session.send(args.message, on_event=renderer.handle))
    if decided or args.message is not None:
        pending = session.pending()
        if args.json:
            payload = {
                "thread_id": session.thread_id,
                "replies": [text for turn in turns for text in turn.replies],
                "pending": pending,
                "saved_portfolios": [
                    dataclasses.asdict(saved) for turn in turns for saved in turn.saved
                ],
            }
            print(json.dumps(payload, indent=2, default=str))
        elif pending is not None:
            print(
                f"Answer with: stratigos chat --thread {session.thread_id} --approve | --reject "
                "| --edit JSON"
            )
        return 0
    print(f"Stratigos assistant (thread {session.thread_id}); an empty line or Ctrl-D quits.")
    while True:
        try:
            text = input("\nyou> ").strip()
        except EOFError:
            return 0
        if not text:
            return 0
        turn = session.send(text, on_event=renderer.handle)
        show(turn)
        while turn.pending is not None:
            try:
                answer = input("approve / edit / reject? ").strip().lower()
                if answer.startswith("e"):
                    edits = json.loads(input("changes to the request as JSON: ") or "{}")
            except EOFError:
                print(
                    "\nNo answer (the input ended): the proposed run was not started. Answer "
                    f"later with: stratigos chat --thread {session.thread_id} --approve | "
                    "--reject | --edit JSON"
                )
                return 0
            except json.JSONDecodeError as exc:
                print(f"not valid JSON ({exc.msg}); answer again")
                continue
            if answer.startswith("a") or answer in ("y", "yes"):
                turn = session.decide("approve", on_event=renderer.handle)
            elif answer.startswith("e"):
                turn = session.decide("edit", changes=edits, on_event=renderer.handle)
            elif answer.startswith("r") or answer in ("n", "no"):
                turn = session.decide("reject", on_event=renderer.handle)
            else:
                print("answer approve, edit or reject")
                continue
            show(turn)


def _cleanup(args: argparse.Namespace) -> int:
    from store.factory import open_store

    if args.days < 0:
        raise UsageError(f"--days must be >= 0, got {args.days:g}")
    report = open_store().cleanup(archive_after_days=args.days)
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
    else:
        print(
            f"Archived {len(report.archived_jobs)} job(s) finished more than {args.days:g} days "
            f"ago; dropped {report.expired_cache_entries} expired cache entr"
            f"{'y' if report.expired_cache_entries == 1 else 'ies'}."
        )
    return 0


# --------------------------------------------------------------------------- jobs


def _open_store() -> Any:
    from settings import get_settings
    from store.factory import open_store

    settings = get_settings()
    if settings.store_backend == "sqlite":
        settings.ensure_data_dir()
    return open_store(settings)


def _iso(value: Any) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _duration(job: Any) -> float | None:
    if job.started_at is None:
        return None
    end = job.finished_at or job.updated_at
    return round((end - job.started_at).total_seconds(), 3)


def _progress(job: Any) -> str:
    done, total = job.progress
    return f"{done}/{total}" if total is not None else str(done)


def _jobs(args: argparse.Namespace) -> int:
    from jobs.runner import JobRunner
    from store import NotFoundError, job_to_json

    store = _open_store()
    runner = JobRunner(store)
    hint = f"list jobs with `stratigos jobs list{_owner_flag(args.owner)}`"
    try:
        if args.jobs_command == "list":
            jobs = runner.list_jobs(args.owner, statuses=args.status, limit=min(args.limit, 1000))
            if args.json:
                rows = [_job_row(job_to_json(job), job) for job in jobs]
                print(json.dumps(rows, indent=2))
                return 0
            print(_jobs_table(jobs, args))
            return 0
        if args.jobs_command == "show":
            job = runner.status(args.owner, args.job_id)
            detail = _job_detail(runner, job)
            if args.json:
                print(json.dumps(detail, indent=2, default=str))
            else:
                print(_job_text(detail))
            return 0
        before = runner.status(args.owner, args.job_id)
        job = runner.cancel(args.owner, args.job_id)
        if args.json:
            print(json.dumps(_job_row(job_to_json(job), job), indent=2))
        elif before.status == "cancelled":
            print(f"Job {job.id} was already cancelled.")
        else:
            print(f"Cancelled job {job.id} (it was {before.status}).")
        return 0
    except NotFoundError:
        job_id = getattr(args, "job_id", "?")
        raise UsageError(f"no job {job_id} for owner {args.owner}; {hint}") from None
    finally:
        store.close()


def _owner_flag(owner: str) -> str:
    return "" if owner == LOCAL_OWNER else f" --owner {owner}"


def _job_row(data: dict[str, Any], job: Any) -> dict[str, Any]:
    row = {k: v for k, v in data.items() if k != "request"}
    row["duration_s"] = _duration(job)
    return row


def _jobs_table(jobs: list[Any], args: argparse.Namespace) -> str:
    if not jobs:
        which = " or ".join(args.status) + " " if args.status else ""
        return f"No {which}jobs for owner {args.owner}."
    header = (
        f"{'ID':34s} {'KIND':13s} {'STATUS':10s} {'PROGRESS':>9s}  {'CREATED (UTC)':19s}  DURATION"
    )
    lines = [header]
    for job in jobs:
        duration = _duration(job)
        took = "-" if duration is None else f"{duration:.1f} s"
        lines.append(
            f"{job.id:34s} {job.kind:13s} {job.status:10s} {_progress(job):>9s}  "
            f"{_iso(job.created_at):19s}  {took}"
        )
    lines.append(
        f"{len(jobs)} job(s); details: stratigos jobs show JOB_ID{_owner_flag(args.owner)}"
    )
    return "\n".join(lines)


def _job_detail(runner: Any, job: Any) -> dict[str, Any]:
    """A job for `jobs show`: the stored job, its duration, and for a succeeded job its result's
    status, best configuration, timings and the run's files."""
    from graphs.run import run_directory
    from store import NotFoundError, job_to_json

    detail = _job_row(job_to_json(job), job)
    detail["best"] = None
    if job.status == "succeeded":
        try:
            result = runner.results(job.owner, job.id)
        except NotFoundError:
            result = None
        if isinstance(result, dict):
            detail["result_status"] = result.get("status")
            detail["reason"] = result.get("reason")
            detail["best"] = result.get("best")
            detail["timings"] = result.get("timings")
    detail["files"] = {k: str(v) for k, v in _run_files(run_directory(job.id)).items()}
    return detail


def _job_text(detail: dict[str, Any]) -> str:
    progress = detail["progress"]
    done, total = progress[0], progress[1]
    lines = [
        f"Job {detail['id']} ({detail['kind']}) of owner {detail['owner']}",
        f"  status:   {detail['status']} (attempts {detail['attempts']})",
        f"  progress: {done}/{total}" if total is not None else f"  progress: {done}",
        f"  created:  {detail['created_at']}",
        f"  started:  {detail['started_at'] or '-'}",
        f"  finished: {detail['finished_at'] or '-'}",
    ]
    if detail.get("duration_s") is not None:
        lines.append(f"  duration: {detail['duration_s']:.1f} s")
    if detail.get("error"):
        lines.append(f"  error:    {detail['error']}")
    if detail.get("archived_at"):
        lines.append(f"  archived: {detail['archived_at']}")
    if detail.get("result_status"):
        reason = f" ({detail['reason']})" if detail.get("reason") else ""
        lines.append(f"  result:   {detail['result_status']}{reason}")
    best = detail.get("best")
    if best:
        lines.append(f"  best:     {best_line(best)}")
    timings = detail.get("timings") or {}
    if timings:
        lines.append("  time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    files = [Path(path) for path in (detail.get("files") or {}).values()]
    if files:
        names = ", ".join(path.name for path in files)
        lines.append(f"  files:    {names} in {files[0].parent}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- keys


def _key_json(key: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": key.id,
        "owner": key.owner,
        "name": key.name,
        "created_at": iso(key.created_at),
        "revoked_at": iso(key.revoked_at),
    }


KEY_WARNING = (
    "This is the only time the key is shown: store it now (the store keeps only a hash of it). "
    "Send it as the x-api-key header."
)


def _keys(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from store import NotFoundError

    store = _open_store()
    try:
        if args.keys_command == "create":
            name = args.name or f"cli-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
            raw, key = store.create_api_key(args.owner, name)
            if args.json:
                print(json.dumps({**_key_json(key), "key": raw, "warning": KEY_WARNING}, indent=2))
            else:
                print(f"Created API key {key.id} ({key.name}) for owner {key.owner}:")
                print(f"  {raw}")
                print(KEY_WARNING)
            return 0
        if args.keys_command == "list":
            keys = store.list_api_keys(args.owner)
            if args.json:
                print(json.dumps([_key_json(k) for k in keys], indent=2))
            elif not keys:
                print(f"No API keys for owner {args.owner}.")
            else:
                print(f"{'ID':33s} {'NAME':28s} {'CREATED (UTC)':19s}  REVOKED (UTC)")
                for k in keys:
                    revoked = _iso(k.revoked_at) if k.revoked_at else "-"
                    print(f"{k.id:33s} {k.name:28s} {_iso(k.created_at):19s}  {revoked}")
            return 0
        try:
            key = store.revoke_api_key(args.owner, args.key_id)
        except NotFoundError:
            raise UsageError(
                f"no API key {args.key_id} for owner {args.owner}; list keys with "
                f"`stratigos keys list --owner {args.owner}`"
            ) from None
        if args.json:
            print(json.dumps(_key_json(key), indent=2))
        else:
            print(f"Revoked API key {key.id} ({key.name}) of owner {key.owner}.")
        return 0
    finally:
        store.close()


# --------------------------------------------------------------------------- serve


def _serve(args: argparse.Namespace) -> int:
    from api.server import run_server
    from settings import get_settings

    settings = get_settings()
    if args.workers_in_process is not None:
        settings = settings.model_copy(update={"api_job_workers": args.workers_in_process})
    run_server(args.host, args.port, settings)
    return 0
