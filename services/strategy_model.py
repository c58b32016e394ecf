"""The owner's strategy model: learnt after every search from that owner's trials only, kept as
versions in the store (`store.strategy_models`: the data directory, or the model-artifacts
bucket on AWS), read back for warm starts (`services.warm_starts`) and estimates
(`services.estimates`).

`learn(store, owner, search)` is the search pipeline's training step: it reads the owner's
latest version (its training rows and the index of the searches they came from), replaces the
rows of `search.run_id` (a retried run learns once), appends the new search's rows (one per
trial and scenario, `quant.strategy_model.feature_rows`), keeps the newest `TRAINING_ROWS`,
holds out a fifth of the configurations of each search (by a hash of the search's seed and the
configuration, so a configuration's scenarios are held out together, and the same searches give
the same split whatever their run ids: the same requests in the same order teach the same
models), fits
`quant.strategy_model.fit_strategy_model` and stores the result as the version after the one
it read. When another process stored a version in between, it starts again from that one
(`ConflictError`), so every version includes every search before it.

A version's file (`OwnerModel.to_bytes`) is an `.npz` of the fitted model, the training rows
(features, targets, each row's search and configuration hash) and the searches' index (JSON:
each search's universe, window, scenarios, paths, seed, objective, option pricing model, best
objective, the trials it took to come within 1% of it, its best configurations and its context
features).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bounded_lru import BoundedLru
from quant import SearchSpace
from quant.strategy_model import (
    METRICS,
    StrategyModel,
    feature_rows,
    fit_strategy_model,
    from_json_array,
    json_array,
    pack_arrays,
    unpack_arrays,
)
from store import ConflictError, Store, StrategyModelVersion

TRAINING_ROWS = 30_000
"""Rows (trials x scenarios) a model learns from at most: the newest searches' (about 30
searches of 200 trials in 5 scenarios)."""
HELD_OUT_PERCENT = 20
"""Share of each search's configurations held out to measure the model and calibrate its
intervals."""
WITHIN = 0.01
"""A search "reached" an objective once its best was within 1% of it."""
TOP_CONFIGS = 5
"""Best configurations of each search kept in the searches' index."""
_ATTEMPTS = 4


@dataclass(frozen=True)
class Search:
    """What a finished search gives the model: its run id, request (JSON), the decisions it ran
    with (search space, objective weights, scenario weights), its context features
    (`quant.strategy_model.search_context`), its trial rows, and whether it started warm."""

    run_id: str
    request: Mapping[str, Any]
    search_space: Mapping[str, Any]
    scenario_weights: Mapping[str, float] | None
    context: Mapping[str, Any]
    trials: Sequence[Mapping[str, Any]]
    warm: bool = False


def trials_to_reach(trials: Sequence[Mapping[str, Any]], target: float) -> int | None:
    """How many trials a search took before a feasible trial came within `WITHIN` (1%) of
    `target` (None: never)."""
    threshold = target - WITHIN * abs(target)
    for count, row in enumerate(trials, start=1):
        objective = row.get("objective")
        if objective is None or not row.get("feasible") or not math.isfinite(objective):
            continue
        if objective >= threshold:
            return count
    return None


def search_record(search: Search) -> dict[str, Any]:
    """The search's entry in the searches' index (plain JSON)."""
    request = search.request
    feasible = [
        t
        for t in search.trials
        if t.get("feasible") and math.isfinite(t.get("objective", math.nan))
    ]
    ranked = sorted(feasible, key=lambda t: (-t["objective"], t["trial"]))
    space = SearchSpace(dict(search.search_space))
    best = ranked[0]["objective"] if ranked else None
    return {
        "run_id": search.run_id,
        "universe": list(search.context.get("assets") or request.get("universe") or []),
        "start": str(request.get("start")),
        "end": str(request.get("end")),
        "scenarios": list(request.get("scenarios") or []),
        "horizon": int(search.context["horizon"]),
        "n_paths": int(request.get("n_paths", 0)),
        "seed": int(request.get("seed", 0)),
        "objective": dict(request.get("objective") or {"sharpe": 1.0}),
        "vol_model": request.get("vol_model"),
        "scenario_weights": None
        if search.scenario_weights is None
        else {str(k): float(v) for k, v in search.scenario_weights.items()},
        "warm": bool(search.warm),
        "n_trials": len(search.trials),
        "best_objective": best,
        "trials_to_best": None if best is None else trials_to_reach(search.trials, best),
        "top": [{n: t[n] for n in space.names} for t in ranked[:TOP_CONFIGS]],
        "search_space": dict(search.search_space),
        "context": dict(search.context),
    }


def search_rows(search: Search) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The search's training rows: features [trials x scenarios, F], targets [.., metrics]
    and each row's hash of the search's seed and its configuration (the held-out split)."""
    space = SearchSpace(dict(search.search_space))
    scenarios = list(search.context["scenarios"])
    configs = [space.config({n: t[n] for n in space.names}) for t in search.trials]
    X = feature_rows(configs, search.context, scenarios)
    Y = np.array(
        [
            [float(t.get(f"{s}.{m}", math.nan)) for m in METRICS]
            for t in search.trials
            for s in scenarios
        ]
    ).reshape(len(X), len(METRICS))
    seed = int(search.request.get("seed", 0))
    groups = [
        int(hashlib.sha256(f"{seed}:{t['config_id']}".encode()).hexdigest()[:12], 16)
        for t in search.trials
    ]
    return X, Y, np.repeat(np.array(groups, dtype=np.int64), len(scenarios))


@dataclass(frozen=True)
class OwnerModel:
    """A loaded version: the fitted model, its training rows (X, Y, each row's search as an
    index into `searches`, its configuration hash) and the searches' index."""

    version: StrategyModelVersion | None
    model: StrategyModel
    X: np.ndarray
    Y: np.ndarray
    search: np.ndarray
    group: np.ndarray
    searches: list[dict[str, Any]]

    def to_bytes(self) -> bytes:
        """The version's file (see the module docstring)."""
        return pack_arrays(
            {
                **{f"model_{k}": v for k, v in self.model.arrays().items()},
                "X": self.X,
                "Y": self.Y,
                "search": self.search,
                "group": self.group,
                "searches": json_array(self.searches),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes, version: StrategyModelVersion | None = None) -> OwnerModel:
        """Inverse of `to_bytes`."""
        arrays = unpack_arrays(data)
        model = {k[len("model_") :]: v for k, v in arrays.items() if k.startswith("model_")}
        return cls(
            version=version,
            model=StrategyModel.from_arrays(model),
            X=arrays["X"],
            Y=arrays["Y"],
            search=arrays["search"],
            group=arrays["group"],
            searches=from_json_array(arrays["searches"]),
        )

    def summary(self) -> dict[str, Any]:
        """What the store keeps beside the file: the learner, accuracy on held-out rows, the
        interval's coverage, the rows and the searches learnt from."""
        return {
            "learner": self.model.learner,
            "accuracy": self.model.accuracy,
            "coverage": self.model.coverage,
            "n_train": self.model.n_train,
            "n_held_out": self.model.n_held_out,
            "rows": len(self.X),
            "searches": [s["run_id"] for s in self.searches],
        }


def held_out_rows(group: np.ndarray) -> np.ndarray:
    """The rows held out: those of the configurations whose hash falls in the first
    `HELD_OUT_PERCENT` of a hundred, and always at least one configuration held out and one
    not (the one with the smallest hash, the one with the largest)."""
    held = (group % 100) < HELD_OUT_PERCENT
    if not held.any():
        held = group == group.min()
    return held & (group != group.max()) if held.all() else held


def _combined(previous: OwnerModel | None, search: Search) -> OwnerModel:
    """The rows and searches of `previous` with `search`'s replacing any of the same run,
    cut to the newest `TRAINING_ROWS` (whole searches), and a model fitted to them."""
    X, Y, group = search_rows(search)
    searches = [search_record(search)]
    blocks = [(X, Y, group)]
    if previous is not None:
        for index in range(len(previous.searches) - 1, -1, -1):
            kept = previous.searches[index]
            if kept["run_id"] == search.run_id:
                continue
            rows = previous.search == index
            if sum(len(b[0]) for b in blocks) + int(rows.sum()) > TRAINING_ROWS:
                break
            blocks.append((previous.X[rows], previous.Y[rows], previous.group[rows]))
            searches.append(kept)
    return _fitted(blocks[::-1], searches[::-1])


def learn_from(searches: Sequence[Search]) -> OwnerModel:
    """The model (not stored) that learning `searches` one after the other ends with, fitted
    once: the newest `TRAINING_ROWS` of their rows (whole searches). An owner's history for the
    benchmark of the learning cost."""
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    records: list[dict[str, Any]] = []
    for search in reversed(searches):
        rows = search_rows(search)
        if blocks and sum(len(b[0]) for b in blocks) + len(rows[0]) > TRAINING_ROWS:
            break
        blocks.append(rows)
        records.append(search_record(search))
    return _fitted(blocks[::-1], records[::-1])


def _fitted(
    blocks: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], searches: list[dict[str, Any]]
) -> OwnerModel:
    """The model fitted to the searches' rows (`blocks` of X, Y and groups, oldest first, one
    per record of `searches`)."""
    order = np.concatenate([np.full(len(b[0]), i, dtype=np.int64) for i, b in enumerate(blocks)])
    X = np.concatenate([b[0] for b in blocks])
    Y = np.concatenate([b[1] for b in blocks])
    group = np.concatenate([b[2] for b in blocks])
    held_out = held_out_rows(group)
    model = fit_strategy_model(X, Y, held_out, seed=len(searches))
    return OwnerModel(None, model, X, Y, order, group, searches)


def learn(store: Store, owner: str, search: Search) -> StrategyModelVersion:
    """The training step: the owner's model learns `search` (see the module docstring); the
    version stored."""
    for attempt in range(_ATTEMPTS):
        latest = store.latest_strategy_model(owner)
        previous = None if latest is None else load_version(store, latest)
        learnt = _combined(previous, search)
        try:
            version = store.put_strategy_model(
                owner,
                learnt.to_bytes(),
                learnt.summary(),
                previous=None if latest is None else latest.version,
            )
        except ConflictError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        _remember(replace(learnt, version=version))
        return version
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


_KEEP = 8
"""Loaded versions kept in the process (by owner and digest; a new version is a new key)."""
_LOADED: BoundedLru[tuple[str, str], OwnerModel] = BoundedLru(_KEEP)


def _remember(model: OwnerModel) -> None:
    assert model.version is not None
    _LOADED.put((model.version.owner, model.version.sha256), model)


def load_version(store: Store, version: StrategyModelVersion) -> OwnerModel:
    """The stored `version` (of its owner), loaded once per process."""
    key = (version.owner, version.sha256)
    found = _LOADED.get(key)
    if found is not None:
        return found
    data = store.strategy_model_bytes(version.owner, version.version)
    loaded = OwnerModel.from_bytes(data, version)
    _remember(loaded)
    return loaded


def owner_model(store: Store, owner: str, version: int | None = None) -> OwnerModel | None:
    """The owner's model: `version`, or the newest; None when the owner has none."""
    found = (
        store.latest_strategy_model(owner)
        if version is None
        else store.get_strategy_model(owner, version)
    )
    return None if found is None else load_version(store, found)


_LEARNING: dict[str, threading.Thread] = {}
_LEARNING_LOCK = threading.Lock()


def learn_in_order(owner: str, name: str, work: Callable[[], object]) -> threading.Thread:
    """`work()` (an owner's learning, which logs its own failure) on a thread of its own named
    `name`, after the learning of `owner` started before it in this process (so a process's
    versions follow its searches in order). `wait_for_learning` waits for it."""
    with _LEARNING_LOCK:
        before = _LEARNING.get(owner)

        def run() -> None:
            if before is not None:
                before.join()
            work()

        thread = threading.Thread(target=run, name=name)
        _LEARNING[owner] = thread
        thread.start()
    return thread


def wait_for_learning(owner: str | None = None) -> None:
    """Return once the learning `learn_in_order` started in this process (for `owner`, or for
    every owner) has finished."""
    with _LEARNING_LOCK:
        threads = [t for o, t in _LEARNING.items() if owner is None or o == owner]
    for thread in threads:
        thread.join()
