"""Run manifest: dataset fingerprints, request hashes, package versions, the manifest itself."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, ValidationError

from graphs.manifest import (
    RunManifest,
    Usage,
    build_manifest,
    dataset_fingerprint,
    git_commit,
    package_versions,
    request_hash,
    tool_schema_hash,
    tool_schemas,
)
from prompts import PROMPTS_DIR, prompt_hashes
from prompts.roles import AGENT_ROLES
from quant.errors import DataError
from quant.synthetic import factor_model_returns
from settings import BedrockSettings, ModelSettings, Settings


@pytest.fixture
def returns() -> pd.DataFrame:
    frame = factor_model_returns(300, 6, seed=3)
    assert isinstance(frame, pd.DataFrame)
    return frame


def test_fingerprint_is_stable(returns: pd.DataFrame) -> None:
    a = dataset_fingerprint(returns)
    b = dataset_fingerprint(returns.copy(deep=True))
    assert a == b
    # same values built from scratch (another memory layout) give the same hash
    rebuilt = pd.DataFrame(
        np.asfortranarray(returns.to_numpy()),
        index=returns.index.copy(),
        columns=list(returns.columns),
    )
    assert dataset_fingerprint(rebuilt) == a
    assert len(a["sha256"]) == 64 and int(a["sha256"], 16) >= 0
    assert (a["n_rows"], a["n_columns"]) == returns.shape
    assert a["columns"] == [str(c) for c in returns.columns]


def test_fingerprint_start_end(returns: pd.DataFrame) -> None:
    fp = dataset_fingerprint(returns)
    if isinstance(returns.index, pd.DatetimeIndex):
        assert fp["start"] == returns.index[0].date().isoformat()
        assert fp["end"] == returns.index[-1].date().isoformat()
    dated = returns.set_axis(pd.bdate_range("2020-01-01", periods=len(returns)), axis=0)
    fp = dataset_fingerprint(dated)
    assert (fp["start"], fp["end"]) == ("2020-01-01", dated.index[-1].date().isoformat())


def test_fingerprint_changes_with_any_value(returns: pd.DataFrame) -> None:
    base = dataset_fingerprint(returns)["sha256"]
    rng = np.random.default_rng(0)
    for _ in range(5):
        i, j = int(rng.integers(returns.shape[0])), int(rng.integers(returns.shape[1]))
        values = returns.to_numpy(copy=True)
        values[i, j] += 1e-12
        changed = pd.DataFrame(values, index=returns.index, columns=returns.columns)
        assert dataset_fingerprint(changed)["sha256"] != base


def test_fingerprint_changes_with_labels(returns: pd.DataFrame) -> None:
    dated = returns.set_axis(pd.bdate_range("2020-01-01", periods=len(returns)), axis=0)
    base = dataset_fingerprint(dated)["sha256"]
    shifted = dated.set_axis(dated.index + pd.Timedelta(days=1), axis=0)
    renamed = dated.rename(columns={dated.columns[0]: "OTHER"})
    reordered = dated[list(dated.columns[::-1])]
    dropped = dated.iloc[:-1]
    for other in (shifted, renamed, reordered, dropped):
        assert dataset_fingerprint(other)["sha256"] != base


def test_fingerprint_rejects_non_numeric() -> None:
    with pytest.raises(DataError, match="numeric"):
        dataset_fingerprint(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(DataError, match="DataFrame"):
        dataset_fingerprint(np.zeros((2, 2)))  # type: ignore[arg-type]


class _Req(BaseModel):
    universe: list[str]
    seed: int = 7
    budget: dict[str, int] = {"max_trials": 200}
    target: float = 0.1


def _reference_hash(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_request_hash() -> None:
    d = {"universe": ["AAPL", "MSFT"], "seed": 7, "budget": {"max_trials": 200}, "target": 0.1}
    reordered = {
        "target": 0.1,
        "budget": {"max_trials": 200},
        "seed": 7,
        "universe": ["AAPL", "MSFT"],
    }
    assert request_hash(d) == request_hash(reordered) == _reference_hash(d)
    assert request_hash(_Req(universe=["AAPL", "MSFT"])) == request_hash(d)
    assert request_hash(d | {"target": 0.11}) != request_hash(d)
    assert request_hash(d | {"universe": ["MSFT", "AAPL"]}) != request_hash(d)


def test_package_versions() -> None:
    versions = package_versions(["numpy", "pandas", "no-such-package-xyz"])
    assert versions == {
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "no-such-package-xyz": None,
    }
    defaults = package_versions()
    assert defaults["langgraph"] is not None and defaults["stratigos"] is not None


def test_build_manifest_offline(returns: pd.DataFrame) -> None:
    req = _Req(universe=["AAPL", "MSFT"])
    t0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    settings = Settings(models=ModelSettings(provider="offline"))
    m = build_manifest("run-1", req, returns=returns, settings=settings, created_at=t0)
    assert m.status == "running" and m.created_at == t0 and m.finished_at is None
    assert m.seed == 7 and m.budgets == {"max_trials": 200}
    assert m.request_hash == request_hash(req)
    assert m.model_provider == "offline"
    assert set(m.model_ids) == set(AGENT_ROLES)
    assert m.prompt_hashes == prompt_hashes()
    assert set(m.prompt_versions) == set(AGENT_ROLES)
    assert m.dataset is not None and m.dataset.sha256 == dataset_fingerprint(returns)["sha256"]
    assert m.package_versions["numpy"] == np.__version__
    assert RunManifest.from_json(m.to_json()) == m

    done = m.finish(
        "partial",
        usage={
            "total_tokens": 1200,
            "trials": 150,
            "wall_time_s": 12.5,
            "timings": {"agents": 0.4},
        },
        reason="trial budget spent",
        finished_at=datetime(2026, 11, 1, 12, 1, tzinfo=UTC),
    )
    assert done.status == "partial" and done.usage.trials == 150 and done.usage.total_tokens == 1200
    assert done.reason == "trial budget spent" and m.status == "running"  # m is unchanged
    assert RunManifest.from_json(done.to_json()) == done
    with pytest.raises(ValidationError):
        m.finish("done")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        m.finish("failed", usage=Usage(trials=1).model_dump() | {"trials": -1})


def test_build_manifest_bedrock_model_ids() -> None:
    settings = Settings(
        models=ModelSettings(provider="bedrock"),
        bedrock=BedrockSettings(
            strong_model_id="strong-id",
            fast_model_id="fast-id",
            model_ids={"risk_manager": "special-id"},
        ),
    )
    m = build_manifest("run-2", {"seed": 1}, settings=settings, packages=[])
    assert m.model_provider == "bedrock"
    assert m.model_ids == {
        "supervisor": "fast-id",
        "market_analysis": "fast-id",
        "optimizer": "strong-id",
        "risk_manager": "special-id",
        "explanation": "strong-id",
    }
    assert m.seed == 1 and m.dataset is None and m.package_versions == {}


def test_manifest_records_changed_prompts(tmp_path: Path) -> None:
    for path in PROMPTS_DIR.glob("*.md"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "explanation.md").write_bytes((PROMPTS_DIR / "explanation.md").read_bytes() + b"x")
    kw = {"model_provider": "offline", "model_ids": {}, "packages": []}
    a = build_manifest("r", {}, **kw)  # type: ignore[arg-type]
    b = build_manifest("r", {}, prompts_dir=tmp_path, **kw)  # type: ignore[arg-type]
    assert a.prompt_hashes["explanation"] != b.prompt_hashes["explanation"]
    assert a.prompt_hashes["optimizer"] == b.prompt_hashes["optimizer"]


def test_naive_timestamps_rejected() -> None:
    with pytest.raises(ValidationError):
        build_manifest(
            "r",
            {},
            model_provider="offline",
            model_ids={},
            packages=[],
            created_at=datetime(2026, 1, 1),
        )


# --------------------------------------------------------------------------- tool schemas, git


def _reference_tool_hash(tools: list[Any]) -> str:
    schemas = {t.name: t.args_schema.model_json_schema() for t in tools}
    text = json.dumps(schemas, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _ArgsA(BaseModel):
    """Arguments of a."""

    x: int


class _ArgsB(BaseModel):
    """Arguments of b."""

    y: float = 0.5


class _ArgsBRenamed(BaseModel):
    """Arguments of b."""

    z: float = 0.5


def _tools(b_args: type[BaseModel] = _ArgsB) -> list[Any]:
    from langchain_core.tools import StructuredTool

    return [
        StructuredTool.from_function(lambda x: x, name="a", description="a", args_schema=_ArgsA),
        StructuredTool.from_function(lambda **k: k, name="b", description="b", args_schema=b_args),
    ]


def test_tool_schema_hash_is_the_canonical_json_of_every_args_schema() -> None:
    from tools import build_tools

    tools = build_tools()
    assert tool_schema_hash() == tool_schema_hash(tools) == _reference_tool_hash(tools)
    assert tool_schema_hash(_tools()) == _reference_tool_hash(_tools())
    assert tool_schema_hash(_tools()[::-1]) == tool_schema_hash(_tools())  # order-free
    assert tool_schema_hash(_tools(_ArgsBRenamed)) != tool_schema_hash(_tools())
    assert set(tool_schemas(tools)) == {t.name for t in tools}


def test_git_commit_is_head_in_a_checkout_and_none_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    here = Path(__file__).resolve().parent
    if shutil.which("git") is not None:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, check=False
        )
        expected = head.stdout.strip() if head.returncode == 0 else None
        assert git_commit(here) == expected
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_commit(tmp_path) is None  # not a checkout
    assert git_commit(tmp_path / "missing") is None  # not even a directory
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable at all
    assert git_commit(here) is None


def test_manifest_records_tool_hash_and_commit() -> None:
    kw: dict[str, Any] = {"model_provider": "offline", "model_ids": {}, "packages": []}
    m = build_manifest("r", {"seed": 2}, **kw)
    assert m.tool_schema_hash == tool_schema_hash()
    assert m.git_commit == git_commit()
    other = build_manifest("r", {"seed": 2}, tools=_tools(), commit=None, **kw)
    assert other.tool_schema_hash == _reference_tool_hash(_tools())
    assert other.git_commit is None
    assert RunManifest.from_json(m.to_json()) == m
    # manifests written before these fields existed still load
    old = json.loads(m.to_json())
    del old["tool_schema_hash"], old["git_commit"]
    assert RunManifest.model_validate(old).tool_schema_hash is None
