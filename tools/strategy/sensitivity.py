"""`sensitivity_analysis`: one-at-a-time curves around a search's winner and parameter
importance."""

from __future__ import annotations

from typing import Any

from tools.context import SearchRecord, ToolContext
from tools.strategy.schemas import SensitivityArgs
from tools.summaries import compact, sig


def sensitivity_analysis(context: ToolContext, args: SensitivityArgs) -> dict[str, Any]:
    """One-at-a-time objective curves around the winner and fANOVA importance."""
    from quant.sensitivity import one_at_a_time, parameter_importance

    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    if not result.space.searched:
        raise ValueError("the search had no searched parameter (every field was fixed)")
    curves = one_at_a_time(
        result.best_config,
        result.space,
        record.scenario_record.inputs(),  # type: ignore[arg-type]  # ScenarioData is accepted
        objective=result.objective,
        constraints=result.constraints,
        points=args.points,
        safe=context.safe_rate,
        vol_model=result.vol_model,
    )
    importance = parameter_importance(result, seed=context.seed)
    sensitivity_id = context.artifacts.put(
        "sensitivity", {"curves": curves, "importance": importance}
    )
    spread = curves.spread()
    parameters: dict[str, Any] = {}
    for name, frame in curves.items():
        parameters[name] = {
            "values": [compact(v) for v in frame["value"]],
            "objective": [sig(v) for v in frame["objective"]],
            "best_value": compact(getattr(result.best_config, name)),
            "spread": sig(spread[name]),
        }
        if not bool(frame["feasible"].all()):
            parameters[name]["infeasible_values"] = [
                compact(v) for v in frame.loc[~frame["feasible"], "value"]
            ]
    return {
        "search_id": args.search_id,
        "sensitivity_id": sensitivity_id,
        "best_objective": sig(curves.best_value),
        "parameters": parameters,
        "importance": [{"parameter": str(k), "importance": sig(v)} for k, v in importance.items()],
        "units": "each curve moves one parameter over its range with the others at the best "
        "config's values; objective as in the search; spread = max - min objective along the "
        "curve; importance: fANOVA share of the objective's variance, summing to 1",
    }
