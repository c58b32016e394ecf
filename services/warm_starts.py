"""Warm starts: a new search starts from what its owner's strategy model learnt of earlier
searches that resemble it (docs/strategy-model.md#warm-starts).

`plan_warm_start(model, search, objective)` picks the earlier searches
that resemble this one (`resemblance`: the share of tickers in common times the share of the
window in common, at least `RESEMBLANCE`; the `CLOSEST` highest), then the configurations the
search evaluates first: the best configuration of each of those searches that lies in this
search space, then the model's most promising configurations (the candidates: those searches'
best configurations and `CANDIDATES` seeded draws from the space, ranked by the objective
computed from the model's estimates for this search's universe, window and scenarios), up to
`WARM_CONFIGS` (`picks`), then up to `PROBES` of the seeded draws as drawn, which test the
model's estimates (`quant.tuning.warm_stop`: when the search may stop early). Everything it returns is plain JSON and depends only on the model version and
the request (its seed included), so the run manifest records it and the same inputs give the
same configurations.

`warm_start_outcome(plan, trials)` is what the result says: the runs it learnt from, and the
trials it saved to reach the best objective of the latest cold search of the same search
(`search_key`: the same tickers, window, scenarios, horizon, paths, method and objective; of
the same seed, whose scenarios are the same, when there is one) within 1%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from quant import Choices, Objective, SearchSpace
from quant.metrics import METRICS as ENGINE_METRICS
from quant.strategy_model import METRICS, feature_rows
from services.formatting import ratio
from services.strategy_model import WITHIN, OwnerModel, Search, search_record, trials_to_reach

RESEMBLANCE = 0.3
"""The least resemblance (shared tickers x shared window) of an earlier search to learn from."""
CLOSEST = 3
"""Earlier searches a warm start learns from at most."""
WARM_CONFIGS = 8
"""The model's picks a warm start evaluates first, at most (never more than a third of a
batch)."""
PROBES = 16
"""Random draws from the space a warm start evaluates with its picks, at most (the rest of the
first batch): their evaluations against the model's estimates say whether the model knows this
search's landscape (`quant.tuning.warm_stop`)."""
WARM_NOTE = (
    "started warm: its first trials are what the owner's strategy model learnt from earlier "
    "searches, so the same request gives other trials, and may find another winner, once the "
    "model has learnt more; start it cold to compare like for like"
)
"""What a warm start's `note` says (the result's `warm_start.note`)."""
CANDIDATES = 2048
"""Seeded draws from the search space the model ranks (their features and estimates take about
0.2 s, once per search)."""


def _overlap(first: tuple[date, date], second: tuple[date, date]) -> float:
    """Days two windows share over the days they span together (0 to 1)."""
    shared = (min(first[1], second[1]) - max(first[0], second[0])).days
    spanned = (max(first[1], second[1]) - min(first[0], second[0])).days
    return max(shared, 0) / spanned if spanned > 0 else 1.0


def search_key(record: Mapping[str, Any]) -> dict[str, Any]:
    """What makes two searches the same search but for their seed: tickers, window,
    scenarios, horizon, paths, simulation method, objective (of a searches' index record,
    `services.strategy_model.search_record`)."""
    return {
        "universe": sorted(record["universe"]),
        "start": str(record["start"]),
        "end": str(record["end"]),
        "scenarios": sorted(record["scenarios"]),
        "horizon": int(record["horizon"]),
        "n_paths": int(record["n_paths"]),
        "scenario_method": record["context"].get("scenario_method"),
        "objective": dict(record["objective"]),
    }


def resemblance(record: Mapping[str, Any], search: Mapping[str, Any]) -> float:
    """How much an earlier search resembles another (both index records), 0 to 1: the share
    of their tickers in common (Jaccard) times the share of their windows in common; 0 when
    they share no scenario or use another simulation method."""
    earlier, now = set(record["universe"]), set(search["universe"])
    if not earlier or not now or not set(record["scenarios"]) & set(search["scenarios"]):
        return 0.0
    if record["context"].get("scenario_method") != search["context"].get("scenario_method"):
        return 0.0
    names = len(earlier & now) / len(earlier | now)
    window = _overlap(
        (date.fromisoformat(str(record["start"])), date.fromisoformat(str(record["end"]))),
        (date.fromisoformat(str(search["start"])), date.fromisoformat(str(search["end"]))),
    )
    return names * window


def _in_space(space: SearchSpace, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """`params` as this space's searched-field values, or None when one is missing or outside."""
    picked = {}
    for name, param in space.searched.items():
        if name not in params or not param.contains(params[name]):
            return None
        picked[name] = params[name]
    return picked


def _predicted_objective(
    model: OwnerModel,
    space: SearchSpace,
    candidates: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
    objective: Objective,
) -> np.ndarray | None:
    """The objective of each candidate computed from the model's estimates (None when the
    objective weighs a metric the model does not estimate)."""
    if not set(objective.weights) <= set(METRICS) or not candidates:
        return None
    scenarios = list(context["scenarios"])
    weighed = [name for name in METRICS if name in objective.weights]  # all the objective reads
    rows = feature_rows([space.config(p) for p in candidates], context, scenarios)
    value = model.model.mean(rows, weighed).reshape(len(candidates), len(scenarios), len(weighed))
    zeros = np.zeros(len(candidates))
    means = {
        s: {ENGINE_METRICS[0]: zeros} | {m: value[:, i, j] for j, m in enumerate(weighed)}
        for i, s in enumerate(scenarios)
    }
    return objective.values(means, scenarios)


def plan_warm_start(
    model: OwnerModel | None,
    search: Search,
    objective: Objective,
    *,
    batch_size: int,
) -> dict[str, Any]:
    """The warm start of a search (see the module docstring): ``{"model": {"version",
    "sha256", "searches"} | None, "runs": [{"run_id", "resemblance"}], "configs": [searched-field
    values: the model's picks, then `probes` random draws], "predicted": [the model's objective
    estimate of each, or None], "probes", "reference": the cold search of the same request or
    None, "note"}``; no configurations when there is no model or no earlier search resembles
    this one (`note` says which; a warm start's says `WARM_NOTE`). `search`: the new search
    before it ran (its request, decisions and context; no trials)."""
    this = search_record(search)
    plan: dict[str, Any] = {
        "model": None, "runs": [], "configs": [], "predicted": [], "probes": 0,
    }  # fmt: skip
    plan["reference"] = None
    if model is None or model.version is None:
        return plan | {
            "note": "no strategy model to start from yet (the owner's first search, or a run not "
            "given its owner's model)"
        }
    plan["model"] = {
        "version": model.version.version,
        "sha256": model.version.sha256,
        "searches": len(model.searches),
    }
    scored = sorted(
        ((resemblance(r, this), i) for i, r in enumerate(model.searches)),
        key=lambda pair: (-pair[0], -pair[1]),
    )
    close = [(score, model.searches[i]) for score, i in scored if score >= RESEMBLANCE][:CLOSEST]
    plan["reference"] = _reference(model.searches, this)
    if not close:
        return plan | {"note": "no earlier search resembles this one"}
    plan["runs"] = [{"run_id": r["run_id"], "resemblance": round(s, 4)} for s, r in close]
    space = SearchSpace(dict(search.search_space))
    best_of_runs = [p for _, r in close for p in [_in_space(space, t) for t in r["top"][:1]] if p]
    tops = [p for _, r in close for p in [_in_space(space, t) for t in r["top"]] if p]
    rng = np.random.default_rng(np.random.SeedSequence([this["seed"], 55]))
    candidates = tops + space.sample(rng, CANDIDATES)
    predicted = _predicted_objective(model, space, candidates, search.context, objective)
    order = (  # best estimate first, ties and unknown (NaN, last) in the candidates' order
        range(len(candidates))
        if predicted is None
        else np.argsort(-np.nan_to_num(predicted, nan=-np.inf), kind="stable")
    )
    ranked = [candidates[i] for i in order]
    chosen: list[dict[str, Any]] = []
    estimates: list[float | None] = []
    seen: set[str] = set()

    def choose(found: Sequence[Mapping[str, Any]], count: int) -> int:
        """Add the first `count` configurations of `found` not chosen yet; how many."""
        added = 0
        for params in found:
            if added == count:
                break
            key = space.config(params).config_id
            if key in seen:
                continue
            seen.add(key)
            chosen.append(dict(params))
            index = next(i for i, c in enumerate(candidates) if c == params)
            value = None if predicted is None else float(predicted[index])
            estimates.append(value if value is None or math.isfinite(value) else None)
            added += 1
        return added

    choose([*best_of_runs, *_best_of_each_choice(space, ranked), *ranked], picks(batch_size))
    drawn = candidates[len(tops) :]  # the seeded draws, in the order drawn: no model in it
    probes = choose(drawn, min(PROBES, batch_size - len(chosen)))
    return plan | {"configs": chosen, "predicted": estimates, "probes": probes, "note": WARM_NOTE}


def picks(batch_size: int) -> int:
    """The model's picks a warm start evaluates first in batches of `batch_size`: at most
    `WARM_CONFIGS` and a third of a batch (at least one)."""
    return max(1, min(WARM_CONFIGS, batch_size // 3))


def _best_of_each_choice(
    space: SearchSpace, ranked: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The first of `ranked` with each value of each searched choice field (each weight
    function, say), in `ranked` order: one starting point in every family, not only in the one
    the earlier searches' winners share."""
    firsts: list[Mapping[str, Any]] = []
    for name, param in space.searched.items():
        if isinstance(param, Choices):
            for value in param.choices:
                found = next((p for p in ranked if p[name] == value), None)
                if found is not None and found not in firsts:
                    firsts.append(found)
    return sorted(firsts, key=lambda p: next(i for i, q in enumerate(ranked) if q is p))


def _reference(
    searches: Sequence[Mapping[str, Any]], this: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The latest cold search of the same search as `this` (`search_key`) that found a best
    objective, of the same seed (the same scenarios) if there is one, else of any seed:
    ``{"run_id", "seed", "best_objective", "trials_to_best", "same_seed", "seed_noise"}``
    (`seed_noise`: None for the same seed, else `_seed_noise`)."""
    wanted = search_key(this)
    same = [
        r
        for r in searches
        if not r["warm"] and r["best_objective"] is not None and search_key(r) == wanted
    ]
    if not same:
        return None
    same.sort(key=lambda r: r["seed"] == this["seed"])  # stable: the latest of the seed last
    record = same[-1]
    same_seed = record["seed"] == this["seed"]
    return {
        "run_id": record["run_id"],
        "seed": record["seed"],
        "best_objective": record["best_objective"],
        "trials_to_best": record["trials_to_best"],
        "same_seed": same_seed,
        "seed_noise": None if same_seed else _seed_noise(same),
    }


def _seed_noise(cold: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How far the best objectives of the cold searches `cold` of one search (`search_key`)
    lie apart between their seeds (the latest of each seed): ``{"seeds", "spread": (largest -
    smallest) / |largest| or None with one seed, "words"}``. The paths differ between seeds, so
    a warm search compared with another seed's best compares across that noise."""
    best = {r["seed"]: float(r["best_objective"]) for r in cold}  # the latest of each seed
    seeds = len(best)
    if seeds < 2:
        return {
            "seeds": seeds,
            "spread": None,
            "words": "the reference ran on another seed's paths, and how far this request's "
            "best objective moves between seeds is not measured yet (one seed's cold search): "
            "trials_to_reference compares across that noise with a 1% margin, and no trials "
            "saved are claimed; start this seed cold to compare like for like",
        }
    high, low = max(best.values()), min(best.values())
    spread = (high - low) / max(abs(high), 1e-12)
    return {
        "seeds": seeds,
        "spread": round(spread, 4),
        "words": f"the reference ran on another seed's paths: this request's cold searches on "
        f"{seeds} seeds found best objectives {spread:.1%} apart, "
        f"{'more than' if spread > WITHIN else 'within'} the 1% margin of trials_to_reference, "
        "and no trials saved are claimed; start this seed cold to compare like for like",
    }


def warm_start_outcome(
    plan: Mapping[str, Any], trials: Sequence[Mapping[str, Any]], stopped: str | None = None
) -> dict[str, Any]:
    """What a search's result says of its warm start: `plan` with ``stopped`` (why it stopped
    before its budget, `quant.tuning.warm_stop`; None when it did not), ``trials_to_reference``
    (the trials this search took to come within 1% of the reference's best objective, None if
    it did not) and ``trials_saved`` (the reference's trials to its best minus those; None
    without a reference or when it did not come within 1%)."""
    reference = plan.get("reference")
    plan = dict(plan) | {"stopped": stopped}
    if reference is None:
        return plan | {"trials_to_reference": None, "trials_saved": None}
    reached = trials_to_reach(trials, float(reference["best_objective"]))
    like_for_like = reference.get("same_seed", True)
    saved = None if reached is None or not like_for_like else reference["trials_to_best"] - reached
    return dict(plan) | {"trials_to_reference": reached, "trials_saved": saved}


def describe_result_start(result: Mapping[str, Any]) -> str | None:
    """How a stored search result started (`describe_warm_start`), for its reports and pages:
    without the early stop when the result gives its `reason` already; None when the result has
    no warm-start record (a run before warm starts)."""
    if "warm_start" not in result:
        return None
    return describe_warm_start(result["warm_start"], with_stop=not result.get("reason"))


def describe_warm_start(outcome: Mapping[str, Any] | None, *, with_stop: bool = True) -> str:
    """One line saying how a search started: cold (asked for, or why), or from which runs, with
    the model's picks and random probes, why it stopped early if it did (left out with
    `with_stop=False`, for a page that says it just above), and the trials it took against the
    cold search of the same request (saved: against the same seed's only; another seed's with
    the noise between seeds)."""
    if outcome is None:
        return "cold (asked for)"
    if not outcome.get("configs"):
        return f"cold: {outcome.get('note') or 'nothing to learn from'}"
    model = outcome.get("model") or {}
    runs = ", ".join(r["run_id"] for r in outcome.get("runs") or [])
    probes = int(outcome.get("probes") or 0)
    words = (
        f"{len(outcome['configs']) - probes} configurations first from strategy model version "
        f"{model.get('version')} (learnt from runs {runs}) and {probes} random probes"
    )
    if with_stop and outcome.get("stopped"):
        words += f"; stopped early: {outcome['stopped']}"
    reference = outcome.get("reference")
    if reference is None:
        return (
            f"{words}; no earlier cold search of the same request to compare with (a cold start "
            "of it would compare like for like)"
        )
    reached, saved = outcome.get("trials_to_reference"), outcome.get("trials_saved")
    cold = f"cold run {reference['run_id']} (seed {reference['seed']})"
    best = ratio(reference["best_objective"])
    if reached is None:
        words += f"; it did not come within 1% of {cold}'s best objective {best}"
    else:
        theirs = reference["trials_to_best"]
        words += f"; within 1% of {cold}'s best objective {best} after {_trials(reached)}, " + (
            f"against that run's {theirs}" if saved is None else _sooner(saved, theirs)
        )
    noise = reference.get("seed_noise")
    if noise:
        return f"{words}; {noise['words']}"
    if reference.get("same_seed"):
        return f"{words}; like for like: that run searched the same request on the same paths"
    return words


def _trials(n: int) -> str:
    return f"{n} {'trial' if n == 1 else 'trials'}"


def _sooner(saved: int, theirs: int) -> str:
    """`trials_saved` in words beside the reference's `theirs`: how much sooner a search came
    within 1% of the reference's best objective, not trials it left unrun (a search goes on to
    its budget unless its stopping rule ends it, which the line then says)."""
    if saved == 0:
        return f"as soon as that run ({theirs})"
    return f"{_trials(abs(saved))} {'sooner' if saved > 0 else 'later'} than that run's {theirs}"
