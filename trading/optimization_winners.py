"""An optimization's winner (or one of its trials) as a deployed strategy: its rule, capped to a
cash account's leverage, refused below its benchmarks unless confirmed (`confirm_benchmarks`:
asked last, once every other input is accepted), with the risk limits its search stated
(`trading.risk_limits`) and notes that say what was changed or accepted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from execution.rebalance import DeployedStrategy, RuleStrategy
from quant.data import sp500_prices
from quant.strategy import StrategyConfig
from quant.tuning.space import SearchSpace
from services.benchmark_verdict import benchmark_verdict
from services.errors import InputError
from services.formatting import multiple, ratio
from services.strategy_configs import strategy_config
from store import OPTIMIZATION_KIND, Store
from trading.risk_limits import search_limits

FINISHED_WITH_A_WINNER = ("succeeded", "partial")
"""The statuses of an optimization that has a winner to deploy."""


def finished_optimization(
    store: Store, owner: str, source_id: str, field: str = "source_id"
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The request, result and winner (`result["best"]`) of `owner`'s finished optimization
    `source_id`. `InputError` on `field` when it is not a finished optimization or
    has no winner; `store.NotFoundError` when it is not theirs."""
    job = store.get_job(owner, source_id)
    if job.kind != OPTIMIZATION_KIND or job.status != "succeeded":
        raise InputError(
            field, f"{source_id} is a {job.status} {job.kind} job, not a finished optimization"
        )
    result = store.get_result(owner, source_id).payload
    best = result.get("best") if isinstance(result, dict) else None
    if result.get("status") not in FINISHED_WITH_A_WINNER or not best:
        raise InputError(field, f"optimization {source_id} has no winning configuration")
    return dict(job.request), result, best


def optimization_strategy(
    store: Store,
    owner: str,
    source_id: str,
    *,
    trial: int | None = None,
    cap_leverage: bool | None = None,
) -> tuple[DeployedStrategy, dict[str, Any], dict[str, Any] | None]:
    """The winner of `owner`'s optimization `source_id` (or its trial number `trial`) as a
    `RuleStrategy`, the spec's `strategy` (config, safe rate, notes, the search's
    `risk_limits`) and its benchmark verdict when it does not beat its benchmarks (None
    otherwise: `confirm_benchmarks` then asks for the confirmation). A levered one is capped at
    1 unless `cap_leverage` is false (then refused on ``cap_leverage``). `InputError` names the
    field, its message one sentence in words."""
    request, result, best = finished_optimization(store, owner, source_id)
    universe = optimized_universe(request, result)
    safe_rate = float(request.get("safe_rate", 0.02))
    notes = []
    winner = trial is None or trial == best.get("trial")
    if trial is None or winner:
        config = strategy_config(best["config"], "source.config")  # one validation everywhere
        objective = best.get("objective")
    else:
        config, note, objective = _trial_config(result, source_id, trial)
        notes.append(note)
    stated = search_limits(request, result, None if winner else _trial_row(result, trial))
    what = "The winner" if winner else f"Trial {trial}"
    if config.max_leverage > 1:
        if cap_leverage is False:
            raise InputError(
                "cap_leverage",
                "a levered strategy needs its leverage capped at 1 on a cash account",
                f"{what} of optimization {source_id} holds up to "
                f"{multiple(config.max_leverage)} of wealth at risk, which would borrow; a "
                "cash account cannot, so it deploys only with its leverage capped at 1.00x.",
            )
        notes.append(
            f"leverage capped from {multiple(config.max_leverage)} to 1.00x (a cash account "
            "cannot borrow); the backtest it is compared with is the capped rule's"
        )
        config = config.model_copy(update={"max_leverage": 1.0})
    try:
        strategy = RuleStrategy(config, universe, safe_rate)
    except ValueError as exc:
        raise InputError("source_id", f"optimization {source_id}: {exc}") from None
    described = {
        "kind": "rule",
        "config": config.model_dump(mode="json"),
        "safe_rate": safe_rate,
        "notes": notes,
    }
    if stated:
        described["risk_limits"] = stated
    return strategy, described, _below_benchmarks(result, objective, what)


def confirm_benchmarks(
    described: dict[str, Any], verdict: Mapping[str, Any] | None, confirmed: bool
) -> None:
    """Refuse a strategy below its benchmarks (`verdict`, from `optimization_strategy`) on
    ``confirm_below_benchmarks`` unless `confirmed`; a confirmed one's notes (in `described`,
    the spec's `strategy`) say it was deployed although it does not beat them. Asked after every
    other input is accepted, so that a confirmation is never followed by a refusal."""
    if verdict is None:
        return
    if not confirmed:
        raise InputError(
            "confirm_below_benchmarks",
            "confirm deploying a strategy that does not beat its benchmarks",
            f"{verdict['words']} Confirm that you want to deploy it anyway to go on.",
        )
    described["notes"].append(
        f"deployed although it does not beat its benchmarks: {verdict['words']}"
    )


def optimized_universe(request: Mapping[str, Any], result: Mapping[str, Any]) -> tuple[str, ...]:
    """The assets an optimization held: those its run used (`result["dataset"]["assets"]`,
    after its owner's exclusions left some out), which a deployment of it never widens, even
    when the profile changes later; the request's universe for a result that does not say."""
    dataset = result.get("dataset")
    if isinstance(dataset, Mapping) and dataset.get("assets"):
        return tuple(str(asset) for asset in dataset["assets"])
    return tuple(request.get("universe") or sp500_prices().columns)


def _below_benchmarks(
    result: Mapping[str, Any], objective: Any, subject: str
) -> dict[str, Any] | None:
    """The benchmark verdict of a strategy of `result` whose objective is `objective`, when it
    does not beat every benchmark the search scored on the same paths (None when it beats them
    or none was scored: a result written before the search compared them)."""
    scores = (result.get("edge") or {}).get("scores") or {}
    if not scores or not isinstance(objective, int | float):
        return None
    verdict = benchmark_verdict({"winner": objective, "scores": scores}, subject)
    return verdict if verdict["beats"] is False else None


def _trial_row(result: Mapping[str, Any], trial: Any) -> dict[str, Any] | None:
    """The row of trial number `trial` of an optimization's result, or None."""
    return next((row for row in result.get("trials") or [] if row.get("trial") == trial), None)


def _trial_config(
    result: Mapping[str, Any], source_id: str, trial: int
) -> tuple[StrategyConfig, str, Any]:
    """The `StrategyConfig` of the optimization's trial number `trial` (not its winner), a note
    saying what the trial was (its objective, and whether it met the risk limits) and its
    objective."""
    row = _trial_row(result, trial)
    if row is None:
        count = len(result.get("trials") or [])
        raise InputError(
            "source.trial",
            f"optimization {source_id} has no trial {trial} (trials 0 to {count - 1})",
        )
    space = SearchSpace(dict(result["plan"]["search_space"]))
    config = space.config({name: row[name] for name in space.names})
    feasible = (
        "it met the risk limits"
        if row.get("feasible")
        else f"it did NOT meet the risk limits (violation {row.get('violation', float('nan')):.4g})"
    )
    objective = row.get("objective")
    shown = ratio(objective) if isinstance(objective, int | float) else str(objective)
    note = f"trial {trial} of {source_id}, not its winner: objective {shown}; {feasible}"
    return config, note, objective
