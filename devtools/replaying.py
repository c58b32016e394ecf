"""Replaying a cassette offline and checking that it reproduces its snapshot.

`replay(name)` runs the snapshot's script with vcrpy in record mode ``none`` against a Bedrock
client with no endpoint URL, fake credentials and no retries, then compares the outcome with the
snapshot (`compare`: numbers computed by code equal within a relative `RESULT_TOLERANCE`). A
request the cassette does not hold fails the replay with an error that names the agent, the
message index, a short diff of the differing text, and the command that records the cassette
again (`ReplayReport.error`). No model is ever called.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.cassettes import (
    CLEARED_AWS,
    EMBEDDINGS_OFFLINE,
    FAKE_CREDENTIALS,
    OPENAI_REPLAY_HOST,
    OPENAI_REPLAY_KEY,
    TRACING_OFF,
    api_settings,
    cassette_paths,
    default_cassettes_dir,
    embedding_settings,
    environment,
    model_settings,
    vcr_for,
)
from devtools.matching import body_json, closest_recorded, describe_mismatch
from devtools.scripts import Script, run_script

RESULT_TOLERANCE = 1e-9
"""Relative tolerance for numbers in a replayed outcome (objectives computed by code move in
their last digits with the BLAS build; anything larger is a different result)."""


@dataclass
class ReplayReport:
    """The outcome of a replay: whether it reproduced the snapshot, and how it differs."""

    name: str
    reproduced: bool
    expected: dict[str, Any]
    actual: dict[str, Any] | None
    diff: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        """A readable report: "reproduced exactly", or the error and the differences."""
        if self.reproduced:
            return f"{self.name}: reproduced exactly"
        lines = [f"{self.name}: NOT reproduced"]
        if self.error:
            lines += [f"  {line}" for line in self.error.splitlines()]
        lines += [f"  {line}" for line in self.diff]
        return "\n".join(lines)


class UnmatchedRequestError(RuntimeError):
    """A replayed request that the cassette does not hold."""


def load_snapshot(name: str, directory: str | Path | None = None) -> dict[str, Any]:
    """The snapshot saved with cassette `name`."""
    _, path = cassette_paths(name, directory)
    if not path.is_file():
        raise FileNotFoundError(f"no snapshot {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def resolve_cassette(ref: str | Path) -> tuple[str, Path]:
    """``(name, directory)`` of a cassette given as a name in the default cassette directory or
    a path to its ``.yaml`` (or ``.snapshot.json``). Raises FileNotFoundError if there is none."""
    text = str(ref)
    if text.endswith(".snapshot.json"):
        text = text[: -len(".snapshot.json")] + ".yaml"
    path = Path(text)
    if path.suffix != ".yaml" and len(path.parts) == 1:
        path = default_cassettes_dir() / f"{text}.yaml"
    if path.is_file():
        return path.stem, path.parent
    raise FileNotFoundError(f"no cassette {ref} (looked for {path})")


def list_cassettes(directory: str | Path | None = None) -> list[str]:
    """Names of the cassettes (with a snapshot) in `directory`, sorted."""
    folder = Path(directory) if directory is not None else default_cassettes_dir()
    suffix = ".snapshot.json"
    return sorted(
        p.name[: -len(suffix)]
        for p in folder.glob(f"*{suffix}")
        if (folder / (p.name[: -len(suffix)] + ".yaml")).is_file()
    )


def rerecord_command(name: str, directory: str | Path | None = None) -> str:
    """The command that records cassette `name` again from the script in its snapshot."""
    folder = Path(directory) if directory is not None else default_cassettes_dir()
    where = "" if folder.resolve() == default_cassettes_dir().resolve() else f" --dir {folder}"
    return f"stratigos record {name}{where}"


def replay_environment(snapshot: Mapping[str, Any], data_dir: str | Path) -> dict[str, str | None]:
    """The environment a replay runs in (an OpenAI-compatible session: the openai provider on
    `OPENAI_REPLAY_HOST` with a placeholder key, embeddings offline, no retries; else): Bedrock
    with no endpoint URL, the recording's region,
    model ids and embedding model (embeddings through Bedrock too), fake credentials only (every other AWS variable removed, the shared AWS
    files pointed at paths that do not exist), no instance metadata, no LangSmith tracing, one
    attempt per call, and the snapshot's Bedrock API."""
    data_dir = Path(data_dir)
    env: dict[str, str | None] = dict.fromkeys(CLEARED_AWS)
    env |= FAKE_CREDENTIALS
    env |= TRACING_OFF
    env |= model_settings(snapshot["model_ids"])
    if snapshot.get("provider") == "openai":
        env |= EMBEDDINGS_OFFLINE
        base_path = str(snapshot.get("openai_base_path", "/v1"))
        env |= {
            "STRATIGOS_OPENAI_BASE_URL": OPENAI_REPLAY_HOST + base_path,
            "STRATIGOS_OPENAI_API_KEY": OPENAI_REPLAY_KEY,
            "STRATIGOS_OPENAI_STRUCTURED_OUTPUT": str(
                snapshot.get("openai_structured_output", "function_calling")
            ),
            "OPENAI_API_KEY": None,
            "OPENAI_BASE_URL": None,
        }
    else:
        env |= embedding_settings(snapshot.get("embedding"))
    env |= {
        "AWS_CONFIG_FILE": str(data_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(data_dir / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": None,
        "AWS_REGION": None,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "bedrock",
        "STRATIGOS_BEDROCK_ENDPOINT_URL": None,
        "STRATIGOS_BEDROCK_REGION": str(snapshot["region"]),
    }
    return env | api_settings(snapshot["api"], retries=False)  # openai: the provider too


def _unmatched(exc: BaseException) -> Any:
    """vcrpy's CannotOverwriteExistingCassetteException behind `exc` (botocore wraps it)."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, CannotOverwriteExistingCassetteException):
            return current
        inner = getattr(current, "kwargs", {}).get("error")
        stack += [current.__cause__, current.__context__, inner]
    return None


def explain_unmatched(error: Any, rerecord: str) -> str:
    """A people's explanation of a request the cassette does not hold."""
    failed = error.failed_request
    lines = [f"a request to {failed.path} matches no recorded interaction"]
    replayed = body_json(failed)
    same_path = [body_json(r) for r in error.cassette.requests if r.path == failed.path]
    recorded = closest_recorded(replayed or {}, [b for b in same_path if b is not None])
    if not same_path:
        paths = sorted({r.path for r in error.cassette.requests})
        lines.append(
            "the cassette holds no request to this model and API; it holds "
            + ", ".join(paths[:3])
            + (
                " (a cassette replays only in the Bedrock API it was recorded with)"
                if paths
                else ""
            )
        )
    elif error.reason == "already_played":
        lines.append("the run called this model more often than recorded")
    elif replayed is not None and recorded is not None:
        lines += describe_mismatch(replayed, recorded)
    lines.append(f"to record it again: {rerecord}")
    return "\n".join(lines)


def run_under_replay(
    name: str, directory: str | Path | None = None, *, rerecord: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replay cassette `name` (record mode ``none``) and return ``(snapshot, produced)``.

    Raises `UnmatchedRequestError` (with `explain_unmatched`'s text) for a request the cassette
    does not hold, and whatever else the run raises.
    """
    snapshot = load_snapshot(name, directory)
    if "script" not in snapshot:
        raise ValueError(f"snapshot of {name} has no script (an older format): record it again")
    cassette, _ = cassette_paths(name, directory)
    script = Script.model_validate(snapshot["script"])
    with contextlib.ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stratigos-rep-")))
        stack.enter_context(environment(replay_environment(snapshot, data_dir)))
        from settings.config import Settings

        settings = Settings()
        recorder = vcr_for(snapshot["region"], "none", snapshot.get("provider", "bedrock"))
        try:
            with recorder.use_cassette(str(cassette), allow_playback_repeats=False):
                produced = run_script(script, settings)
        except Exception as exc:
            unmatched = _unmatched(exc)
            if unmatched is None:
                raise
            hint = rerecord or rerecord_command(name, directory)
            raise UnmatchedRequestError(explain_unmatched(unmatched, hint)) from exc
    return snapshot, produced


def compare(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Readable differences between two JSON-like values (empty when equal; floats equal
    within `RESULT_TOLERANCE`)."""
    where = path or "<root>"
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        out: list[str] = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing (expected {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{sub}: unexpected {_short(actual[key])}")
            else:
                out += compare(expected[key], actual[key], sub)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if expected == actual:
            return []
        if all(isinstance(x, str) for x in expected + actual):
            return _sequence_diff(expected, actual, where)
        out = []
        if len(expected) != len(actual):
            out.append(f"{where}: {len(expected)} items expected, got {len(actual)}")
        for i, (a, b) in enumerate(zip(expected, actual, strict=False)):
            out += compare(a, b, f"{path}[{i}]")
        return out
    both_floats = isinstance(expected, float) and isinstance(actual, float)
    if both_floats and math.isclose(expected, actual, rel_tol=RESULT_TOLERANCE, abs_tol=1e-15):
        return []
    if expected != actual:
        return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sequence_diff(expected: list[str], actual: list[str], where: str) -> list[str]:
    import difflib

    lines = [f"{where}: sequences differ ({len(expected)} expected, {len(actual)} got)"]
    diff = difflib.unified_diff(expected, actual, "expected", "actual", n=2, lineterm="")
    lines += [f"  {line}" for line in list(diff)[2:42]]
    return lines


def replay(
    name: str, directory: str | Path | None = None, *, rerecord: str | None = None
) -> ReplayReport:
    """Replay cassette `name` offline and compare its outcome with the snapshot. `rerecord` is
    the command named in the error when a request is not in the cassette (default:
    `rerecord_command`)."""
    snapshot = load_snapshot(name, directory)
    expected = {"result": snapshot["result"], "manifest": snapshot["manifest"]}
    try:
        _, produced = run_under_replay(name, directory, rerecord=rerecord)
    except UnmatchedRequestError as exc:
        return ReplayReport(name, False, expected, None, [], error=str(exc))
    except Exception as exc:
        return ReplayReport(name, False, expected, None, [], error=f"{type(exc).__name__}: {exc}")
    diff = compare(expected, produced)
    return ReplayReport(name, not diff, expected, produced, diff)


__all__ = [
    "RESULT_TOLERANCE",
    "ReplayReport",
    "UnmatchedRequestError",
    "compare",
    "explain_unmatched",
    "list_cassettes",
    "load_snapshot",
    "replay",
    "replay_environment",
    "rerecord_command",
    "resolve_cassette",
    "run_under_replay",
]
