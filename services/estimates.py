"""Instant estimates: how a strategy configuration would do in the scenarios of one of the
owner's searches, from the owner's strategy model (`services.strategy_model`), in
milliseconds, with a prediction interval, labelled "model estimate" wherever shown
(docs/strategy-model.md#instant-estimates).

The scenarios are those of a search the model learnt (`run_id`, default the newest): its
universe, window, scenario regimes, horizon, method and safe rate are the model's features,
kept in its searches' index, so an estimate reads no market data and simulates nothing. The
full evaluation it offers (`full_evaluation`) simulates the configuration on that search's own
paths (`graphs.strategy_evaluation`, from the same `estimate_inputs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quant import SearchSpace
from quant.strategy import StrategyConfig
from quant.strategy_model import ACCURACY_MEASURE, METRICS, feature_rows
from services.errors import InputError, NotFoundInputError
from services.strategy_configs import config_fields, config_in_horizon, strategy_config
from services.strategy_model import OwnerModel, owner_model

LABEL = "model estimate"
"""How every estimate is labelled."""


def _search(searches: Sequence[Mapping[str, Any]], run_id: str | None) -> Mapping[str, Any]:
    """The model's record of search `run_id` (None: the newest), or `NotFoundInputError`."""
    if run_id is None:
        return searches[-1]
    for search in searches:
        if search["run_id"] == run_id:
            return search
    raise NotFoundInputError(
        "run_id",
        f"no search {run_id!r} in your strategy model",
        f"search {run_id!r} not found among the searches your strategy model learnt",
    )


@dataclass(frozen=True)
class EstimateInputs:
    """What an estimate (or the full evaluation it offers) is of: the configuration, the
    owner's model, the model's record of the search whose scenarios it is in, and the
    scenarios chosen among them."""

    strategy: StrategyConfig
    model: OwnerModel
    search: Mapping[str, Any]
    scenarios: list[str]


def estimate_inputs(
    store: Any,
    owner: str,
    config: Mapping[str, Any],
    *,
    run_id: str | None = None,
    scenarios: Sequence[str] | None = None,
) -> EstimateInputs:
    """`config` completed and checked, the owner's newest model, its search `run_id` (default:
    the newest it learnt) and the `scenarios` of it (default: all). The configuration is the
    search's: the fields it leaves out take the values the search held fixed (its trading cost,
    say), else their defaults; it is held to the one validation of a configuration
    (`services.strategy_configs`), its lookback within the search's horizon.
    `NotFoundInputError` when the owner has no model yet or no such search; `InputError` for a
    bad configuration or scenario."""
    given = config_fields(config)
    strategy_config(given)  # a bad field is named first, model or not
    model = owner_model(store, owner)
    if model is None or model.version is None:
        raise NotFoundInputError(
            "run_id",
            "no strategy model yet",
            "you have no strategy model yet: it learns from your searches, so run one first",
        )
    search = _search(model.searches, run_id)
    fixed = SearchSpace(dict(search["search_space"])).fixed
    strategy = strategy_config({**fixed, **given})
    config_in_horizon(strategy, int(search["horizon"]))
    names = list(search["context"]["scenarios"])
    chosen = names if scenarios is None else list(scenarios)
    for i, name in enumerate(chosen):
        if name not in names:
            raise InputError(
                f"scenarios.{i}", f"{name!r} is not a scenario of search {search['run_id']}"
            )
    if not chosen:
        raise InputError("scenarios", "name at least one scenario")
    return EstimateInputs(strategy, model, search, chosen)


def estimate_strategy(
    store: Any,
    owner: str,
    config: Mapping[str, Any],
    *,
    run_id: str | None = None,
    scenarios: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The owner's model's estimate of `config` (StrategyConfig fields; the others at the
    search's fixed values, else their defaults) in the scenarios (`scenarios`, default all) of their search `run_id` (default:
    the newest the model learnt): per scenario and metric (`quant.strategy_model.METRICS`: path
    means, Sharpe over the safe rate, CAGR and volatility annualised, drawdown and CVaR as
    positive losses) the estimate and its interval (`low`, `high`, holding the true path mean
    with probability `coverage` for configurations like the held-out ones), with the model's
    version and held-out accuracy. Errors as `estimate_inputs`."""
    inputs = estimate_inputs(store, owner, config, run_id=run_id, scenarios=scenarios)
    model, search, chosen = inputs.model, inputs.search, inputs.scenarios
    context = search["context"]
    assert model.version is not None
    estimate = model.model.predict(feature_rows([inputs.strategy], context, chosen))
    return {
        "label": LABEL,
        "config": inputs.strategy.model_dump(mode="json"),
        "search": {
            "run_id": search["run_id"],
            "universe": search["universe"],
            "start": search["start"],
            "end": search["end"],
            "horizon": search["horizon"],
            "scenario_method": context.get("scenario_method"),
            "safe_rate": context.get("safe_rate"),
        },
        "scenarios": {
            name: {
                metric: {
                    "estimate": float(estimate.value[i, m]),
                    "low": float(estimate.low[i, m]),
                    "high": float(estimate.high[i, m]),
                }
                for m, metric in enumerate(METRICS)
            }
            for i, name in enumerate(chosen)
        },
        "coverage": model.model.coverage,
        "model": {
            "version": model.version.version,
            "searches": len(model.searches),
            "accuracy": model.model.accuracy,
            "accuracy_measure": ACCURACY_MEASURE,
        },
        "full_evaluation": (
            f"this is a {LABEL}, not a simulation: the full evaluation simulates the "
            f"configuration on the paths of run {search['run_id']}'s scenarios "
            '(POST /v1/strategy-estimates with "evaluate": true, or stratigos estimate '
            "--evaluate)"
        ),
    }
