"""Which of the portfolios just compared to pick, asked with no measure named ("which one would
you pick?", "which is better?"): the one with the highest Sharpe ratio (return per unit of
volatility, in-sample), said as that, with each one's value; where another leads on a loss
measure, that it depends on what the PM weighs most."""

from __future__ import annotations

from typing import Any

from agents.offline.analysis_answers import portfolio_called
from agents.offline.method_names import method_name

__all__ = ["pick_sentence"]


def pick_sentence(data: dict[str, Any]) -> str:
    """The pick among the `compare_portfolios` result's rows, in words ("" when no Sharpe ratio
    is finite on every row)."""
    best_on: dict[str, str] = data.get("best") or {}
    leader = best_on.get("highest_sharpe_ratio")  # the comparison's own ranking (ties: first)
    if leader is None:
        return ""
    values = ", ".join(
        f"{method_name(r['portfolio'])} {float(r['sharpe_ratio']):.2f}" for r in data["rows"]
    )
    leaders = {
        best_on[k]
        for k in ("lowest_cvar", "lowest_volatility", "lowest_max_drawdown")
        if k in best_on
    }
    others = sorted(leaders - {leader})
    text = (
        "You named no measure to choose by: on the Sharpe ratio (return per unit of volatility), "
        f"{portfolio_called(leader)} leads ({values})"
    )
    if others:
        named = " and ".join(portfolio_called(name) for name in others)
        verb = "leads" if len(others) == 1 else "each lead"
        text += f"; if losses weigh more with you, {named} {verb} on a loss measure (below)"
    return text + ". In-sample numbers over the window compared, not a forecast."
