"""`search_results` (pages of a search's trials) and `search_status`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from quant import LOSS_METRICS
from quant.metrics import METRICS
from tools.context import SearchRecord, ToolContext
from tools.strategy.schemas import SearchResultsArgs, SearchStatusArgs
from tools.strategy.search import _params
from tools.summaries import sig

if TYPE_CHECKING:
    from quant import SearchResult


def _sort_column(result: SearchResult, sort_by: str) -> tuple[str, bool]:
    """Column and default 'descending' flag for `sort_by`."""
    trials = result.trials
    if sort_by == "objective":
        return "objective", True
    if sort_by == "trial":
        return "trial", False
    if sort_by == "violation":
        return "violation", False
    if sort_by in trials.columns and "." in sort_by:
        metric = sort_by.split(".", 1)[1]
        return sort_by, metric not in LOSS_METRICS
    examples = [f"{s}.{m}" for s in result.scenario_names[:2] for m in ("sharpe", "max_drawdown")]
    raise ValueError(
        f"sort_by={sort_by!r} is not a column; use objective, trial, violation or "
        f"'<scenario>.<metric>' with scenarios {', '.join(result.scenario_names)} and metrics "
        f"{', '.join(METRICS)} (e.g. {', '.join(examples)})"
    )


def search_results(context: ToolContext, args: SearchResultsArgs) -> dict[str, Any]:
    """A page of the trials of a search."""
    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    column, default_desc = _sort_column(result, args.sort_by)
    extra = list(dict.fromkeys(args.columns or []))
    for name in extra:
        if name not in result.trials.columns or "." not in name:
            _sort_column(result, name)  # raises with the valid names
    trials = result.trials
    if args.feasible_only:
        trials = trials[trials["feasible"]]
    descending = default_desc if args.descending is None else args.descending
    ordered = trials.sort_values(
        [column, "trial"], ascending=[not descending, True], na_position="last", kind="stable"
    )
    page = ordered.iloc[args.offset : args.offset + args.limit]
    names = list(result.space.names)
    rows = []
    for _, row in page.iterrows():
        item: dict[str, Any] = {
            "trial": int(row["trial"]),
            "params": _params(row, names),
            "objective": sig(row["objective"]),
        }
        if result.constraints:
            item["feasible"] = bool(row["feasible"])
            item["violation"] = sig(row["violation"])
        for name in extra:
            item[name] = sig(row[name])
        if column not in ("objective", "trial", "violation") and column not in extra:
            item[column] = sig(row[column])
        rows.append(item)
    end = args.offset + len(rows)
    return {
        "search_id": args.search_id,
        "total": len(trials),
        "n_feasible": result.n_feasible,
        "offset": args.offset,
        "limit": args.limit,
        "sort_by": column,
        "descending": descending,
        "next_offset": end if end < len(trials) else None,
        "trials": rows,
    }


def search_status(context: ToolContext, args: SearchStatusArgs) -> dict[str, Any]:
    """Status and progress of a search."""
    record: SearchRecord = context.artifacts.get(args.search_id, "search")
    result = record.result
    best = result.best_value
    return {
        "search_id": args.search_id,
        "status": record.status,
        "scenario_set_id": record.scenario_set_id,
        "method": result.method,
        "n_trials": result.n_trials,
        "budget": result.budget,
        "n_feasible": result.n_feasible,
        "batches": len(result.convergence),
        "best_value": sig(best) if math.isfinite(best) else None,
        "elapsed_s": round(record.elapsed_s, 2),
    }
