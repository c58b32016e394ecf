"""What a recorded session does, and running it: an optimization request or a chat script.

A `Script` is stored in every cassette's snapshot, so a replay knows what to run:

- ``{"kind": "optimization", "request": {...}}``: the optimization workflow on an
  `OptimizationRequest` (JSON);
- ``{"kind": "chat", "steps": [...]}``: a chat thread, each step a user message
  (``{"message": "..."}``) or a decision on the pending run (``{"decision": "approve"}``,
  ``{"decision": "reject"}``, ``{"decision": "edit", "changes": {...}}``);
- ``{"kind": "embedding", "texts": [...], "dimensions": 256}``: the configured embedder
  (`research.embedder_factory.embedder_for`) embeds the texts (``dimensions`` optional: the
  settings' `embedding_dimensions` otherwise);
- ``{"kind": "mcp", "steps": [{"message": "..."}, ...]}``: the chat's agents drive the tools of
  `stratigos mcp` (stdio) through `langchain-mcp-adapters`, one user message per step
  (`devtools.mcp_session`); a search or deployment they ask for is only drafted.

`run_script(script, settings)` runs one and returns what a snapshot keeps (``result`` and
``manifest``). `ChatRecorder` drives a chat session step by step (a script, or a person at the
command line) and keeps the same record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from traces.schema import TraceEvent

_RUN_ID = re.compile(r"\brun_[0-9a-f]{12}\b")

MANIFEST_KEYS: tuple[str, ...] = (
    "request_hash",
    "seed",
    "model_provider",
    "model_ids",
    "prompt_hashes",
    "tool_schema_hash",
    "dataset",
    "budgets",
)
"""The manifest fields a snapshot keeps and a replay compares (not times, versions or usage)."""


DEFAULT_THREAD = "recorded-chat"
"""The thread a chat script runs on unless it names one (each run gets a fresh data directory)."""


class ScriptError(ValueError):
    """A script (request file, chat file or stored script) that cannot be run, with the reason."""


class ChatStep(BaseModel):
    """One step of a chat script: a user message, or a decision on the pending run."""

    model_config = ConfigDict(extra="forbid")

    message: str | None = Field(default=None, min_length=1)
    decision: Literal["approve", "reject", "edit"] | None = None
    changes: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ChatStep:
        if (self.message is None) == (self.decision is None):
            raise ValueError("a step is either a message or a decision")
        if self.changes is not None and self.decision != "edit":
            raise ValueError("changes go with the decision edit")
        return self


class Script(BaseModel):
    """What a session runs: an optimization request, or the steps of a chat."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["optimization", "chat", "embedding", "mcp"]
    request: dict[str, Any] | None = None
    steps: list[ChatStep] = Field(default_factory=list)
    texts: list[str] = Field(default_factory=list)
    """The texts an embedding script embeds."""
    dimensions: int | None = None
    """The vector length of an embedding script (None: the settings' embedding_dimensions)."""
    thread: str = Field(default=DEFAULT_THREAD, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The chat's thread id (artifact ids such as portfolio ids derive from it)."""

    @model_validator(mode="after")
    def _complete(self) -> Script:
        if self.kind == "embedding":
            if not self.texts or self.request is not None or self.steps:
                raise ValueError("an embedding script has texts, and no request or steps")
            if self.dimensions is not None:
                from settings import EMBEDDING_DIMENSION_CHOICES

                if self.dimensions not in EMBEDDING_DIMENSION_CHOICES:
                    raise ValueError(
                        f"dimensions must be one of {EMBEDDING_DIMENSION_CHOICES}, "
                        f"got {self.dimensions}"
                    )
            return self
        if self.texts or self.dimensions is not None:
            raise ValueError("texts and dimensions belong to an embedding script")
        if self.kind == "optimization":
            if self.request is None or self.steps:
                raise ValueError("an optimization script has a request and no steps")
            from graphs.request import OptimizationRequest

            OptimizationRequest.model_validate(self.request)
        elif self.kind == "mcp":
            if (
                self.request is not None
                or not self.steps
                or any(s.message is None for s in self.steps)
            ):
                raise ValueError("an MCP script has steps, each a user message, and no request")
        elif self.request is not None or not self.steps or self.steps[0].message is None:
            raise ValueError("a chat script has steps, starting with a message, and no request")
        return self

    def canonical(self) -> dict[str, Any]:
        """The script as plain JSON data (unset fields left out)."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {
            "kind": self.kind
        }


def _validated(data: Any, source: str) -> Script:
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'script'}: {e['msg']}" for e in exc.errors()
        )
        raise ScriptError(f"{source}: {problems}") from None


def optimization_script(request: dict[str, Any], source: str = "request") -> Script:
    """A script running the optimization workflow on `request` (validated)."""
    return _validated({"kind": "optimization", "request": request}, source)


def chat_script(steps: list[Any], source: str = "chat script") -> Script:
    """A chat script from its steps (validated)."""
    return _validated({"kind": "chat", "steps": steps}, source)


def mcp_script(messages: list[str], source: str = "MCP script") -> Script:
    """A script in which the agents drive the MCP tools, one user message per step."""
    return _validated({"kind": "mcp", "steps": [{"message": m} for m in messages]}, source)


def embedding_script(
    texts: list[str], dimensions: int | None = None, source: str = "embedding script"
) -> Script:
    """A script embedding `texts` (validated)."""
    data: dict[str, Any] = {"kind": "embedding", "texts": texts}
    if dimensions is not None:
        data["dimensions"] = dimensions
    return _validated(data, source)


def read_chat_file(path: Path) -> Script:
    """A chat script from a file: JSON (a list of steps, or ``{"steps": [...]}``), or plain text
    with one user message per line and ``/approve``, ``/reject`` or ``/edit {json}`` lines for
    decisions (blank lines and lines starting with ``#`` are skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read chat file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return chat_script(_text_steps(text, path), str(path))
    steps = data.get("steps") if isinstance(data, dict) else data
    if not isinstance(steps, list):
        raise ScriptError(f"{path}: a JSON chat file holds a list of steps or {{'steps': [...]}}")
    return chat_script(steps, str(path))


def read_mcp_file(path: Path) -> Script:
    """An MCP script from a file written as a chat file (`read_chat_file`) whose steps are all
    user messages."""
    steps = read_chat_file(path).steps
    return _validated(
        {"kind": "mcp", "steps": [step.model_dump(exclude_none=True) for step in steps]}, str(path)
    )


def _text_steps(text: str, path: Path) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("/approve", "/reject"):
            steps.append({"decision": line[1:]})
        elif line.startswith("/edit"):
            try:
                changes = json.loads(line[len("/edit") :] or "{}")
            except json.JSONDecodeError as exc:
                raise ScriptError(
                    f"{path}:{number}: /edit needs a JSON object ({exc.msg})"
                ) from None
            steps.append({"decision": "edit", "changes": changes})
        elif line.startswith("/"):
            raise ScriptError(f"{path}:{number}: unknown command {line.split()[0]}")
        else:
            steps.append({"message": line})
    return steps


def normalise_ids(text: str) -> str:
    """Replace generated run ids by ``run_<id>`` (they differ on every execution)."""
    return _RUN_ID.sub("run_<id>", text)


def manifest_subset(manifest: dict[str, Any] | None) -> dict[str, Any]:
    """The fields of a run manifest that must be equal when a run is reproduced."""
    manifest = manifest or {}
    out = {key: manifest.get(key) for key in MANIFEST_KEYS}
    dataset = out.get("dataset")
    if isinstance(dataset, dict):
        out["dataset"] = dataset.get("sha256")
    return out


def optimization_outcome(result: dict[str, Any] | None, status: str) -> dict[str, Any]:
    """What a snapshot keeps of an optimization's result: status, best configuration and
    objective, trial count and explanation text."""
    result = result or {}
    best = result.get("best") or {}
    return {
        "status": result.get("status", status),
        "best_config": best.get("config"),
        "best_objective": best.get("objective"),
        "n_trials": result.get("n_trials"),
        "explanation": (result.get("explanation") or {}).get("text"),
    }


def run_optimization_script(script: Script, settings: Any) -> dict[str, Any]:
    """Run an optimization script as run ``run_recorded``; returns ``{result, manifest}``."""
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest

    events: list[TraceEvent] = []
    request = OptimizationRequest.model_validate(script.request)
    outcome = run_optimization(
        request, run_id="run_recorded", on_event=events.append, settings=settings
    )
    result = outcome.result or {}
    return {
        "result": optimization_outcome(result, outcome.status)
        | {"event_types": [e.type for e in events]},
        "manifest": manifest_subset(result.get("manifest")),
    }


EventSink = Callable[[TraceEvent], None]


class ChatRecorder:
    """A chat session driven step by step, keeping what a snapshot needs: each turn's replies
    (run ids normalised), tool calls and pending approval, the trace's event types, and the
    outcome of every run the chat started."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.thread_id: str = session.thread_id
        self.steps: list[dict[str, Any]] = []
        self.turns: list[dict[str, Any]] = []
        self.event_types: list[str] = []
        self._runs_dir = Path(session.settings.data_dir) / "runs"
        self._runs: list[Path] = []

    def pending(self) -> dict[str, Any] | None:
        """The approval the thread waits for, or None."""
        pending: dict[str, Any] | None = self.session.pending()
        return pending

    def send(self, text: str, *, on_event: EventSink | None = None) -> Any:
        """Send a user message (recorded as a step)."""
        return self._step(
            {"message": text}, lambda sink: self.session.send(text, on_event=sink), on_event
        )

    def decide(
        self,
        action: str,
        *,
        changes: dict[str, Any] | None = None,
        on_event: EventSink | None = None,
    ) -> Any:
        """Answer the pending approval (recorded as a step)."""
        step: dict[str, Any] = {"decision": action}
        if action == "edit":
            step["changes"] = changes or {}
        return self._step(
            step, lambda sink: self.session.decide(action, changes=changes, on_event=sink), on_event
        )

    def _step(
        self, step: dict[str, Any], call: Callable[[EventSink], Any], on_event: EventSink | None
    ) -> Any:
        before = self._run_dirs()
        events: list[TraceEvent] = []

        def sink(event: TraceEvent) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        turn = call(sink)
        self.steps.append(step)
        self.event_types += [e.type for e in events]
        self._runs += sorted(self._run_dirs() - before)
        self.turns.append(
            {
                "step": step["message"] if "message" in step else f"<{step['decision']}>",
                "replies": [normalise_ids(r) for r in turn.replies],
                "tools": [e.data["tool"] for e in events if e.type == "tool_call"],
                "pending": turn.pending is not None,
            }
        )
        return turn

    def _run_dirs(self) -> set[Path]:
        return {p.parent for p in self._runs_dir.glob("*/result.json")}

    def script(self) -> Script:
        """The steps taken so far, as a script (on this thread)."""
        return _validated({"kind": "chat", "steps": self.steps, "thread": self.thread_id}, "chat")

    def outcome(self) -> dict[str, Any]:
        """``{result, manifest}``: the turns, event types and runs (the last run's manifest)."""
        runs = stored_runs(self._runs)
        result = {
            "turns": self.turns,
            "event_types": self.event_types,
            "runs": [optimization_outcome(r, r.get("status", "failed")) for r in runs],
        }
        return {
            "result": result,
            "manifest": manifest_subset(runs[-1].get("manifest") if runs else None),
        }


def stored_runs(directories: list[Path]) -> list[dict[str, Any]]:
    """The stored results (`result.json`) of the runs in `directories`."""
    return [json.loads((d / "result.json").read_text()) for d in directories]


def run_mcp_script(script: Script, settings: Any) -> dict[str, Any]:
    """Run an MCP script (`devtools.mcp_session`); returns ``{result, manifest}``: the turns,
    each draft's status at the end, the runs of the data directory (a draft that waits starts
    none), and the provider, model ids and hash of the tools the server listed."""
    from agents.models import model_ids
    from devtools.mcp_session import DraftNotLastError, converse_over_mcp
    from graphs.manifest import tool_schema_hash

    try:
        done = converse_over_mcp([step.message or "" for step in script.steps], settings)
    except DraftNotLastError as exc:
        raise ScriptError(str(exc)) from None
    runs = stored_runs(
        sorted(p.parent for p in Path(settings.data_dir, "runs").glob("*/result.json"))
    )
    result = {
        "turns": done.turns,
        "drafts": done.drafts,
        "runs": [optimization_outcome(r, r.get("status", "failed")) for r in runs],
    }
    manifest = manifest_subset(None) | {
        "model_provider": settings.models.resolved_provider(),
        "model_ids": model_ids(settings),
        "tool_schema_hash": tool_schema_hash(done.tools),
    }
    return {"result": result, "manifest": manifest}


def run_chat_script(script: Script, settings: Any) -> dict[str, Any]:
    """Run a chat script on a new thread; returns ``{result, manifest}``."""
    from graphs.chat import ChatSession

    # the recorded thread id (artifact ids derive from it) in this run's own data directory
    recorder = ChatRecorder(ChatSession(script.thread, settings=settings))
    for number, step in enumerate(script.steps, start=1):
        if step.message is not None:
            recorder.send(step.message)
        elif recorder.pending() is None:
            raise ScriptError(f"step {number} ({step.decision}): no run is waiting for approval")
        else:
            recorder.decide(step.decision or "reject", changes=step.changes)
    return recorder.outcome()


def float32_values(row: Any) -> list[float]:
    """float32 values as the shortest decimals that read back as the same float32 (a snapshot
    keeps vectors exactly, and readably)."""
    import numpy as np

    return [float(str(v)) for v in np.asarray(row, dtype=np.float32)]


def run_embedding_script(script: Script, settings: Any) -> dict[str, Any]:
    """Embed an embedding script's texts with the configured embedder; returns ``{result,
    manifest}``: the model id, the dimensions and every vector (float32 values)."""
    from research.embedder_factory import embedder_for

    if script.dimensions is not None:
        settings = settings.model_copy(
            update={
                "embeddings": settings.embeddings.model_copy(
                    update={"dimensions": script.dimensions}
                )
            }
        )
    embedder = embedder_for(settings)
    vectors = embedder.embed_documents(script.texts)
    result = {
        "model_id": embedder.model_id,
        "dimensions": embedder.dimensions,
        "vectors": [float32_values(row) for row in vectors],
    }
    manifest = manifest_subset(None) | {
        "model_provider": settings.resolved_embedding_provider(),
        "model_ids": {"embedding": embedder.model_id},
    }
    return {"result": result, "manifest": manifest}


def run_script(script: Script, settings: Any) -> dict[str, Any]:
    """Run `script`; returns what a snapshot keeps (``result`` and ``manifest``)."""
    if script.kind == "optimization":
        return run_optimization_script(script, settings)
    if script.kind == "embedding":
        return run_embedding_script(script, settings)
    if script.kind == "mcp":
        return run_mcp_script(script, settings)
    return run_chat_script(script, settings)


__all__ = [
    "MANIFEST_KEYS",
    "ChatRecorder",
    "ChatStep",
    "Script",
    "ScriptError",
    "chat_script",
    "embedding_script",
    "float32_values",
    "manifest_subset",
    "mcp_script",
    "normalise_ids",
    "optimization_outcome",
    "optimization_script",
    "read_chat_file",
    "read_mcp_file",
    "run_script",
]
