"""`backtest_strategy`: one `StrategyConfig` on a stored scenario set or the universe's history."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from quant.metrics import HEDGE_METRICS, METRICS
from quant.options.vol_model import ImpliedVolModel
from quant.strategy import StrategyConfig
from tools.context import ScenarioRecord, SearchWinner, ToolContext
from tools.strategy.schemas import METRIC_UNITS, BacktestArgs
from tools.summaries import iso_date, sig

# --------------------------------------------------------------------------------------------
# backtest
# --------------------------------------------------------------------------------------------
HEDGE_UNITS = (
    "; hedge_premium, hedge_payoff, hedge_carry (premium - payoff): the option overlay's "
    "premiums paid, value received and net cost, fractions of wealth per year"
)
"""What the hedge measures of a backtest with an overlay mean."""


def _path_means(
    config: StrategyConfig,
    risky: np.ndarray | pd.DataFrame,
    safe: float,
    vol_model: ImpliedVolModel | None,
) -> dict[str, Any]:
    from quant.engine import evaluate

    result = evaluate([config], risky, safe, vol_model=vol_model)
    names = (*METRICS, *HEDGE_METRICS) if config.has_hedge else METRICS
    out: dict[str, Any] = {m: sig(float(result.metric(m)[0].mean())) for m in names}
    if result.n_paths > 1:
        out["p05_cagr"] = sig(float(np.quantile(result.metric("cagr")[0], 0.05)))
        out["p95_max_drawdown"] = sig(float(np.quantile(result.metric("max_drawdown")[0], 0.95)))
    if config.sleeve != "single":
        out["sleeve_fallbacks"] = int(result.sleeve_fallbacks.sum())
    return out


def _warmed_up(
    context: ToolContext, args: BacktestArgs, window: pd.DataFrame, lookback: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A window too short for the lookback, with the `lookback` sessions before it read first
    (the strategy's estimates need them; the backtest is measured over the window alone), and
    what was done, in words. `ValueError` when the market data holds fewer sessions before it."""
    dates = context.data.dates
    before = dates[dates < window.index[0]]
    if len(before) < lookback:
        raise ValueError(
            f"the window from {iso_date(window.index[0])} holds {len(window)} sessions, fewer "
            f"than the lookback of {lookback} needs, and the market data holds only "
            f"{len(before)} sessions before it: use a shorter lookback or a later window"
        )
    first = before[-lookback]
    history = context.returns(args.universe, iso_date(first), iso_date(window.index[-1]))
    return history, {
        "start": iso_date(first),
        "end": iso_date(before[-1]),
        "sessions": lookback,
        "note": f"the window holds {len(window)} sessions, fewer than the lookback of "
        f"{lookback} needs: the lookback reads the {lookback} sessions before it "
        f"({iso_date(first)} to {iso_date(before[-1])}) and the backtest is measured over the "
        f"window's {len(window)} sessions",
    }


def _search_winner(context: ToolContext, run_id: str) -> SearchWinner:
    """The winner of the finished search `run_id` (`ToolContext.search_winners`)."""
    if context.search_winners is None:
        raise ValueError(
            f"run_id: search {run_id!r} cannot be read here (no signed-in user and no search in "
            "this conversation): give the strategy as config"
        )
    return context.search_winners(run_id)


def _replaced(args: BacktestArgs, winner: SearchWinner) -> list[str]:
    """The arguments among universe, start and end that `args` give other than the search's."""
    universe = None if winner.universe is None else {t.upper() for t in winner.universe}
    given = {
        "universe": None if args.universe is None else {t.upper() for t in args.universe},
        "start": args.start,
        "end": args.end,
    }
    searched = {"universe": universe, "start": winner.start, "end": winner.end}
    return [name for name, value in given.items() if value is not None and value != searched[name]]


def _resolved(
    context: ToolContext, args: BacktestArgs
) -> tuple[StrategyConfig, BacktestArgs, float, dict[str, Any]]:
    """The strategy to test (`config`, or the winner of search `run_id` with the fields
    `config` gives changed), the arguments with a search's universe and window filled in where
    `args` leave them out, the safe rate (a fraction a year) and what the result says of the
    search: its `run_id`, universe and window, the arguments given in their place (`replaced`)
    and the winner's fields changed (`changed`: field -> [the winner's value, the value
    tested]); {} without a search."""
    if args.run_id is None:
        assert args.config is not None  # BacktestArgs holds one of them
        return args.config.config(), args, context.safe_rate, {}
    winner = _search_winner(context, args.run_id)
    given = {} if args.config is None else args.config.model_dump(exclude_none=True)
    config = StrategyConfig(**{**winner.config, **given})
    stored = StrategyConfig(**winner.config).model_dump(mode="json")
    tested = config.model_dump(mode="json")
    searched = {
        "run_id": winner.run_id,
        "universe": None if winner.universe is None else list(winner.universe),
        "start": winner.start,
        "end": winner.end,
        "replaced": _replaced(args, winner),
        "changed": {k: [stored.get(k), tested[k]] for k in given if stored.get(k) != tested[k]},
    }
    if args.scenario_set_id is not None:
        filled = args
    else:
        filled = args.model_copy(
            update={
                "universe": args.universe if args.universe is not None else searched["universe"],
                "start": args.start if args.start is not None else winner.start,
                "end": args.end if args.end is not None else winner.end,
            }
        )
    if filled.vol_model is None and winner.vol_model is not None:
        filled = filled.model_copy(update={"vol_model": ImpliedVolModel(**winner.vol_model)})
    return config, filled, winner.safe_rate, searched


def backtest_strategy(context: ToolContext, args: BacktestArgs) -> dict[str, Any]:
    """Metrics of one strategy (given, or a finished search's winner) per scenario (path means)
    or on the history."""
    config, args, safe_rate, searched = _resolved(context, args)
    base: dict[str, Any] = {
        "config": config.model_dump(mode="json"),
        "config_id": config.config_id,
        "safe_rate": safe_rate,
        **({"search": searched} if searched else {}),
    }
    hedge_units = HEDGE_UNITS if config.has_hedge else ""
    if config.has_hedge:
        base["vol_model"] = (args.vol_model or ImpliedVolModel()).model_dump(mode="json")
    if args.scenario_set_id is not None:
        from quant import as_scenarios

        record: ScenarioRecord = context.artifacts.get(args.scenario_set_id, "scenarios")
        scen = as_scenarios(record.inputs())
        metrics: dict[str, Any] = {}
        for name, data in scen.items():
            if config.sleeve != "single" and data.assets is None:
                raise ValueError(
                    f"sleeve {config.sleeve!r} needs several assets; this scenario set has one"
                )
            inputs = data.risky if config.sleeve == "single" else data.assets
            assert inputs is not None
            metrics[name] = _path_means(config, inputs, safe_rate, args.vol_model)
        first = next(iter(scen.values()))
        return {
            **base,
            "scenario_set_id": args.scenario_set_id,
            "n_paths": first.n_paths,
            "horizon": first.horizon,
            "evaluated_days": first.horizon - config.lookback,
            "metrics": metrics,
            "units": METRIC_UNITS
            + "; p05_cagr: 5% worst path; p95_max_drawdown: 95th percentile"
            + hedge_units,
        }
    history = context.returns(args.universe, args.start, args.end)
    warm_up: dict[str, Any] | None = None
    if config.lookback > len(history) - 2:
        history, warm_up = _warmed_up(context, args, history, config.lookback)
    if config.sleeve == "single":
        risky: np.ndarray | pd.DataFrame = history.to_numpy(dtype=float).mean(axis=1)
    else:
        if history.shape[1] < 2:
            raise ValueError(f"sleeve {config.sleeve!r} needs at least 2 assets in the universe")
        risky = history
    return {
        **base,
        "history": {
            "start": iso_date(history.index[0]),
            "end": iso_date(history.index[-1]),
            "days": len(history),
            "evaluated_days": len(history) - config.lookback,
            "universe": [str(c) for c in history.columns],
            "risky": "equal_weight" if config.sleeve == "single" else config.sleeve,
            **({"warm_up": warm_up} if warm_up is not None else {}),
        },
        "metrics": _path_means(config, risky, safe_rate, args.vol_model),
        "units": METRIC_UNITS.replace("means over paths", "on the single historical path")
        + hedge_units,
    }
