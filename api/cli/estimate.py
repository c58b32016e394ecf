"""`stratigos estimate`: how a strategy configuration would do in the scenarios of one of your
searches, from your strategy model in milliseconds (`services.estimates`), labelled "model
estimate" with its prediction intervals; with `--evaluate`, also the full evaluation, the
configuration simulated on that search's paths (`graphs.strategy_evaluation`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store

COLUMNS = (
    ("sharpe", "Sharpe", "{:.2f}"),
    ("cagr", "CAGR", "{:.1%}"),
    ("volatility", "volatility", "{:.1%}"),
    ("max_drawdown", "max drawdown", "{:.1%}"),
    ("cvar_95", "CVaR95", "{:.2%}"),
)


def add_estimate_parser(commands: Any) -> None:
    """`estimate`: the strategy model's estimate of a configuration."""
    estimate = commands.add_parser(
        "estimate",
        help="estimate a configuration with your strategy model (milliseconds, no simulation)",
        description="How a strategy configuration would do in the scenarios of one of your "
        "searches, estimated by the strategy model your searches taught: path means of Sharpe, "
        "CAGR, volatility, maximum drawdown and 95%% CVaR per scenario, each with a prediction "
        "interval. A model estimate, not a simulation.",
    )
    estimate.add_argument(
        "--config",
        default="{}",
        help='StrategyConfig fields as JSON, e.g. \'{"target_vol": 0.1, "lookback": 63}\' '
        "(the others at their defaults)",
    )
    estimate.add_argument("--run", help="the search whose scenarios (default: your newest)")
    estimate.add_argument("--scenarios", help="some of its scenarios, comma-separated")
    estimate.add_argument(
        "--evaluate",
        action="store_true",
        help="also simulate the configuration on the search's own paths (the full evaluation)",
    )
    estimate.add_argument("--json", action="store_true", help="print machine-readable JSON")


def estimate_command(args: argparse.Namespace) -> int:
    """Print the estimate (or JSON); exit 2 naming the field of a bad input."""
    from services.errors import InputError
    from services.estimates import estimate_strategy

    try:
        config = json.loads(args.config)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--config: not JSON ({exc.msg} at character {exc.pos})") from None
    scenarios = None if args.scenarios is None else [s.strip() for s in args.scenarios.split(",")]
    store = open_local_store()
    try:
        answer = estimate_strategy(store, LOCAL_OWNER, config, run_id=args.run, scenarios=scenarios)
        if args.evaluate:
            from graphs.strategy_evaluation import evaluate_strategy

            answer["evaluation"] = evaluate_strategy(
                store, LOCAL_OWNER, config, run_id=answer["search"]["run_id"], scenarios=scenarios
            )
    except InputError as exc:
        raise UsageError(exc.message) from None
    print(json.dumps(answer, indent=2) if args.json else estimate_text(answer))
    return 0


def estimate_text(answer: dict[str, Any]) -> str:
    """The estimate as the terminal shows it."""
    search, model = answer["search"], answer["model"]
    lines = [
        f"Model estimate (strategy model version {model['version']}, learnt from "
        f"{model['searches']} searches): not a simulation",
        f"  in the scenarios of run {search['run_id']}: {', '.join(search['universe'])}, "
        f"{search['start']} to {search['end']}, {search['horizon']} days",
        f"  {'scenario':9s} " + "  ".join(f"{title:>26s}" for _, title, _ in COLUMNS),
    ]
    for scenario, metrics in answer["scenarios"].items():
        cells = []
        for metric, _, form in COLUMNS:
            value = metrics[metric]
            low, high = form.format(value["low"]), form.format(value["high"])
            cells.append(f"{form.format(value['estimate']) + f' [{low}, {high}]':>26s}")
        lines.append(f"  {scenario:9s} " + "  ".join(cells))
    rank = (model["accuracy"].get("sharpe") or {}).get("rank_correlation")
    lines.append(
        f"  [low, high]: {answer['coverage']:.0%} prediction intervals; the model's rank "
        f"correlation with full evaluations of held-out configurations (Sharpe): "
        f"{'-' if rank is None else f'{rank:.2f}'}"
    )
    evaluation = answer.get("evaluation")
    if evaluation is None:
        lines.append(f"  {answer['full_evaluation']}")
    else:
        lines += evaluation_text(evaluation, answer["scenarios"])
    return "\n".join(lines)


def evaluation_text(evaluation: dict[str, Any], estimates: dict[str, Any]) -> list[str]:
    """The full evaluation's lines: each simulated path mean, and whether it lies in the
    estimate's interval."""
    lines = [
        f"Full evaluation (simulated on run {evaluation['run_id']}'s {evaluation['n_paths']} "
        f"paths of {evaluation['horizon']} days per scenario, seed {evaluation['seed']})",
        f"  {'scenario':9s} " + "  ".join(f"{title:>26s}" for _, title, _ in COLUMNS),
    ]
    outside = 0
    for scenario, metrics in evaluation["scenarios"].items():
        cells = []
        for metric, _, form in COLUMNS:
            value, interval = metrics[metric], estimates[scenario][metric]
            inside = interval["low"] <= value <= interval["high"]
            outside += not inside
            cells.append(f"{form.format(value) + ('' if inside else ' (outside)'):>26s}")
        lines.append(f"  {scenario:9s} " + "  ".join(cells))
    lines.append(
        f"  {outside} of {len(COLUMNS) * len(evaluation['scenarios'])} simulated values lie "
        "outside the model's intervals"
    )
    return lines
