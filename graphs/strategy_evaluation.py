"""The full evaluation an estimate offers: a strategy configuration simulated on the paths of
one of the owner's searches, the numbers a trial of that configuration in that search shows.

`evaluate_strategy(store, owner, config, run_id=..., scenarios=...)` takes the same inputs as
`services.estimates.estimate_strategy` (and refuses the same bad ones the same way: the one
validation of a configuration, `services.strategy_configs`), rebuilds the search's request from
the strategy model's record of it (its universe, window, scenarios, paths, horizon, seed,
simulation method, safe rate, option pricing model and the decisions it searched with: its
search space, costs included, objective and scenario weights; `search_request`), draws its scenarios
exactly as the search did (`graphs.resources`: seeded, so the same paths when the market data
of its window is unchanged) and evaluates the configuration in the chosen scenarios
(`quant.tuning.evaluation.evaluate_path_means`). It simulates: milliseconds to seconds, against
an estimate's fraction of a millisecond.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from graphs.request import OptimizationRequest
from graphs.resources import release, resources
from quant.strategy_model import METRICS
from quant.tuning.evaluation import evaluate_path_means
from services.errors import InputError
from services.estimates import estimate_inputs
from services.problems import validation_problems
from settings import Settings

LABEL = "full evaluation"
"""How every full evaluation is labelled."""


def search_request(search: Mapping[str, Any]) -> OptimizationRequest:
    """The request a search of the strategy model's index was run with, as far as its
    scenarios and trials depend on it: its universe, window, scenarios, paths, horizon, seed,
    simulation method, safe rate, option pricing model, and the decisions it searched with (its
    search space, costs included, its objective and scenario weights), so that it validates as
    the search did. `InputError` on `run_id` when it no longer does (the market data it was
    drawn from has changed)."""
    context = search["context"]
    fields = {
        "universe": list(search["universe"]),
        "start": search["start"],
        "end": search["end"],
        "scenarios": list(search.get("scenarios") or context["scenarios"]),
        "n_paths": int(search["n_paths"]),
        "horizon": int(search["horizon"]),
        "seed": int(search["seed"]),
        "scenario_method": context["scenario_method"],
        "safe_rate": float(context["safe_rate"]),
        "search_space": dict(search["search_space"]),
        "objective": dict(search.get("objective") or {"sharpe": 1.0}),
        "scenario_weights": search.get("scenario_weights"),
        **({"vol_model": search["vol_model"]} if search.get("vol_model") else {}),
    }
    try:
        return OptimizationRequest.model_validate(fields)
    except ValidationError as exc:
        said = "; ".join(f"{f}: {p}" for f, p in validation_problems(exc.errors())[:3])
        raise InputError(
            "run_id",
            f"search {search['run_id']} cannot be simulated again as it ran ({said})",
        ) from None


def evaluate_strategy(
    store: Any,
    owner: str,
    config: Mapping[str, Any],
    *,
    run_id: str | None = None,
    scenarios: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """`config` simulated in the `scenarios` (default all) of the owner's search `run_id`
    (default: the newest their strategy model learnt), on that search's paths: per scenario
    the path mean of each of `quant.strategy_model.METRICS` (Sharpe over the safe rate, CAGR and
    volatility annualised, drawdown and CVaR as positive losses), labelled "full evaluation",
    with the paths, horizon and seed it used. Errors as `estimate_strategy`'s."""
    inputs = estimate_inputs(store, owner, config, run_id=run_id, scenarios=scenarios)
    request = search_request(inputs.search)
    horizon = int(inputs.search["horizon"])
    name = f"evaluation-{uuid.uuid4().hex}"
    try:
        run = resources(name, request, settings)
        run.ensure_scenarios(horizon)
        chosen = {s: run.inputs[s] for s in inputs.scenarios}
        means, _ = evaluate_path_means(
            [inputs.strategy], chosen, safe=request.safe_rate, vol_model=request.vol_model
        )
    finally:
        release(name)
    return {
        "label": LABEL,
        "run_id": inputs.search["run_id"],
        "n_paths": request.n_paths,
        "horizon": horizon,
        "seed": request.seed,
        "scenarios": {
            s: {metric: float(means[s][metric][0]) for metric in METRICS} for s in inputs.scenarios
        },
    }
