"""Shards of a sweep batch: what a compute backend ships to a worker, and what comes back.

A sweep batch is C `StrategyConfig`s evaluated on S scenarios of P paths x T days. A
`BatchShard` is a slice of it: some configs x one scenario x all its paths, plus the safe rate
(annual). It carries what is needed to rebuild its inputs, not the paths themselves: a
`ScenarioSpec` (a seeded scenario request over an `EmbeddedHistory` or an `ArrayHistory`) or
`PathInputs` (the paths themselves, for small shards); see `jobs.shard_inputs`.

`evaluate_shard(shard)` is the one pure function every backend runs: it rebuilds the inputs
(cached per process, keyed by the spec's content hash) and calls
`quant.evaluate_path_means`, exactly what `graphs.optimization.evaluate` does for
one scenario. A `ShardResult` holds the path means per metric per config ([C] each, annualised
as the engine reports them; VaR, CVaR and drawdown positive = loss) and, when the shard asks for
them, the per-path Sharpe ratios [C, P].

Serialisation: `to_json()` / `from_json()` give one self-contained JSON document per shard or
result (float arrays stored as base64 of little-endian float64 bytes, floats as shortest
round-trip reprs), so a shard read back is bit-for-bit the shard written, and one shard is one
S3 object (SageMaker's `ShardedByS3Key` distributes objects, so a shard must never span two).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bounded_lru import BoundedLru
from jobs.compute_errors import ShardError, describe_exception
from jobs.shard_inputs import (
    ArrayHistory,
    EmbeddedHistory,
    Inputs,
    PathInputs,
    ScenarioSpec,
    decode_array,
    encode_array,
    inputs_from_dict,
)
from quant import ScenarioData, evaluate_path_means
from quant.errors import DataError
from quant.options.vol_model import ImpliedVolModel
from quant.strategy import StrategyConfig

__all__ = [
    "SCHEMA_VERSION",
    "ArrayHistory",
    "BatchShard",
    "EmbeddedHistory",
    "PathInputs",
    "ScenarioSpec",
    "ShardResult",
    "clear_input_cache",
    "evaluate_shard",
    "make_shards",
    "path_means",
    "run_shard",
    "scenario_data",
    "worker_name",
]

SCHEMA_VERSION = 1
"""Version of the shard and result JSON documents."""

INPUT_CACHE_SIZE = 8
"""Rebuilt scenario inputs kept per process (a 300-path, 252-day, 20-asset scenario is ~12 MB)."""


# --------------------------------------------------------------------------------------------
# shards and results
# --------------------------------------------------------------------------------------------
def _as_config(item: StrategyConfig | Mapping[str, Any]) -> StrategyConfig:
    return item if isinstance(item, StrategyConfig) else StrategyConfig.model_validate(item)


@dataclass(frozen=True, eq=False)
class BatchShard:
    """Configs x one scenario x its paths: the unit of work of a compute backend.

    `shard_id`: unique within a `map` call (results are matched by it). `configs`: the
    `StrategyConfig`s (mappings are validated into them). `inputs`: how to rebuild the scenario.
    `safe`: the safe asset's annual rate, passed to the engine as is. `sharpe_paths`: also return
    the per-path Sharpe ratios [C, P]. `vol_model`: the implied-volatility model that prices
    option overlays (the engine's default when None). `statistics`: keys
    ``<metric>@<statistic>`` of the statistics of the paths to return beside the path means
    (`quant.limits.statistic_key`: what the risk limits are checked on).
    """

    shard_id: str
    configs: Sequence[StrategyConfig]
    inputs: Inputs
    safe: float = 0.02
    sharpe_paths: bool = False
    vol_model: ImpliedVolModel | None = None
    statistics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.shard_id, str) or not self.shard_id:
            raise ValueError(f"shard_id must be a non-empty string, got {self.shard_id!r}")
        object.__setattr__(self, "configs", tuple(_as_config(c) for c in self.configs))
        object.__setattr__(self, "safe", float(self.safe))
        object.__setattr__(self, "statistics", tuple(str(k) for k in self.statistics))

    @property
    def scenario(self) -> str:
        """Name of the shard's scenario."""
        return self.inputs.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "schema": SCHEMA_VERSION,
            "shard_id": self.shard_id,
            "safe": self.safe,
            "sharpe_paths": self.sharpe_paths,
            "configs": [c.model_dump(mode="json") for c in self.configs],
            "inputs": self.inputs.to_dict(),
            "vol_model": None if self.vol_model is None else self.vol_model.model_dump(),
            "statistics": list(self.statistics),
        }

    def to_json(self) -> str:
        """One self-contained JSON document."""
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> BatchShard:
        """Inverse of `to_dict`; raises `DataError` for another schema version."""
        if doc.get("schema") != SCHEMA_VERSION:
            raise DataError(
                f"shard schema must be {SCHEMA_VERSION}, got {doc.get('schema')!r} (shard "
                f"{doc.get('shard_id')!r})"
            )
        return cls(
            shard_id=str(doc["shard_id"]),
            configs=tuple(StrategyConfig.model_validate(c) for c in doc["configs"]),
            inputs=inputs_from_dict(doc["inputs"]),
            safe=float(doc["safe"]),
            sharpe_paths=bool(doc.get("sharpe_paths", False)),
            vol_model=None
            if doc.get("vol_model") is None
            else ImpliedVolModel.model_validate(doc["vol_model"]),
            statistics=tuple(doc.get("statistics") or ()),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BatchShard:
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True, eq=False)
class ShardResult:
    """What a shard's evaluation gives.

    `means[metric]`: [C] path means of the engine's metric (and hedge measure) per config, in the shard's config
    order (`config_ids`), and the statistics the shard asked for by key. `sharpe_paths`: [C, P] per-path annualised Sharpe ratios, or None.
    `host` and `elapsed_s` (seconds) say where and how long; they are not part of the values.
    """

    shard_id: str
    scenario: str
    config_ids: tuple[str, ...]
    means: dict[str, np.ndarray]
    sharpe_paths: np.ndarray | None = None
    host: str = ""
    elapsed_s: float = field(default=0.0, compare=False)

    def same_values(self, other: ShardResult) -> bool:
        """True when both hold bit-for-bit the same values for the same shard and configs."""
        if (self.shard_id, self.scenario, self.config_ids) != (
            other.shard_id,
            other.scenario,
            other.config_ids,
        ):
            return False
        if list(self.means) != list(other.means):
            return False
        if not all(
            np.array_equal(self.means[m], other.means[m], equal_nan=True) for m in self.means
        ):
            return False
        if self.sharpe_paths is None or other.sharpe_paths is None:
            return self.sharpe_paths is None and other.sharpe_paths is None
        return bool(np.array_equal(self.sharpe_paths, other.sharpe_paths, equal_nan=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (arrays base64-encoded, so NaN and every bit survive)."""
        return {
            "schema": SCHEMA_VERSION,
            "shard_id": self.shard_id,
            "scenario": self.scenario,
            "config_ids": list(self.config_ids),
            "means": {m: encode_array(v) for m, v in self.means.items()},
            "sharpe_paths": None if self.sharpe_paths is None else encode_array(self.sharpe_paths),
            "host": self.host,
            "elapsed_s": float(self.elapsed_s),
        }

    def to_json(self) -> str:
        """One self-contained JSON document."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ShardResult:
        """Inverse of `to_dict`."""
        if doc.get("schema") != SCHEMA_VERSION:
            raise DataError(f"result schema must be {SCHEMA_VERSION}, got {doc.get('schema')!r}")
        sharpe = doc.get("sharpe_paths")
        return cls(
            shard_id=str(doc["shard_id"]),
            scenario=str(doc["scenario"]),
            config_ids=tuple(str(c) for c in doc["config_ids"]),
            means={str(m): decode_array(v) for m, v in doc["means"].items()},
            sharpe_paths=None if sharpe is None else decode_array(sharpe),
            host=str(doc.get("host", "")),
            elapsed_s=float(doc.get("elapsed_s", 0.0)),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ShardResult:
        """Inverse of `to_json`."""
        return cls.from_dict(json.loads(text))


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
_CACHE: BoundedLru[str, ScenarioData] = BoundedLru(INPUT_CACHE_SIZE)


def clear_input_cache() -> None:
    """Forget the scenario inputs rebuilt in this process."""
    _CACHE.clear()


def scenario_data(inputs: Inputs) -> ScenarioData:
    """The scenario `inputs` rebuild, cached in this process by their content hash (the last
    `INPUT_CACHE_SIZE`)."""
    key = inputs.cache_key()
    found = _CACHE.get(key)
    if found is not None:
        return found
    data = inputs.build()
    _CACHE.put(key, data)
    return data


def evaluate_shard(shard: BatchShard, *, host: str = "") -> ShardResult:
    """Evaluate `shard` in this process (pure: the same shard always gives the same values).

    Raises whatever the inputs or the engine raise (`quant.errors` subclasses for bad data or
    configs); backends call `run_shard`, which wraps them in `ShardError`.
    """
    started = time.perf_counter()
    data = scenario_data(shard.inputs)
    name = shard.scenario
    means, sharpe = evaluate_path_means(
        list(shard.configs),
        {name: data},
        safe=shard.safe,
        vol_model=shard.vol_model,
        statistics=shard.statistics,
    )
    return ShardResult(
        shard_id=shard.shard_id,
        scenario=name,
        config_ids=tuple(c.config_id for c in shard.configs),
        means={m: np.ascontiguousarray(v, dtype=np.float64) for m, v in means[name].items()},
        sharpe_paths=np.ascontiguousarray(sharpe[name]) if shard.sharpe_paths else None,
        host=host,
        elapsed_s=time.perf_counter() - started,
    )


def worker_name() -> str:
    """ "<hostname>:<pid>" of this process (the `host` of the results it computes)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_shard(shard: BatchShard, host: str | None = None) -> ShardResult:
    """`evaluate_shard`, with any exception turned into a picklable `ShardError` naming the
    shard and the reason (what the backends run in their workers). `host` defaults to
    `worker_name()`."""
    try:
        return evaluate_shard(shard, host=worker_name() if host is None else host)
    except ShardError:
        raise
    except Exception as exc:
        raise ShardError(shard.shard_id, describe_exception(exc)) from exc


# --------------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------------
def make_shards(
    configs: Sequence[StrategyConfig | Mapping[str, Any]],
    inputs: Sequence[Inputs],
    *,
    safe: float = 0.02,
    configs_per_shard: int | None = None,
    sharpe_paths: bool = False,
    prefix: str = "batch",
    vol_model: ImpliedVolModel | None = None,
    statistics: Sequence[str] = (),
) -> list[BatchShard]:
    """Cut a batch (configs x scenarios) into shards: scenario-major, then config chunks of at
    most `configs_per_shard` (None: all configs in one shard per scenario). Shard ids are
    "<prefix>/<scenario>/<chunk>"; every shard asks for `statistics`."""
    cfgs = tuple(_as_config(c) for c in configs)
    if not cfgs:
        raise ValueError("configs is empty: a batch needs at least one StrategyConfig")
    names = [i.name for i in inputs]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be unique within a batch, got {names}")
    size = len(cfgs) if configs_per_shard is None else int(configs_per_shard)
    if size < 1:
        raise ValueError(f"configs_per_shard must be a positive integer, got {configs_per_shard!r}")
    shards = []
    for spec in inputs:
        for chunk, lo in enumerate(range(0, len(cfgs), size)):
            shards.append(
                BatchShard(
                    shard_id=f"{prefix}/{spec.name}/{chunk}",
                    configs=cfgs[lo : lo + size],
                    inputs=spec,
                    safe=safe,
                    sharpe_paths=sharpe_paths,
                    vol_model=vol_model,
                    statistics=tuple(statistics),
                )
            )
    return shards


def path_means(results: Sequence[ShardResult]) -> dict[str, dict[str, np.ndarray]]:
    """scenario -> metric -> [C] path means, joining each scenario's config chunks in the order
    given (the order of `make_shards`): the `means` argument of `SearchRun.record`."""
    parts: dict[str, list[ShardResult]] = {}
    for result in results:
        parts.setdefault(result.scenario, []).append(result)
    return {
        name: {m: np.concatenate([r.means[m] for r in chunk]) for m in chunk[0].means}
        for name, chunk in parts.items()
    }
