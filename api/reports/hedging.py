"""The hedged-vs-unhedged part of a result, for the reports: the winner with and without its
option overlay side by side, and the trade-off between unhedged and hedged trials.

Reads `result["hedging"]` (written by the optimization graph; see docs/hedging.md). Units: the
hedge's premium, payoff and carry (premium - payoff) are fractions of wealth per year; drawdown
and the one-day 95% CVaR are positive losses; every number is a mean over the simulated paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.formatting import percent, ratio, scenario

HEDGING_NOTE = (
    "The winner and the same strategy without its options, on the same simulated paths (same "
    "seed): premium, payoff and carry (premium - payoff) in % of wealth a year; drawdown and "
    "one-day 95% CVaR as losses."
)
TRADEOFF_NOTE = (
    "The unhedged trial closest to the risk limits beside the cheapest hedged trials that meet "
    "them, in the {scenario} scenario."
)


def comparison_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario: ``scenario``, ``premium``, ``payoff``, ``carry`` and
    ``max_drawdown`` / ``cvar_95`` with (``hedged_``) and without (``unhedged_``) the overlay;
    empty when the winner holds no overlay."""
    hedging = result.get("hedging") or {}
    comparison: Mapping[str, Any] = hedging.get("comparison") or {}
    return [
        {
            "scenario": name,
            "premium": sides["hedged"]["hedge_premium"],
            "payoff": sides["hedged"]["hedge_payoff"],
            "carry": sides["hedged"]["hedge_carry"],
            "unhedged_max_drawdown": sides["unhedged"]["max_drawdown"],
            "hedged_max_drawdown": sides["hedged"]["max_drawdown"],
            "unhedged_cvar_95": sides["unhedged"]["cvar_95"],
            "hedged_cvar_95": sides["hedged"]["cvar_95"],
        }
        for name, sides in comparison.items()
    ]


def hedge_label(overlay: Mapping[str, Any]) -> str:
    """A hedge (its `overlay` fields) in a few words, e.g. "put 90% 63d" or "none"."""
    kind = str(overlay.get("overlay", "none"))
    if kind == "none":
        return "none"
    text = f"{kind} {percent(float(overlay['overlay_strike']))}"
    if "overlay_lower_strike" in overlay:
        text += f"/{percent(float(overlay['overlay_lower_strike']))}"
    if "overlay_call_strike" in overlay:
        text += f"/{percent(float(overlay['overlay_call_strike']))}"
    text += f" {overlay['overlay_tenor_days']}d"
    if float(overlay.get("overlay_hedge_ratio", 1.0)) != 1.0:
        text += f" x{float(overlay['overlay_hedge_ratio']):g}"
    if overlay.get("overlay_budget") is not None:
        text += f" cap {percent(float(overlay['overlay_budget']))}/yr"
    return text


def tradeoff(result: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(scenario, rows) of the trade-off table; rows as `quant.hedging.hedge_tradeoff` wrote
    them, with a ``label`` of the hedge and ``winner`` set on the winning trial."""
    hedging = result.get("hedging") or {}
    winner = (result.get("best") or {}).get("trial")
    rows = [
        {**row, "label": hedge_label(row["overlay"]), "winner": row["trial"] == winner}
        for row in hedging.get("tradeoff") or []
    ]
    return str(hedging.get("scenario") or ""), rows


def markdown_lines(result: Mapping[str, Any]) -> list[str]:
    """The "Hedged vs unhedged" section of the Markdown report (empty without hedging)."""
    hedging = result.get("hedging")
    if not hedging:
        return []
    lines = ["## Hedged vs unhedged", ""]
    required = hedging.get("required")
    if required:
        lines += [
            f"The risk manager required an option hedge from round {required['round'] + 1} "
            f"({required['constraint']}): {required.get('reason') or ''}",
            "",
        ]
    compared = comparison_rows(result)
    if compared:
        lines += [
            HEDGING_NOTE,
            "",
            "| scenario | premium / yr | payoff / yr | carry / yr | max drawdown unhedged | "
            "max drawdown hedged | CVaR 95% (1d) unhedged | CVaR 95% (1d) hedged |",
            "| --- |" + " ---: |" * 7,
        ]
        for r in compared:
            lines.append(
                f"| {scenario(r['scenario'])} | {percent(r['premium'])} | {percent(r['payoff'])} | {percent(r['carry'])} "
                f"| {percent(r['unhedged_max_drawdown'])} | {percent(r['hedged_max_drawdown'])} "
                f"| {percent(r['unhedged_cvar_95'])} | {percent(r['hedged_cvar_95'])} |"
            )
        lines.append("")
    else:
        lines += ["The winner holds no option overlay.", ""]
    where, rows = tradeoff(result)
    if rows:
        lines += [
            "### Trade-off",
            "",
            TRADEOFF_NOTE.format(scenario=scenario(where)),
            "",
            "| trial | overlay | premium / yr | carry / yr | max drawdown | CVaR 95% (1d) | "
            "meets limits | objective |",
            "| ---: | --- |" + " ---: |" * 4 + " --- | ---: |",
        ]
        for r in rows:
            mark = " (winner)" if r["winner"] else ""
            lines.append(
                f"| {r['trial']}{mark} | {r['label']} | {percent(r['hedge_premium'])} "
                f"| {percent(r['hedge_carry'])} | {percent(r['max_drawdown'])} | {percent(r['cvar_95'])} "
                f"| {'yes' if r['feasible'] else 'no'} | {ratio(r['objective'])} |"
            )
        lines.append("")
    tried = hedging.get("n_hedged_trials", 0)
    if tried and not hedging.get("n_hedged_feasible"):
        lines += [f"None of the {tried} hedged trials met the risk limits.", ""]
    return lines


def text_lines(result: Mapping[str, Any]) -> list[str]:
    """The hedged-vs-unhedged comparison and the trade-off as a compact terminal table (the
    `stratigos optimize` summary); empty without hedging. Same numbers and units as the
    reports: premium, payoff and carry in % of wealth a year, drawdown and one-day 95% CVaR as
    positive losses, path means."""
    hedging = result.get("hedging")
    if not hedging:
        return []
    lines: list[str] = []
    required = hedging.get("required")
    if required:
        lines.append(
            f"  hedge required from round {required['round'] + 1} ({required['constraint']})"
        )
    compared = comparison_rows(result)
    if compared:
        lines += [
            "  hedged vs unhedged, same paths (premium, payoff, carry: % of wealth a year; "
            "drawdown, 1-day CVaR95: losses):",
            f"    {'scenario':15s} {'premium':>8s} {'payoff':>8s} {'carry':>8s}  "
            f"{'max drawdown':>16s}  {'CVaR95':>15s}",
        ]
        for r in compared:
            drawdown = (
                f"{percent(r['unhedged_max_drawdown'])} -> {percent(r['hedged_max_drawdown'])}"
            )
            cvar = f"{percent(r['unhedged_cvar_95'])} -> {percent(r['hedged_cvar_95'])}"
            lines.append(
                f"    {scenario(r['scenario']):15s} {percent(r['premium']):>8} {percent(r['payoff']):>8} "
                f"{percent(r['carry']):>8}  {drawdown:>16s}  {cvar:>15s}"
            )
    else:
        lines.append("  hedged vs unhedged: the winner holds no option overlay")
    where, rows = tradeoff(result)
    if rows:
        lines += [
            f"  trade-off in {scenario(where)} (unhedged closest to the limits, cheapest hedged "
            "meeting them; * winner):",
            f"    {'trial':>6s}  {'overlay':32s} {'premium':>8s} {'carry':>8s} "
            f"{'max DD':>7s} {'CVaR95':>7s}  {'meets':5s} {'objective':>9s}",
        ]
        for r in rows:
            trial = f"{r['trial']}{'*' if r['winner'] else ''}"
            lines.append(
                f"    {trial:>6s}  {r['label']:32s} {percent(r['hedge_premium']):>8} "
                f"{percent(r['hedge_carry']):>8} {percent(r['max_drawdown']):>7} {percent(r['cvar_95']):>7}  "
                f"{'yes' if r['feasible'] else 'no':5s} {r['objective']:9.4f}"
            )
    tried = hedging.get("n_hedged_trials", 0)
    if tried and not hedging.get("n_hedged_feasible"):
        lines.append(f"  none of the {tried} hedged trials met the risk limits")
    return lines


__all__ = ["comparison_rows", "hedge_label", "markdown_lines", "text_lines", "tradeoff"]
