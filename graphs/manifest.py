"""The run manifest: everything needed to know what produced a run's result.

A `RunManifest` records the run id and graph, when it started and ended, the request's hash and
seed, the model provider and the model id of every agent role, the sha256 of every prompt file,
the versions of the packages that compute results, a fingerprint of the returns data, the
budgets and what was used of them (tokens, trials, wall time), the sha256 of the tools' argument
schemas, the git commit of the code, the warm start's inputs (`graphs.warm_start`), and the
final status.
Two runs with equal manifests (apart from ids, times and usage) computed the same thing.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_jsonable_python

from prompts import prompt_hashes, prompt_versions
from prompts.roles import AGENT_ROLES
from quant.errors import DataError

if TYPE_CHECKING:
    from settings.config import Settings

MANIFEST_SCHEMA_VERSION: Literal["1"] = "1"

ManifestStatus = Literal["running", "succeeded", "partial", "failed", "interrupted"]

DEFAULT_PACKAGES: tuple[str, ...] = (
    "stratigos",
    "numpy",
    "pandas",
    "scipy",
    "numba",
    "cvxpy",
    "optuna",
    "pydantic",
    "langgraph",
    "langchain-core",
    "langchain-aws",
    "langchain-openai",
    "boto3",
)
"""Packages whose versions go into every manifest (the ones that shape results)."""


# --------------------------------------------------------------------------- fingerprints


def _index_bytes(index: pd.Index) -> bytes:
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return np.ascontiguousarray(index.as_unit("ns").asi8, dtype="<i8").tobytes()
    return json.dumps([str(v) for v in index], ensure_ascii=False).encode("utf-8")


def _label(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    return str(value)


def dataset_fingerprint(returns: pd.DataFrame) -> dict[str, Any]:
    """Fingerprint of a returns table: sha256 over its shape, column names, index and values.

    Values are hashed as little-endian float64 in row-major order, the index as int64
    nanoseconds (UTC) for dates, else as strings. Returns `{"sha256", "n_rows", "n_columns",
    "columns", "start", "end"}` (start and end are the first and last index labels, ISO dates
    for a date index). Any change of one value, one date, a column name or the column order
    changes the hash. Raises DataError if a column is not numeric.
    """
    if not isinstance(returns, pd.DataFrame):
        raise DataError(f"returns must be a pandas DataFrame, got {type(returns).__name__}")
    try:
        values = np.ascontiguousarray(returns.to_numpy(dtype=np.float64), dtype="<f8")
    except (TypeError, ValueError) as exc:
        raise DataError(f"returns must be numeric to fingerprint them: {exc}") from exc
    columns = [str(c) for c in returns.columns]
    digest = hashlib.sha256()
    digest.update(b"stratigos-returns-v1\0")
    digest.update(f"{values.shape[0]}x{values.shape[1]}\0".encode())
    digest.update(json.dumps(columns, ensure_ascii=False).encode("utf-8") + b"\0")
    digest.update(_index_bytes(returns.index) + b"\0")
    digest.update(values.tobytes())
    n = len(returns.index)
    return {
        "sha256": digest.hexdigest(),
        "n_rows": int(values.shape[0]),
        "n_columns": int(values.shape[1]),
        "columns": columns,
        "start": _label(returns.index[0]) if n else None,
        "end": _label(returns.index[-1]) if n else None,
    }


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys, no spaces, UTF-8 text: the form that `request_hash` hashes."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    return json.dumps(
        to_jsonable_python(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def request_hash(request: BaseModel | Mapping[str, Any]) -> str:
    """sha256 hex of the request's canonical JSON (a pydantic model is dumped with its defaults,
    so hash the validated request for a value that doesn't depend on how it was written)."""
    return hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()


def package_versions(packages: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    """`{package: installed version}` (None when a package is not installed)."""
    return {name: _installed_version(name) for name in packages}


@lru_cache(maxsize=256)
def _installed_version(name: str) -> str | None:
    # read once per process: finding and parsing a package's METADATA takes milliseconds, and
    # every run's manifest names a dozen packages
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def tool_schemas(tools: Iterable[Any] | None = None) -> dict[str, Any]:
    """`{tool name: JSON schema of its arguments}` for `tools` (every tool of
    `tools.build_tools()` by default). The schema of a pydantic `args_schema` is its
    `model_json_schema()` (field names, types, defaults, descriptions, the model's docstring)."""
    if tools is None:
        from tools import build_tools

        tools = build_tools()
    out: dict[str, Any] = {}
    for tool in tools:
        schema = getattr(tool, "args_schema", None)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            out[str(tool.name)] = schema.model_json_schema()
        elif isinstance(schema, Mapping):
            out[str(tool.name)] = dict(schema)
        else:
            out[str(tool.name)] = getattr(tool, "args", {})
    return out


def tool_schema_hash(tools: Iterable[Any] | None = None) -> str:
    """sha256 hex of the canonical JSON (sorted keys, no spaces) of `tool_schemas(tools)`.

    Any change of a tool's name, an argument's name, type, default or description changes it.
    """
    if tools is None:
        return _default_tool_schema_hash()
    return hashlib.sha256(canonical_json(tool_schemas(tools)).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _default_tool_schema_hash() -> str:
    # the tool set is fixed for the process (building it imports the numeric stack once)
    return hashlib.sha256(canonical_json(tool_schemas()).encode("utf-8")).hexdigest()


def git_commit(path: str | Path | None = None) -> str | None:
    """The commit checked out at `path` (this package's directory by default), from
    `git rev-parse HEAD`; None when it is not a git checkout, git is missing or anything fails.
    Never raises."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    commit = completed.stdout.strip()
    if completed.returncode != 0 or len(commit) not in (40, 64):
        return None
    try:
        int(commit, 16)
    except ValueError:
        return None
    return commit


# --------------------------------------------------------------------------- the manifest


class DatasetFingerprint(BaseModel):
    """What `dataset_fingerprint` returns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str
    n_rows: int = Field(ge=0)
    n_columns: int = Field(ge=0)
    columns: list[str]
    start: str | None = None
    end: str | None = None


class Usage(BaseModel):
    """What a run used: LLM calls and tokens, each counted once in Bedrock's terms (input: the
    prompt tokens neither read from nor written to the prompt cache; cache reads; cache writes;
    output; total: their sum, what the token budget charges), trials evaluated, wall time in
    seconds, and the wall-time breakdown by phase in seconds (e.g. data, scenarios, evaluation,
    agents). The prompt's size is input + cache reads + cache writes, with caching on or off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    cache_read_tokens: int = Field(default=0, ge=0)
    cache_write_tokens: int = Field(default=0, ge=0)
    llm_calls: int = Field(default=0, ge=0)
    fallback_calls: int = Field(
        default=0, ge=0, description="Model calls a fallback route answered (throttling)."
    )
    trials: int = Field(default=0, ge=0)
    wall_time_s: float = Field(default=0.0, ge=0)
    timings: dict[str, float] = Field(default_factory=dict)


class RunManifest(BaseModel):
    """Provenance of one run (schema version "1"); times are UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1"] = MANIFEST_SCHEMA_VERSION
    run_id: str = Field(min_length=1)
    graph: str = "optimization"
    created_at: datetime
    finished_at: datetime | None = None
    request_hash: str
    seed: int | None = None
    model_provider: str
    model_ids: dict[str, str]
    model_routes: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The model ids each Bedrock role falls over to in turn when its model stays "
        "throttled (agents.model_routes; usage.fallback_calls counts the calls they answered).",
    )
    prompt_hashes: dict[str, str]
    prompt_versions: dict[str, int]
    package_versions: dict[str, str | None]
    python_version: str
    platform: str
    dataset: DatasetFingerprint | None = None
    tool_schema_hash: str | None = None
    git_commit: str | None = None
    budgets: dict[str, float | int | None] = Field(default_factory=dict)
    warm_start: dict[str, Any] | None = Field(
        default=None,
        description="The warm start's inputs (graphs.warm_start.MANIFEST_FIELDS): the owner's "
        "strategy model version it read, the runs it learnt from, the configurations it "
        "evaluated first; None for a cold search.",
    )
    usage: Usage = Field(default_factory=Usage)
    status: ManifestStatus = "running"
    reason: str | None = None

    @field_validator("created_at", "finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value.astimezone(UTC)

    def finish(
        self,
        status: ManifestStatus,
        *,
        usage: Usage | Mapping[str, Any] | None = None,
        reason: str | None = None,
        finished_at: datetime | None = None,
    ) -> RunManifest:
        """A copy marked finished with `status`, the usage and the end time (now by default)."""
        update: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "finished_at": finished_at or datetime.now(UTC),
        }
        if usage is not None:
            update["usage"] = usage
        return RunManifest.model_validate(self.model_dump() | update)

    def to_json(self, indent: int | None = 2) -> str:
        """The manifest as JSON."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> RunManifest:
        """Parse and validate a manifest."""
        return cls.model_validate_json(text)


def build_manifest(
    run_id: str,
    request: BaseModel | Mapping[str, Any],
    *,
    graph: str = "optimization",
    seed: int | None = None,
    returns: pd.DataFrame | None = None,
    budgets: BaseModel | Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    model_provider: str | None = None,
    model_ids: Mapping[str, str] | None = None,
    prompts_dir: str | Path | None = None,
    packages: Iterable[str] = DEFAULT_PACKAGES,
    created_at: datetime | None = None,
    tools: Iterable[Any] | None = None,
    commit: str | None = "auto",
    warm_start: Mapping[str, Any] | None = None,
) -> RunManifest:
    """A `RunManifest` with status "running" for a run about to start.

    `seed` defaults to the request's `seed` field and `budgets` to its `budget` field when it
    has them. `model_provider` and `model_ids` default to what the settings resolve to
    (`agents.models.model_ids`). `returns` is the returns table the run evaluates on.
    `tools` are the tools whose argument schemas are hashed (`tool_schema_hash`; every tool
    of `tools.build_tools()` by default); `commit` is the git commit ("auto": `git_commit()`,
    None when this is not a checkout). `warm_start`: the warm start's inputs (None: cold).
    """
    req = request.model_dump(mode="json") if isinstance(request, BaseModel) else dict(request)
    if seed is None and isinstance(req.get("seed"), int):
        seed = req["seed"]
    if budgets is None:
        budgets = req.get("budget") if isinstance(req.get("budget"), Mapping) else {}
    budget_dict = (
        budgets.model_dump(mode="json") if isinstance(budgets, BaseModel) else dict(budgets or {})
    )
    routes: dict[str, list[str]] = {}
    if model_provider is None or model_ids is None:
        from agents.models import routes_for
        from settings.config import get_settings

        settings = settings or get_settings()
        routes = {r: found for r in AGENT_ROLES if len(found := routes_for(r, settings)) > 1}
        if model_provider is None:
            from agents.providers import provider_summary

            model_provider = provider_summary(settings)
        if model_ids is None:
            from agents.models import model_ids as resolve_model_ids

            model_ids = resolve_model_ids(settings)
    return RunManifest(
        run_id=run_id,
        graph=graph,
        created_at=created_at or datetime.now(UTC),
        request_hash=request_hash(request),
        seed=seed,
        model_provider=model_provider,
        model_ids=dict(model_ids),
        model_routes=routes,
        prompt_hashes=prompt_hashes(prompts_dir),
        prompt_versions=prompt_versions(prompts_dir),
        package_versions=package_versions(packages),
        python_version=sys.version.split()[0],
        platform=platform.platform(),
        dataset=DatasetFingerprint(**dataset_fingerprint(returns)) if returns is not None else None,
        tool_schema_hash=tool_schema_hash(tools),
        git_commit=git_commit() if commit == "auto" else commit,
        budgets=budget_dict,
        warm_start=None if warm_start is None else dict(warm_start),
    )


__all__ = [
    "DEFAULT_PACKAGES",
    "MANIFEST_SCHEMA_VERSION",
    "DatasetFingerprint",
    "ManifestStatus",
    "RunManifest",
    "Usage",
    "build_manifest",
    "canonical_json",
    "dataset_fingerprint",
    "git_commit",
    "package_versions",
    "request_hash",
    "tool_schema_hash",
    "tool_schemas",
]
