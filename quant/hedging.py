"""What an option overlay bought and what it cost: a hedged strategy beside the same strategy
without its options, and the trade-off between the hedged and unhedged trials of a search.

- `hedge_comparison(config, scenarios, safe=..., vol_model=...)`: evaluates `config` and
  `unhedged(config)` (every field equal but `overlay="none"`) on the same paths of every scenario
  (common random numbers: the difference between the two is the overlay's alone) and returns,
  per scenario, the path means of both side by side.
- `hedge_tradeoff(rows, scenario)`: from a search's trial rows, the unhedged trial closest to
  meeting the constraints beside the cheapest hedged trials that meet them.

Units: `hedge_premium`, `hedge_payoff` and `hedge_carry` (premium - payoff) are fractions of
wealth per year (`quant.metrics`); `max_drawdown` and `cvar_95` (daily) are positive losses;
`cagr` annual, `sharpe` annualised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quant.metrics import HEDGE_METRICS
from quant.options.vol_model import ImpliedVolModel
from quant.strategy import StrategyConfig
from quant.tuning.evaluation import evaluate_path_means
from quant.tuning.inputs import ScenarioData

COMPARED_METRICS: tuple[str, ...] = ("cagr", "sharpe", "max_drawdown", "cvar_95")
"""The metrics shown with and without the hedge."""

TRADEOFF_METRICS: tuple[str, ...] = ("hedge_premium", "hedge_carry", "max_drawdown", "cvar_95")
"""The per-scenario columns of a trade-off row."""

TRADEOFF_HEDGED_ROWS = 5
"""Hedged trials a trade-off table lists (the cheapest that meet the constraints)."""

INVESTED = 0.01
"""The least average risky weight (in the table's scenario) of a trial the table counts as
hedged: one below it sits in cash, and its overlay protects nothing."""


def unhedged(config: StrategyConfig) -> StrategyConfig:
    """`config` without its option overlay (every other field unchanged)."""
    return StrategyConfig.model_validate({**config.model_dump(), "overlay": "none"})


def hedge_comparison(
    config: StrategyConfig,
    scenarios: Mapping[str, ScenarioData],
    *,
    safe: float,
    vol_model: ImpliedVolModel | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{scenario: {"hedged": {...}, "unhedged": {...}}}``: path means of `COMPARED_METRICS`
    for `config` and `unhedged(config)` on the same paths, plus the hedged side's
    `hedge_premium`, `hedge_payoff` and `hedge_carry` (fractions of wealth per year). `safe` is
    the annual safe rate; `vol_model` prices the overlay (default `ImpliedVolModel()`)."""
    means, _ = evaluate_path_means(
        [config, unhedged(config)], scenarios, safe=safe, vol_model=vol_model
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, metrics in means.items():
        hedged = {m: float(metrics[m][0]) for m in (*COMPARED_METRICS, *HEDGE_METRICS)}
        bare = {m: float(metrics[m][1]) for m in COMPARED_METRICS}
        out[name] = {"hedged": hedged, "unhedged": bare}
    return out


def _row(trial: Mapping[str, Any], config: StrategyConfig, scenario: str) -> dict[str, Any]:
    overlay = {
        name: value
        for name, value in config.model_dump(mode="json").items()
        if name.startswith("overlay") and name not in config.unused_parameters()
    }
    return {
        "trial": int(trial["trial"]),
        "hedged": config.has_hedge,
        "overlay": overlay if config.has_hedge else {"overlay": "none"},
        "objective": float(trial["objective"]),
        "feasible": bool(trial["feasible"]),
        **{m: float(trial[f"{scenario}.{m}"]) for m in TRADEOFF_METRICS},
    }


def hedge_tradeoff(
    trials: Sequence[tuple[Mapping[str, Any], StrategyConfig]],
    scenario: str,
    winner: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of the hedged-vs-unhedged trade-off among a search's trials.

    `trials`: (trial row, its config) pairs; a row holds `trial`, `objective`, `feasible`,
    `violation` and the `"<scenario>.<metric>"` path means. The first row is the unhedged
    trial closest to feasibility (smallest `violation`, then best objective, then first trial),
    when there is one; then up to `TRADEOFF_HEDGED_ROWS` feasible hedged trials that hedge
    something (invested in the risky sleeve: average weight at least `INVESTED` in `scenario`,
    and paying a premium; an all-cash trial's overlay buys nothing and is never "the cheapest
    hedge"), cheapest first (lowest `hedge_premium` in `scenario`, then best objective); last,
    the trial number `winner` when it is not among them, so the table always shows the winner.
    Each row gives the trial, whether it is hedged, the overlay fields it reads, its objective
    and feasibility, and `TRADEOFF_METRICS` in `scenario`.
    """
    bare = [(t, c) for t, c in trials if not c.has_hedge]
    hedged = [
        (t, c)
        for t, c in trials
        if c.has_hedge
        and t["feasible"]
        and t.get(f"{scenario}.average_weight", 1.0) >= INVESTED
        and t[f"{scenario}.hedge_premium"] > 0.0
    ]
    rows: list[dict[str, Any]] = []
    if bare:
        t, c = min(bare, key=lambda tc: (tc[0]["violation"], -tc[0]["objective"], tc[0]["trial"]))
        rows.append(_row(t, c, scenario))
    seen: set[str] = set()
    for t, c in sorted(
        hedged,
        key=lambda tc: (tc[0][f"{scenario}.hedge_premium"], -tc[0]["objective"], tc[0]["trial"]),
    ):
        if c.config_id in seen:
            continue
        seen.add(c.config_id)
        rows.append(_row(t, c, scenario))
        if len(seen) == TRADEOFF_HEDGED_ROWS:
            break
    shown = {row["trial"] for row in rows}
    if winner is not None and winner not in shown:
        rows += [_row(t, c, scenario) for t, c in trials if int(t["trial"]) == winner][:1]
    return rows


__all__ = [
    "COMPARED_METRICS",
    "TRADEOFF_METRICS",
    "hedge_comparison",
    "hedge_tradeoff",
    "unhedged",
]
