"""`stratigos optimize`, `resume` and `demo`: run an optimization job here and summarise it."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.cli.developer import run_job_recorded
from api.cli.errors import UsageError, error_message
from api.cli.local import run_job
from api.cli.request_flags import request_from_args
from settings.process_exit import loading


def demo_command(args: argparse.Namespace) -> int:
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
            "benchmarks": result.benchmarks.T.to_dict(),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(format_demo(result))
    return 0


def optimize_command(args: argparse.Namespace) -> int:
    """`stratigos optimize`: run the request of the arguments here as the local owner's job
    (with the owner's profile; a recorded run is the request as given, for its replay), then
    write its reports and summarise it."""
    with loading():
        from graphs.optimization_run import run_directory

    renderer = _renderer(args)
    request = request_from_args(args)
    _refuse_a_pipeline_elsewhere(request)
    with _worker_warnings_left_to_the_summary():
        if args.record is not None:
            run_id, result = run_job_recorded(request, args, renderer.handle)
        else:
            request = _with_profile(request)
            run_id, result = run_job(request, args.key, renderer.handle)
    renderer.close()
    directory = run_directory(run_id)
    if request.pipeline and result.get("pipeline"):
        _write_run_files(directory, request, result)
    return _reported(args, run_id, result, directory, renderer.warnings_told)


def _write_run_files(directory: Path, request: Any, result: dict[str, Any]) -> None:
    """A search pipeline's run keeps its result in the store and its steps' files in its
    workspace: its `request.json` and `result.json` are written to the run's directory, as a
    graph run writes them, for its reports."""
    from settings.files import write_private

    write_private(directory / "request.json", request.model_dump_json(indent=2))
    write_private(directory / "result.json", json.dumps(result, indent=2, default=str))


def _refuse_a_pipeline_elsewhere(request: Any) -> None:
    """This command runs its job in this process: a search pipeline on SageMaker (which the
    deployed stack's EventBridge rule completes) is refused; the API submits it."""
    from settings import get_settings

    if request.pipeline and get_settings().compute.pipeline.engine == "sagemaker":
        raise UsageError(
            "--pipeline with STRATIGOS_COMPUTE_PIPELINE_ENGINE=sagemaker: this command runs the "
            "job here and cannot wait for a SageMaker execution; use the engine here or ray, or "
            "submit the request to POST /v1/optimizations of the deployed API"
        )


def resume_command(args: argparse.Namespace) -> int:
    """`stratigos resume RUN_ID`: continue a run from its last checkpoint, then write its
    reports and summarise it."""
    from graphs.optimization_run import RunNotFoundError, resume_optimization

    renderer = _renderer(args)
    try:
        outcome = resume_optimization(args.run_id, on_event=renderer.handle)
    except RunNotFoundError as exc:
        raise UsageError(f"{exc}; list runs with `stratigos jobs list`") from None
    renderer.close()
    return _reported(
        args, outcome.run_id, outcome.result or {}, outcome.directory, renderer.warnings_told
    )


def _renderer(args: argparse.Namespace) -> Any:
    """The run's live trace on the terminal (stderr with --json), its last line leaving the
    reason of a failure to the summary that follows (`_reported`): a failure is told once."""
    from api.reports.terminal import TerminalRenderer

    out = sys.stderr if args.json else sys.stdout
    return TerminalRenderer(out, quiet=args.quiet, summary_follows=True)


@contextmanager
def _worker_warnings_left_to_the_summary() -> Iterator[None]:
    """While the job runs here, the job worker's warnings (for a server's log: "job ... failed:
    ...") are not printed: this command reports the job's outcome itself, once."""
    worker = logging.getLogger("jobs.worker")
    level = worker.level
    worker.setLevel(logging.ERROR)
    try:
        yield
    finally:
        worker.setLevel(level)


def _reported(
    args: argparse.Namespace,
    run_id: str,
    result: dict[str, Any],
    directory: Path,
    warnings_told: set[str],
) -> int:
    """Write the run's reports, print its summary (or JSON; the summary leaves out the warnings
    the trace printed, `warnings_told`) and give the exit code: 0 when it
    succeeded (or stopped at a budget with findings); 3 when it stopped because no model could
    be reached (it keeps its checkpoint: the summary says how to resume it); else 1."""
    from agents.errors import MODEL_UNAVAILABLE_EXIT, ModelUnavailableError
    from api.reports import write_reports

    write_reports(directory)
    files = run_files(directory)
    if args.json:
        payload = {k: v for k, v in result.items() if k != "trials"}
        payload["files"] = {name: str(path) for name, path in files.items()}
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(_summary(run_id, result, files, warnings_told))
    if str(result.get("reason") or "").startswith(ModelUnavailableError.__name__):
        print(f"The run keeps its checkpoint: resume it with `stratigos resume {run_id}`.")
        return MODEL_UNAVAILABLE_EXIT
    return 0 if result.get("status") in ("succeeded", "partial") else 1


def _with_profile(request: Any) -> Any:
    """`request` with the local owner's profile defaults (universe, risk limits) where it leaves
    them unset, saying on stderr which; a universe the profile's exclusions empty is refused
    here (the run leaves excluded tickers out and its trace says so)."""
    from api.cli.local import LOCAL_OWNER, open_local_store
    from services.optimizations import prepare_optimization

    try:
        prepared = prepare_optimization(open_local_store(), LOCAL_OWNER, request)
    except ValueError as exc:  # InputError and pydantic's ValidationError
        raise UsageError(f"invalid request with your profile: {error_message(exc)}") from None
    if prepared.from_profile:
        print(f"From your profile: {', '.join(prepared.from_profile)}", file=sys.stderr)
    return prepared.request


def run_files(directory: Path) -> dict[str, Path]:
    """The run's files that exist: result (JSON), report_md, report_html, events."""
    names = {
        "result": "result.json",
        "report_md": "report.md",
        "report_html": "report.html",
        "events": "events.jsonl",
    }
    return {key: directory / name for key, name in names.items() if (directory / name).is_file()}


def best_line(best: dict[str, Any]) -> str:
    """The best configuration in one line, its parameters in words (the hedge's only when it
    holds one; `services.formatting.config_sentence`), and its objective."""
    from services.formatting import config_sentence, ratio

    return f"{config_sentence(best['config'])}; objective {ratio(best['objective'])}"


def _sharpe(result: dict[str, Any]) -> str:
    """How the result's Sharpe ratios are measured: over the request's safe rate, which the
    winner's edge states (unnamed in results written before it did)."""
    from services.formatting import percent

    rate = (result.get("edge") or {}).get("safe_rate")
    return "Sharpe" if rate is None else f"Sharpe over the {percent(rate)} safe rate"


def _summary(
    run_id: str,
    result: dict[str, Any],
    files: dict[str, Path],
    warnings_told: Collection[str] = (),
) -> str:
    """The text a finished run prints: its heading, its winner, its benchmarks, its hedge, its
    explanation and the warnings its trace did not print (`warnings_told`), its manifest and
    timings, and where its files were written."""
    from api.reports.hedging import text_lines as hedging_lines
    from api.reports.manifest import text_lines as manifest_lines

    lines = _heading_lines(run_id, result)
    lines += _best_lines(result)
    if result.get("feasibility"):
        lines.append(f"  {result['feasibility']}")
    lines += _benchmark_lines(result)
    edge = result.get("edge") or {}
    if edge.get("words"):
        lines.append(f"  {edge['words']}")
    lines += hedging_lines(result)
    explanation = (result.get("explanation") or {}).get("text")
    if explanation:
        lines += ["", explanation]
    for warning in result.get("warnings") or []:
        if warning not in warnings_told:
            lines.append(f"  warning: {warning}")
    manifest = result.get("manifest")
    if isinstance(manifest, dict):
        lines += ["", *manifest_lines(manifest)]
    timings = result.get("timings") or {}
    if timings:
        lines.append("\nTime (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if "result" in files:
        lines.append(f"Results: {files['result']}")
    reports = [str(files[k]) for k in ("report_html", "report_md") if k in files]
    if reports:
        lines.append("Report:  " + ", ".join(reports))
    return "\n".join(lines)


def _heading_lines(run_id: str, result: dict[str, Any]) -> list[str]:
    """A run's status, its benchmark verdict when it does not beat them, why it ended, the data
    it used, its search space and how it started."""
    from api.reports.markdown import data_source

    lines = ["", f"Run {run_id}: {result.get('status')}"]
    verdict = result.get("benchmark_verdict") or {}
    if verdict.get("beats") is False:
        lines.append(f"  {verdict['words']}")
    if result.get("reason"):
        lines.append(f"  reason: {result['reason']}")
    dataset = result.get("dataset") or {}
    if data_source(dataset):
        lines.append(
            f"  data: {len(dataset.get('assets') or [])} assets, {dataset.get('start')} to "
            f"{dataset.get('end')}, {data_source(dataset)}"
        )
    space = (result.get("plan") or {}).get("search_space")
    if space:
        from graphs.request import describe_space

        lines.append(f"  search space: {describe_space(space)}")
    from services.warm_starts import describe_result_start

    if start := describe_result_start(result):  # the early stop said once, as `reason:`
        lines.append(f"  start: {start}")
    return lines


def _best_lines(result: dict[str, Any]) -> list[str]:
    """The winner: its rule, its risk check limit by limit, its note and its path means in
    each scenario (none when the run has no winner)."""
    from services.formatting import metric, scenario

    best = result.get("best")
    if not best:
        return []
    lines = [f"  best: {best_line(best)}", f"  risk check: {best.get('risk_verdict', '-')}"]
    for check in best.get("limits") or []:
        for row in check.get("per_scenario") or []:
            lines.append(f"    {row['words']}: {'met' if row['met'] else 'NOT met'}")
    if best.get("note"):
        lines.append(f"  note: {best['note']}")
    lines.append(f"  per scenario (path means; {_sharpe(result)}):")
    for name, metrics in best["scenarios"].items():
        lines.append(
            f"    {scenario(name):15s} Sharpe {metric('sharpe', metrics['sharpe']):>6s}  "
            f"annual return {metric('cagr', metrics['cagr']):>8s}  "
            f"max drawdown {metric('max_drawdown', metrics['max_drawdown']):>7s}  "
            f"daily 95% CVaR {metric('cvar_95', metrics['cvar_95']):>6s}"
        )
    return lines


def _benchmark_lines(result: dict[str, Any]) -> list[str]:
    """The benchmarks compared with the winner on the same paths, scenario by scenario, and a
    benchmark left out with why (none when the run has no comparison)."""
    from api.reports.markdown import benchmark_rows
    from services.formatting import metric, scenario

    rows = benchmark_rows(result)
    if not rows:
        return []
    lines = [f"  compared on the same paths ({_sharpe(result)}, annual return, max drawdown):"]
    for row in rows:
        lines.append(
            f"    {scenario(row['scenario']):15s} {row['label']:31s} "
            f"{metric('sharpe', row['sharpe']):>6s} {metric('cagr', row['cagr']):>8s} "
            f"{metric('max_drawdown', row['max_drawdown']):>7s}"
        )
    missing = result.get("benchmarks_missing") or {}
    if "market" in missing:
        lines.append(f"    the market index: left out, {missing['market']}")
    return lines
