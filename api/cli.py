"""The `stratigos` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quant.errors import QuantError


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
        "explanation, with the agents' trace shown live. Writes result.json and report.md.",
    )
    optimize.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    optimize.add_argument("--trials", type=int, help="override the trial budget (max_trials)")
    optimize.add_argument("--paths", type=int, help="override the paths per scenario")
    optimize.add_argument(
        "--key",
        help="idempotency key: submitting the same key again shows that job instead of a new run",
    )
    _trace_options(optimize)

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

    record = commands.add_parser(
        "record",
        help="record a scripted session's Bedrock traffic as a vcrpy cassette",
        description="Run a scripted session (the optimization workflow, or a chat with tool "
        "calls and an approval) against Amazon Bedrock when AWS credentials are configured, "
        "else against the local Bedrock endpoint, and write tests/cassettes/NAME.yaml and "
        "NAME.snapshot.json. See docs/recording.md.",
    )
    record.add_argument("name", help="cassette name (also the session, unless --session)")
    record.add_argument(
        "--session", help="scripted session: optimization, chat or optimization-stream"
    )
    record.add_argument("--dir", type=Path, help="cassette directory (default: tests/cassettes)")
    record.add_argument(
        "--target",
        choices=["auto", "bedrock", "local"],
        default="auto",
        help="auto: Bedrock when credentials are configured and no endpoint override is set, "
        "else the local endpoint",
    )

    replay = commands.add_parser(
        "replay",
        help="re-execute a stored run, or replay a cassette offline, and check it reproduces",
        description="RUN_ID: run the stored request again and compare best config, trials, "
        "explanation and trace event types with the stored run. CASSETTE (a name in "
        "tests/cassettes or a .yaml path): replay its scripted session offline and compare "
        "with its snapshot. Exit code 0 when reproduced exactly, 1 otherwise.",
    )
    replay.add_argument("ref", metavar="RUN_ID|CASSETTE")
    replay.add_argument("--dir", type=Path, help="cassette directory (default: tests/cassettes)")
    replay.add_argument("--json", action="store_true", help="print the report as JSON")

    local = commands.add_parser(
        "bedrock-local",
        help="run the local Bedrock Runtime endpoint (offline model) in the foreground",
        description="A Bedrock Runtime-compatible endpoint (Converse, ConverseStream) backed by "
        "the deterministic offline model; Ctrl-C stops it. See docs/local-bedrock.md.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    local.add_argument("--port", type=int, default=8765, help="port (0: a free one)")
    return parser


def _trace_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    command.add_argument(
        "--quiet", action="store_true", help="show progress and warnings only, not the agents' text"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command in ("optimize", "resume"):
            return _optimize(args)
        if args.command == "chat":
            return _chat(args)
        if args.command == "cleanup":
            return _cleanup(args)
        if args.command == "record":
            return _record(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "bedrock-local":
            from agents.local_bedrock.__main__ import main as serve_local

            return serve_local(["--host", args.host, "--port", str(args.port)])
    except (QuantError, ValidationError, OSError, LookupError, ValueError) as exc:
        print(f"stratigos {args.command}: error: {_message(exc)}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")
    return 2


def _demo(args: argparse.Namespace) -> int:
    from api.demo import format_demo, run_demo

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
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'request'}: {err['msg']}"
            for err in exc.errors()
        )
    return str(exc)


LOCAL_OWNER = "local"
"""Owner of the jobs the command line submits (the API authenticates its users instead)."""


def _optimize(args: argparse.Namespace) -> int:
    from graphs.render import TerminalRenderer
    from graphs.request import OptimizationRequest
    from graphs.run import resume_optimization, run_directory

    renderer = TerminalRenderer(sys.stderr if args.json else sys.stdout, quiet=args.quiet)
    if args.command == "resume":
        outcome = resume_optimization(args.run_id, on_event=renderer.handle)
        run_id, result, directory = outcome.run_id, outcome.result or {}, outcome.directory
    else:
        data: dict[str, Any] = {}
        if args.request is not None:
            data = json.loads(args.request.read_text())
        if args.trials is not None:
            data.setdefault("budget", {})["max_trials"] = args.trials
        if args.paths is not None:
            data["n_paths"] = args.paths
        request = OptimizationRequest.model_validate(data)
        run_id, result = _run_job(request, args.key, renderer.handle)
        directory = run_directory(run_id)
    renderer.close()
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "trials"}, indent=2, default=str))
    else:
        print(_summary(run_id, result, directory))
    return 0 if result.get("status") in ("succeeded", "partial") else 1


def _run_job(request: Any, key: str | None, sink: Any) -> tuple[str, dict[str, Any]]:
    """Submit the request as an optimization job and run it here; (job id, result)."""
    from functools import partial

    from graphs.job_handlers import KIND, optimization_handler
    from jobs.handlers import HandlerRegistry
    from jobs.runner import JobRunner
    from store.factory import open_store

    store = open_store()
    handlers = HandlerRegistry({KIND: partial(optimization_handler, sink=sink)})
    runner = JobRunner(store, handlers=handlers)
    job = runner.submit(LOCAL_OWNER, KIND, request.model_dump(mode="json"), idempotency_key=key)
    if job.status in ("pending", "running"):
        claimed = store.claim(
            LOCAL_OWNER, job.id, runner.worker.worker_id, runner.worker.lease_seconds
        )
        runner.worker.run_claimed(claimed)
    job = store.get_job(LOCAL_OWNER, job.id)
    if job.status != "succeeded":
        return job.id, {"status": job.status, "reason": job.error}
    return job.id, dict(runner.results(LOCAL_OWNER, job.id))


def _summary(run_id: str, result: dict[str, Any], directory: Path) -> str:
    lines = ["", f"Run {run_id}: {result.get('status')}"]
    if result.get("reason"):
        lines.append(f"  reason: {result['reason']}")
    best = result.get("best")
    if best:
        config = best["config"]
        lines.append(
            f"  best: {config['weight_function']} weights, target vol {config['target_vol']:.1%}, "
            f"lookback {config['lookback']} d, rebalance every {config['rebalance_every']} d, "
            f"max leverage {config['max_leverage']:.2f}; objective {best['objective']:.3f}"
        )
        for scenario, metrics in best["scenarios"].items():
            lines.append(
                f"    {scenario:9s} Sharpe {metrics['sharpe']:6.2f}  CAGR {metrics['cagr']:7.1%}  "
                f"max drawdown {metrics['max_drawdown']:6.1%}  CVaR95 {metrics['cvar_95']:6.2%}"
            )
    explanation = (result.get("explanation") or {}).get("text")
    if explanation:
        lines += ["", explanation]
    manifest = result.get("manifest")
    if isinstance(manifest, dict):
        lines += ["", *manifest_summary(manifest)]
    timings = result.get("timings") or {}
    if timings:
        lines.append("\nTime (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    lines.append(f"Results: {directory / 'result.json'}, report: {directory / 'report.md'}")
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
        f"  used: {usage.get('trials', 0)} trials, {usage.get('total_tokens', 0)} tokens, "
        f"{usage.get('wall_time_s', 0.0):.1f} s (budgets: "
        + ", ".join(f"{k} {v}" for k, v in (manifest.get("budgets") or {}).items())
        + ")",
    ]


def _record(args: argparse.Namespace) -> int:
    from graphs.recording import cassette_paths, record

    cassette, snapshot = cassette_paths(args.name, args.dir)
    result = record(args.name, session=args.session, directory=args.dir, target=args.target)
    where = "Amazon Bedrock" if result["recorded_against"] == "bedrock" else "the local endpoint"
    outcome = result["result"]
    print(f"Recorded session {result['session']} ({result['api']}) against {where}.")
    print(
        f"  {outcome.get('n_trials')} trials, {len(outcome.get('event_types', []))} trace "
        f"events; status {outcome.get('status')}"
    )
    print(f"  cassette: {cassette} ({cassette.stat().st_size} bytes)")
    print(f"  snapshot: {snapshot}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from graphs.replay import replay_reference

    report = replay_reference(args.ref, cassettes=args.dir)
    if args.json:
        print(
            json.dumps(
                {
                    "name": report.name,
                    "reproduced": report.reproduced,
                    "error": report.error,
                    "diff": report.diff,
                },
                indent=2,
            )
        )
    else:
        print(report.summary())
    return 0 if report.reproduced else 1


def _chat(args: argparse.Namespace) -> int:
    from graphs.chat import ChatSession, ChatTurn
    from graphs.render import TerminalRenderer

    session = ChatSession(args.thread)
    renderer = TerminalRenderer(sys.stdout, quiet=args.quiet)

    def show(turn: ChatTurn) -> None:
        renderer.close()
        for text in turn.replies:
            print(f"\nassistant> {text}")
        if turn.pending is not None:
            print(f"\nApproval needed: {turn.pending['summary']}")

    decided = args.approve or args.reject or args.edit is not None
    if decided:
        action = "approve" if args.approve else "reject" if args.reject else "edit"
        changes = json.loads(args.edit) if args.edit is not None else None
        show(session.decide(action, changes=changes, on_event=renderer.handle))
    if args.message is not None:
        show(session.send(args.message, on_event=renderer.handle))
    if decided or args.message is not None:
        if session.pending() is not None:
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
            answer = input("approve / edit / reject? ").strip().lower()
            if answer.startswith("a") or answer in ("y", "yes"):
                turn = session.decide("approve", on_event=renderer.handle)
            elif answer.startswith("e"):
                changes = json.loads(input("changes to the request as JSON: ") or "{}")
                turn = session.decide("edit", changes=changes, on_event=renderer.handle)
            else:
                turn = session.decide("reject", on_event=renderer.handle)
            show(turn)


def _cleanup(args: argparse.Namespace) -> int:
    from store.factory import open_store

    if args.days < 0:
        raise ValueError(f"--days must be >= 0, got {args.days}")
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
