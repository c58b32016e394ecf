"""Running the `optimization` graph: checkpoints, the trace, the result files.

`run_optimization(request)` runs a new optimization and `resume_optimization(run_id)` continues
one whose process stopped (killed, or a crash) from its last checkpoint. Both stream the graph
with `stream_mode=["updates", "messages", "custom"]`, turn what it streams into sequence-numbered
`TraceEvent`s (`traces`), hand each to `on_event` and append it to the run's
`events.jsonl`. Checkpoints go to the store's checkpointer (`store.checkpoints`: the SQLite file
`settings.checkpoint_path` by default, DynamoDB with S3 offload on AWS); each run's files go
to `<data_dir>/runs/<run_id>/`: `request.json`, `events.jsonl`, `result.json` (best
configuration, every trial, convergence, per-scenario metrics, risk review, explanation, manifest
and timings). The reports for people are the interfaces' (`api.reports.write_reports`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model_routes import DEADLINE_KEY
from graphs import RECURSION_LIMIT
from graphs.manifest import Usage, build_manifest
from graphs.optimization import build_optimization_graph
from graphs.request import OptimizationRequest
from graphs.resources import release, resources
from graphs.telemetry import traced
from graphs.warm_start import manifest_inputs
from settings import Settings, get_settings, metrics
from settings.files import private_directory, private_file, write_private
from settings.tracing import span
from store.checkpoints import checkpointer
from traces.schema import RunStatus
from traces.tracelog import EventSink, trace_log

PROFILE_NOTE_CODE = "profile_exclusion"
"""The code of the warning events that say what a profile left out of a run's request."""

CATEGORY = {
    "validate": "data",
    "scenarios": "scenarios",
    "propose": "evaluation",
    "evaluate": "evaluation",
    "aggregate": "evaluation",
    "market_analysis": "agents",
    "plan": "agents",
    "review": "agents",
    "risk_gate": "agents",
    "explain": "agents",
    "finalize": "other",
}
"""Which part of the run each node's time counts towards in the breakdown. Inside an agent, the
time of its tool calls (numeric work: statistics, sensitivity) counts as `tools`, the rest (the
model, the graph) as `agents`."""


class RunNotFoundError(LookupError):
    """No run with that id has been started in this data directory."""


@dataclass
class RunOutcome:
    """What a run produced: its id, status, result (None if it failed) and where it is stored."""

    run_id: str
    status: str
    result: dict[str, Any] | None
    directory: Path
    timings: dict[str, float] = field(default_factory=dict)
    reason: str | None = None


def run_directory(run_id: str, settings: Settings | None = None) -> Path:
    """`<data_dir>/runs/<run_id>` (not created)."""
    settings = settings or get_settings()
    return settings.data_dir / "runs" / run_id


def run_optimization(
    request: OptimizationRequest,
    *,
    run_id: str | None = None,
    on_event: EventSink | None = None,
    settings: Settings | None = None,
    notes: Sequence[str] = (),
) -> RunOutcome:
    """Run the optimization workflow for `request` to the end and store its result.

    `notes` are what the caller changed in the request before the run (e.g. "AMD left out: your
    profile excludes AMD"): each becomes a `warning` trace event (code `profile_exclusion`)
    right after `run_started`, and the result's first `warnings`. A request asking for the
    search pipeline (`pipeline`) is refused (`ValueError`): it runs as a job, without agents
    (`graphs.pipeline_jobs`), never as this workflow."""
    if request.pipeline:
        raise ValueError("pipeline: a search asked for as the search pipeline runs as a job")
    settings = settings or get_settings()
    run_id = run_id or f"run_{uuid.uuid4().hex[:12]}"
    directory = run_directory(run_id, settings)
    if directory.exists():
        raise FileExistsError(f"run {run_id} already exists in {directory.parent}")
    private_directory(directory)
    write_private(directory / "request.json", request.model_dump_json(indent=2))
    state: dict[str, Any] = {"run_id": run_id, "request": request.model_dump(mode="json")}
    if notes:
        state["warnings"] = list(notes)
    return _drive(run_id, request, state, on_event, settings, notes)


def has_checkpoint(run_id: str, settings: Settings | None = None) -> bool:
    """Whether run `run_id` has a checkpoint to resume from."""
    settings = settings or get_settings()
    config = {"configurable": {"thread_id": run_id}}
    with checkpointer(settings) as saver:
        return bool(build_optimization_graph(saver).get_state(config).values)


def resume_optimization(
    run_id: str, *, on_event: EventSink | None = None, settings: Settings | None = None
) -> RunOutcome:
    """Continue run `run_id` from its last checkpoint (finished batches are not repeated)."""
    settings = settings or get_settings()
    directory = run_directory(run_id, settings)
    if not (directory / "request.json").is_file():
        raise RunNotFoundError(f"no run {run_id} in {directory.parent}")
    request = OptimizationRequest.model_validate_json((directory / "request.json").read_text())
    return _drive(run_id, request, None, on_event, settings)


def _drive(
    run_id: str,
    request: OptimizationRequest,
    state: dict[str, Any] | None,
    on_event: EventSink | None,
    settings: Settings,
    notes: Sequence[str] = (),
) -> RunOutcome:
    directory = run_directory(run_id, settings)
    config: dict[str, Any] = {
        "configurable": {"thread_id": run_id},
        "recursion_limit": RECURSION_LIMIT,
    }
    timings = dict.fromkeys(("data", "scenarios", "evaluation", "tools", "agents", "other"), 0.0)
    run = _DrivenRun(run_id, request, directory, settings, timings)
    started = time.perf_counter()
    last = started

    def clock(chunk: Any) -> None:
        """Charge the time since the previous update to the part of the run that produced it."""
        nonlocal last
        namespace, mode, payload = chunk
        if mode == "updates" and isinstance(payload, dict) and payload:
            now = time.perf_counter()
            node = next(iter(payload))
            key = ("tools" if node == "tools" else "agents") if namespace else None
            timings[key or CATEGORY.get(node, "other")] += now - last
            last = now

    path = private_file(directory / "events.jsonl")
    with trace_log(path, run_id, on_event) as log, checkpointer(settings) as saver:
        graph = build_optimization_graph(saver)
        if state is None:
            snapshot = graph.get_state(config)
            if not snapshot.values:
                raise RunNotFoundError(f"run {run_id} has no checkpoint to resume from")
            if not snapshot.tasks:  # `next` omits a step whose writes are saved, not applied
                outcome = _finished(run, snapshot.values)
                ended: RunStatus = "partial" if outcome.status == "partial" else "succeeded"
                if outcome.status in ("succeeded", "partial") and not log.ended(ended):
                    # the process stopped between the last step and the end of its trace
                    log.emit(
                        log.recorder.run_finished(ended, result_id=run_id, reason=outcome.reason)
                    )
                return outcome
        config["configurable"][DEADLINE_KEY] = _deadline(graph, config, state, request)
        log.emit(
            [
                log.recorder.run_started("optimization", request_hash=request.request_hash()),
                *(log.recorder.warning(note, code=PROFILE_NOTE_CODE) for note in notes),
            ]
        )
        resources(run_id, request, settings)
        last = time.perf_counter()
        timings["data"] += last - started
        try:
            with (
                span("run optimization", carry={"stratigos.run_id": run_id}),
                traced(config, settings) as traced_config,
            ):
                log.stream(graph, state, traced_config, on_chunk=clock)
        except Exception as exc:
            release(run_id)
            _write_failure(directory, exc)
            raise
        values = graph.get_state(config).values
        timings["total"] = time.perf_counter() - started
        outcome = _store(run, values)
        log.emit(
            log.recorder.run_finished(
                "partial" if outcome.status == "partial" else "succeeded",
                result_id=run_id,
                reason=outcome.reason,
            )
        )
    release(run_id)
    return outcome


def _deadline(
    graph: Any, config: dict[str, Any], state: dict[str, Any] | None, request: OptimizationRequest
) -> float:
    """The run's wall-time deadline (epoch seconds), past which model calls the service
    throttles stop trying (`agents.model_routes`): from when the run first started."""
    begun = (state or {}).get("started_at") or time.time()
    if state is None:  # a resumed run keeps its first start
        begun = graph.get_state(config).values.get("started_at") or begun
    return float(begun) + request.budget.max_wall_seconds


@dataclass(frozen=True)
class _DrivenRun:
    """A run being driven: its id, request, files' directory, settings, and the seconds spent
    per part of the run (`CATEGORY`; ``total`` once it ends)."""

    run_id: str
    request: OptimizationRequest
    directory: Path
    settings: Settings
    timings: dict[str, float]


def _store(run: _DrivenRun, values: dict[str, Any]) -> RunOutcome:
    """Write the finished graph's result, with its manifest and timings, to ``result.json``."""
    run_id, directory, timings = run.run_id, run.directory, run.timings
    result = dict(values["result"])
    res = resources(run_id, run.request)
    manifest = build_manifest(
        run_id,
        run.request,
        returns=res.returns,
        settings=run.settings,
        warm_start=manifest_inputs(result.get("warm_start")),
    )
    result["manifest"] = manifest.finish(
        status=result["status"],
        reason=result.get("reason"),
        usage=Usage(
            **(result.get("usage") or {}),
            trials=int(result.get("n_trials", 0)),
            wall_time_s=round(timings.get("total", 0.0), 3),
            timings={k: round(v, 3) for k, v in timings.items()},
        ),
    ).model_dump(mode="json")
    result["timings"] = {k: round(v, 3) for k, v in timings.items()}
    write_private(directory / "result.json", json.dumps(result, indent=2, default=str))
    metrics.optimization_finished(
        int(result.get("n_trials", 0)), (result.get("best") or {}).get("objective")
    )
    return RunOutcome(
        run_id=run_id,
        status=result["status"],
        result=result,
        directory=directory,
        timings=timings,
        reason=result.get("reason"),
    )


def _finished(run: _DrivenRun, values: dict[str, Any]) -> RunOutcome:
    """The outcome of a run whose graph has finished. The checkpointed result is the truth: a
    failure written after the graph finished (e.g. the store failed on the last trace event)
    is replaced by it."""
    stored = run.directory / "result.json"
    result = json.loads(stored.read_text()) if stored.is_file() else values.get("result")
    if values.get("result") and (result or {}).get("status") == "failed":
        return _store(run, values)
    status = (result or {}).get("status", values.get("status", "failed"))
    reason = (result or {}).get("reason")
    return RunOutcome(run.run_id, status, result, run.directory, run.timings, reason)


def _write_failure(directory: Path, exc: BaseException) -> None:
    failure = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    write_private(directory / "result.json", json.dumps(failure, indent=2))
