"""The container entry point on directories laid out like a SageMaker Processing container."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jobs.batches import BatchShard, PathInputs, ShardResult, run_shard
from jobs.entrypoint import INPUT_DIR, OUTPUT_DIR, RESOURCE_CONFIG, main, process
from quant.strategy import StrategyConfig
from tests.jobs import sample_shards

REPO = Path(__file__).resolve().parents[2]


def _layout(root: Path, shards: list[BatchShard], host: str, hosts: list[str]) -> Path:
    """Write `shards` into <root>/opt/ml/processing/input/shards and the resource config."""
    folder = root / INPUT_DIR / "shards"
    folder.mkdir(parents=True)
    for i, shard in enumerate(shards):
        (folder / f"{i:05d}.json").write_text(shard.to_json())
    config = root / RESOURCE_CONFIG
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
    return folder


def _results(root: Path) -> dict[str, ShardResult]:
    out = {}
    for path in sorted((root / OUTPUT_DIR).glob("*.result.json")):
        result = ShardResult.from_json(path.read_text())
        out[result.shard_id] = result
    return out


def test_entrypoint_evaluates_its_input_directory_like_run_shard(tmp_path: Path) -> None:
    shards = sample_shards(n_paths=12, horizon=90)[:4]
    _layout(tmp_path, shards, "algo-1", ["algo-1"])
    summary = process(tmp_path)
    assert summary.host == "algo-1"
    assert summary.failed == ()
    got = _results(tmp_path)
    assert list(got) == [s.shard_id for s in shards]
    for shard in shards:
        assert got[shard.shard_id].same_values(run_shard(shard))
        assert got[shard.shard_id].host == "algo-1"
    manifest = json.loads((tmp_path / OUTPUT_DIR / "_hosts" / "algo-1.json").read_text())
    assert manifest["files"] == [f"{i:05d}.json" for i in range(4)]


def test_split_by_host_gives_each_host_a_disjoint_share(tmp_path: Path) -> None:
    """FullyReplicated inputs: every host sees every file and takes every n-th one."""
    shards = sample_shards(n_paths=6, horizon=80)[:5]
    seen: list[str] = []
    for host in ("algo-1", "algo-2"):
        root = tmp_path / host
        _layout(root, shards, host, ["algo-1", "algo-2"])
        summary = process(root, split_by_host=True)
        expected = [shards[i].shard_id for i in (range(0, 5, 2) if host == "algo-1" else (1, 3))]
        assert list(_results(root)) == expected
        assert len(summary.processed) == len(expected)
        seen.extend(expected)
    assert sorted(seen) == sorted(s.shard_id for s in shards)


def test_a_failing_shard_writes_an_error_file_and_the_others_finish(tmp_path: Path) -> None:
    good = sample_shards(n_paths=6, horizon=80)[0]
    risky = np.random.default_rng(0).normal(0, 0.01, size=(2, 50))
    bad = BatchShard("too-long", (StrategyConfig(lookback=100),), PathInputs("p", risky))
    folder = _layout(tmp_path, [bad, good], "algo-1", ["algo-1"])
    (folder / "99999.json").write_text("{not json")
    summary = process(tmp_path)
    assert summary.failed == ("00000.json", "99999.json")
    errors = sorted((tmp_path / OUTPUT_DIR).glob("*.error.json"))
    docs = [json.loads(p.read_text()) for p in errors]
    assert docs[0]["shard_id"] == "too-long"
    assert "InsufficientDataError" in docs[0]["reason"]
    assert docs[1]["shard_id"] is None and docs[1]["file"] == "99999.json"
    assert list(_results(tmp_path)) == [good.shard_id]


def test_missing_input_directory_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_python_dash_m_entrypoint_runs_in_a_fresh_process(tmp_path: Path) -> None:
    shards = sample_shards(n_paths=6, horizon=80)[6:8]
    _layout(tmp_path, shards, "algo-2", ["algo-1", "algo-2"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "jobs.entrypoint", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "algo-2: 2 shards, 0 failed" in done.stdout
    got = _results(tmp_path)
    for shard in shards:
        assert got[shard.shard_id].same_values(run_shard(shard))
