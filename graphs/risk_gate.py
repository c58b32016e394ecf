"""The risk gate of the `optimization` graph, and the constraint feedback it sends back.

The risk limits (`risk_limits`) are checked in code on the top `CANDIDATES` distinct candidates
(feasible ones first), each on its stated statistic of the simulated paths per scenario where
the limits apply (`quant.limits`: by default the 95th percentile, "in 95% of paths"). The risk manager agent
approves one or rejects them and names constraints; an approval of a candidate that breaks a
limit is overruled. Without limits the best candidate passes; with the token or time budget
spent, the best candidate that meets every limit passes, checked in code alone.

A rejection sends the optimizer back (at most `max_risk_rounds` times, while trials are left)
with the new constraints added (the violated limits when the agent names none; a constraint on
a limited metric is checked on that limit's statistic, one on another metric on the path mean) and an equal
share of the trials left; earlier trials are judged again under them without being re-evaluated.
When the search space holds hedged and unhedged strategies, the risk manager may require an
option hedge (once): the next rounds then also need `hedge_premium >= HEDGE_REQUIRED_PREMIUM` in
every scenario (docs/hedging.md). When no round is left, the candidate closest to the limits is
chosen, unapproved, and the run is `partial`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig

from agents.workflow import review_risk
from graphs.emit import emit_node_started
from graphs.optimization_state import (
    OptimizationState,
    charge,
    config_of,
    constraint_words,
    hedge_possible,
    limit_scenarios,
    out_of_budget,
    request_of,
    resources_of,
    warned,
)
from graphs.request import OptimizationRequest
from quant import SearchSpace
from quant.limits import statistic_words
from services.formatting import limit_sentence

CANDIDATES = 3
"""Distinct candidates the risk manager judges per round."""
HEDGE_REQUIRED_PREMIUM = 1e-6
"""How the risk manager's "require a hedge" becomes a constraint: a premium of at least this
fraction of wealth a year in every scenario (on the path mean). A strategy without an option hedge pays exactly 0; one with a hedge pays more,
unless its `overlay_budget` caps its premiums below this (then it counts as unhedged)."""


@dataclass
class RiskVerdict:
    """What the gate decided about a round's candidates: the index of the approved one (None:
    rejected), the verdict as stored in the state, the constraints to add, whether a hedge is
    now required, and what else the state takes (tokens, warnings)."""

    approved: int | None
    verdict: dict[str, Any]
    constraints: list[dict[str, Any]] = field(default_factory=list)
    require_hedge: bool = False
    update: dict[str, Any] = field(default_factory=dict)


def hedge_available(state: OptimizationState) -> bool:
    """Whether the risk manager may still require a hedge: the space holds hedged and
    unhedged strategies and no earlier round required one."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    kinds = set(space.values_of("overlay"))
    return "none" in kinds and len(kinds) > 1 and not state.get("hedge_required")


def candidates(state: OptimizationState) -> list[dict[str, Any]]:
    """The best `CANDIDATES` distinct configurations (feasible trials, else those closest to
    feasible) with their risk metrics per scenario (path means, and each limit's statistic of
    the paths by its key, e.g. ``max_drawdown@p95``) and the limits each violates, in words."""
    request = request_of(state)
    limits = request.risk_limits.limits()
    where = limit_scenarios(state)
    hedging = hedge_possible(state)
    shown: tuple[str, ...] = ("sharpe", "max_drawdown", "cvar_95", "var_95")
    if hedging:
        shown += ("hedge_premium", "hedge_carry")
    feasible = [t for t in state["trials"] if t["feasible"] and math.isfinite(t["objective"])]
    pool = feasible or sorted(state["trials"], key=lambda t: t["violation"])[:CANDIDATES]
    ranked = sorted(pool, key=lambda t: (-t["objective"], t["trial"]))
    seen: set[str] = set()
    out = []
    for trial in ranked:
        if trial["config_id"] in seen:
            continue
        seen.add(trial["config_id"])
        metrics: dict[str, dict[str, Any]] = {
            s: {m: trial[f"{s}.{m}"] for m in shown} for s in request.scenarios
        }
        for s in request.scenarios:
            for m, limit in limits.items():
                metrics[s][limit.key(m)] = trial.get(f"{s}.{limit.key(m)}", math.nan)
        violations = [
            {
                "metric": m,
                "statistic": limit.statistic,
                "scenario": s,
                "value": metrics[s][limit.key(m)],
                "limit": limit.limit,
                "words": limit_sentence(
                    m, limit.limit, limit.statistic, s, metrics[s][limit.key(m)]
                ),
            }
            for m, limit in limits.items()
            for s in where
            if not metrics[s][limit.key(m)] <= limit.limit
        ]
        candidate = {"trial": trial["trial"], "objective": trial["objective"],
                     "metrics": metrics, "violations": violations}  # fmt: skip
        if hedging:
            candidate["overlay"] = config_of(state, trial).overlay
        out.append(candidate)
        if len(out) == CANDIDATES:
            break
    return out


def risk_gate(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The risk manager approves a candidate or sends the optimizer back with constraints."""
    emit_node_started("risk_manager")
    request = request_of(state)
    found = candidates(state)
    if not found:
        return {
            "chosen": None,
            "status": "partial",
            "reason": state.get("reason") or "no trials ran",
        }
    judged = _verdict(state, request, found, config)
    update = {
        **judged.update,
        "risk": {"round": state.get("round", 0), "candidates": found, "verdict": judged.verdict},
    }
    if judged.approved is not None:
        return {**update, "chosen": {"trial": found[judged.approved]["trial"], "approved": True}}
    trials_left = request.budget.max_trials - len(state["trials"])
    stopped = out_of_budget(state, request)
    if state.get("round", 0) < request.max_risk_rounds and trials_left > 0 and stopped is None:
        return {**update, **_search_again(state, request, judged, found, trials_left)}
    best = min(found, key=lambda c: (len(c["violations"]), -c["objective"]))
    return {
        **update,
        "chosen": {"trial": best["trial"], "approved": False},
        "status": "partial",
        "reason": stopped
        or f"no candidate met the risk limits after {state.get('round', 0) + 1} round(s)",
    }


def _verdict(
    state: OptimizationState,
    request: OptimizationRequest,
    found: list[dict[str, Any]],
    config: RunnableConfig,
) -> RiskVerdict:
    """The verdict on the candidates: in code without limits or without budget, else the risk
    manager's (an approval of a candidate that breaks a limit is overruled, with a warning)."""
    if not request.risk_limits.limits():
        return RiskVerdict(
            0, {"approve": True, "candidate": 0, "rationale": "no risk limits were set"}
        )
    if out_of_budget(state, request) is not None:
        passing = [i for i, c in enumerate(found) if not c["violations"]]
        approved = passing[0] if passing else None
        return RiskVerdict(
            approved,
            {"approve": approved is not None, "candidate": approved,
             "rationale": "checked in code: the token or time budget is spent"},
        )  # fmt: skip
    outcome = review_risk(
        found,
        limits_for_review(request),
        state.get("round", 0),
        config,
        resources_of(state).settings,
        hedge_available=hedge_available(state) if hedge_possible(state) else None,
    )
    decision = outcome.decision
    judged = RiskVerdict(
        None,
        decision.model_dump(mode="json"),
        constraints=[c.model_dump(mode="json") for c in decision.add_constraints],
        require_hedge=decision.require_hedge and hedge_available(state),
        update=charge(outcome),
    )
    chosen = decision.candidate
    if decision.approve and chosen is not None and chosen < len(found):
        if found[chosen]["violations"]:
            judged.update["warnings"] = warned(
                [
                    f"the risk manager approved candidate {chosen}, which breaks a risk limit: overruled"
                ]
            )
        else:
            judged.approved = chosen
    return judged


def limits_for_review(request: OptimizationRequest) -> dict[str, Any]:
    """The request's limits as the risk manager reads them: each metric's limit, the statistic
    of the paths it is checked on, its key in the candidates' metrics and the statistic in
    words; and where they apply."""
    out: dict[str, Any] = {
        metric: {
            "limit": limit.limit,
            "statistic": limit.statistic,
            "key": limit.key(metric),
            "checked": statistic_words(limit.statistic),
        }
        for metric, limit in request.risk_limits.limits().items()
    }
    if request.risk_limits.scenarios:
        out["scenarios"] = list(request.risk_limits.scenarios)
    return out


def _search_again(
    state: OptimizationState,
    request: OptimizationRequest,
    judged: RiskVerdict,
    found: list[dict[str, Any]],
    trials_left: int,
) -> dict[str, Any]:
    """The state update of another round: the new constraints (the verdict's, else the
    violated limits; a hedge requirement when asked), each on the statistic of the paths its
    metric's limit is checked on (the path mean for a metric without a limit), the round and
    its trial budget."""
    constraints = judged.constraints or [
        {"metric": v["metric"], "scenario": v["scenario"], "max": v["limit"]}
        for c in found
        for v in c["violations"]
    ]
    limits = request.risk_limits.limits()
    rounds_left = request.max_risk_rounds - state.get("round", 0)
    known = {(c["metric"], c.get("scenario")) for c in state.get("constraints", [])}
    added = [
        {
            "metric": c["metric"],
            "scenario": c.get("scenario"),
            "max": c["max"],
            "statistic": limits[c["metric"]].statistic if c["metric"] in limits else "mean",
        }
        for c in constraints
        if (c["metric"], c.get("scenario")) not in known
    ]
    update: dict[str, Any] = {}
    if judged.require_hedge:
        added.append({"metric": "hedge_premium", "scenario": None, "min": HEDGE_REQUIRED_PREMIUM})
        update["hedge_required"] = {
            "round": state.get("round", 0) + 1,
            "constraint": constraint_words(added[-1]),
            "reason": judged.verdict.get("rationale"),
        }
    return {
        **update,
        "chosen": None,
        "round": state.get("round", 0) + 1,
        "constraints": [*state.get("constraints", []), *added],
        "round_budget": len(state["trials"]) + math.ceil(trials_left / rounds_left),
    }


def after_risk_gate(state: OptimizationState) -> str:
    """Search again under the new constraints, or explain the chosen configuration."""
    if state.get("chosen") is None and state.get("status") != "partial":
        return "propose"
    return "explain" if state.get("chosen") else "finalize"
