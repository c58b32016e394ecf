"""Re-executing a stored optimization run and checking that it reproduces exactly.

`replay_run(run_id)` reads the run's ``request.json``, ``result.json`` and ``events.jsonl``
from ``<data_dir>/runs/<run_id>/``, runs the same request again as a new run
(``<run_id>-replay-<hex>``) with the current settings, and compares what matters: the best
configuration and its objective, every trial (configuration id and objective), the trial count,
the explanation text, the sequence of trace event types, and the run manifest's inputs
(request, prompt, tool-schema and data hashes, seed, provider and model ids; see
`devtools.scripts.manifest_subset`). A difference in the inputs explains a difference in the
outcome (e.g. a prompt changed since the run was made).

`replay_reference(ref)` accepts a run id or a cassette (a name in tests/cassettes or a path
to its ``.yaml``): cassettes are replayed offline by `devtools.replaying.replay`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from devtools.replaying import ReplayReport, compare, replay, resolve_cassette
from devtools.scripts import manifest_subset
from settings import Settings, get_settings
from traces.jsonl import read_jsonl
from traces.schema import TraceEvent


def run_outcome_summary(
    result: dict[str, Any] | None, events: list[TraceEvent] | None = None
) -> dict[str, Any]:
    """What a reproduced run must equal: status, best configuration and objective, trials
    (config id and objective, in order), trial count, explanation, trace event types and the
    manifest's inputs."""
    result = result or {}
    best = result.get("best") or {}
    return {
        "status": result.get("status"),
        "best_config": best.get("config"),
        "best_objective": best.get("objective"),
        "n_trials": result.get("n_trials"),
        "trials": [[t.get("config_id"), t.get("objective")] for t in result.get("trials") or []],
        "explanation": (result.get("explanation") or {}).get("text"),
        "event_types": [e.type for e in events or []],
        "manifest": manifest_subset(result.get("manifest")),
    }


def replay_run(run_id: str, *, settings: Settings | None = None) -> ReplayReport:
    """Run stored run `run_id`'s request again and compare the outcome with the stored one.

    Raises `graphs.optimization_run.RunNotFoundError` when the run, its request or its result is missing.
    """
    from graphs.optimization_run import RunNotFoundError, run_directory, run_optimization
    from graphs.request import OptimizationRequest

    settings = settings or get_settings()
    directory = run_directory(run_id, settings)
    request_path, result_path = directory / "request.json", directory / "result.json"
    if not request_path.is_file() or not result_path.is_file():
        raise RunNotFoundError(f"no finished run {run_id} in {directory.parent}")
    stored = json.loads(result_path.read_text())
    events_path = directory / "events.jsonl"
    stored_events = read_jsonl(events_path) if events_path.is_file() else []
    expected = run_outcome_summary(stored, stored_events)
    request = OptimizationRequest.model_validate_json(request_path.read_text())
    new_id = f"{run_id}-replay-{uuid.uuid4().hex[:6]}"
    events: list[TraceEvent] = []
    try:
        outcome = run_optimization(
            request, run_id=new_id, on_event=events.append, settings=settings
        )
    except Exception as exc:
        return ReplayReport(run_id, False, expected, None, error=f"{type(exc).__name__}: {exc}")
    actual = run_outcome_summary(outcome.result, events)
    diff = compare(expected, actual)
    report = ReplayReport(run_id, not diff, expected, actual, diff)
    if diff:
        report.diff.append(f"(the new run is {new_id}, in {outcome.directory})")
    return report


def replay_reference(
    ref: str, *, settings: Settings | None = None, cassettes: str | Path | None = None
) -> ReplayReport:
    """Replay `ref`: a stored run id (re-executed with the current settings), else a cassette
    (a name in `cassettes`, tests/cassettes by default, or a path), replayed offline.

    Raises FileNotFoundError when `ref` is neither.
    """
    from graphs.optimization_run import run_directory

    settings = settings or get_settings()
    is_name = "/" not in ref and not ref.endswith((".yaml", ".json"))
    if is_name and (run_directory(ref, settings) / "request.json").is_file():
        return replay_run(ref, settings=settings)
    if is_name and cassettes is not None:
        ref = str(Path(cassettes) / f"{ref}.yaml")
    name, folder = resolve_cassette(ref)
    return replay(name, folder)


__all__ = ["replay_reference", "replay_run", "run_outcome_summary"]
