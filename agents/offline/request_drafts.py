"""The offline model's `agents.chat.RequestDraft` of a search request waiting for approval: what
a change of the waiting search is drafted from ("make it 8 trials" after "with KO only" and a
question about KO keeps KO alone), with the parameters its conversation asked about (the
waiting proposal's `focus`), instead of the conversation read again, which an aside between
two changes could mislead.

A waiting request is a draft made into a request (`graphs.chat_search.request_from_draft`) and
filled from the owner's profile, so every field a draft sets has its place in the request:
universe, window, scenarios and their weights, the volatility targets (a range, or one target
kept), the weight rules (the default one kept for a search asked about its settings,
`focus`), the settings kept instead of searched (a fixed `lookback`,
`rebalance_every`, `max_leverage`), the risk limits, the trial budget and the option protection
with its pricing. A search-space entry left at its range is left out (the draft's default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_args

from agents.decisions import FixedSetting
from quant.strategy import StrategyConfig

DEFAULT_RULE = StrategyConfig.model_fields["weight_function"].default
"""The weight rule a search asked about the rule's settings keeps (a draft's `focus` without
`weight_function`: `graphs.chat_search.request_from_draft`)."""

_PROTECTION_NUMBERS = {
    "overlay_lower_strike": "lower_strike",
    "overlay_call_strike": "call_strike",
    "overlay_roll_delta_band": "roll_delta_band",
}
"""Search-space entries of a hedge that a draft gives as one number -> `ProtectionDraft` field."""
_PROTECTION_PAIRS = {
    "overlay_strike": "strike_range",
    "overlay_hedge_ratio": "hedge_ratio_range",
    "overlay_budget": "budget_range",
}
"""Search-space entries of a hedge that a draft gives as [low, high] -> `ProtectionDraft` field."""
_VOL_MODEL_FIELDS = ("variance_risk_premium", "skew", "realised_window")
"""The option pricing's fields a draft can state (`VolModelDraft`); the rest keep defaults."""


def _pair(spec: Any) -> list[float]:
    """[low, high] of a range entry, [v, v] of a fixed one."""
    if isinstance(spec, Mapping):
        return [spec["low"], spec["high"]]
    return [spec, spec]


def _listed(spec: Any) -> list[Any]:
    """The choices of a choices entry, [v] of a fixed one."""
    if isinstance(spec, Mapping):
        return list(spec["choices"])
    return [spec]


def _protection(space: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `ProtectionDraft` of the hedge `space` searches, None when it holds none."""
    if "overlay" not in space:
        return None
    drafted: dict[str, Any] = {"kinds": _listed(space["overlay"])}
    for entry, name in _PROTECTION_NUMBERS.items():
        if entry in space:
            drafted[name] = space[entry]
    for entry, name in _PROTECTION_PAIRS.items():
        if entry in space:
            drafted[name] = _pair(space[entry])
    if "overlay_tenor_days" in space:
        drafted["tenor_days"] = _listed(space["overlay_tenor_days"])
    if "overlay_roll" in space:
        drafted["roll"] = space["overlay_roll"]
    priced = request.get("vol_model") or {}
    vol_model = {k: priced[k] for k in _VOL_MODEL_FIELDS if priced.get(k) is not None}
    if vol_model:
        drafted["vol_model"] = vol_model
    return drafted


def draft_of_request(request: Mapping[str, Any], focus: Sequence[str] = ()) -> dict[str, Any]:
    """The `RequestDraft` fields (JSON) that draft the search request `request` (an
    `OptimizationRequest` as JSON) asked about the parameters `focus`: the request made of them
    (`graphs.chat_search.request_from_draft`) is `request` again, before the owner's profile
    fills it (a value the profile filled is then one the draft states)."""
    space: Mapping[str, Any] = request.get("search_space") or {}
    draft: dict[str, Any] = {
        key: request[key]
        for key in ("universe", "start", "end", "scenarios", "scenario_weights")
        if request.get(key) is not None
    }
    if focus:
        draft["focus"] = list(focus)
    if "target_vol" in space:
        draft["target_vol_range"] = _pair(space["target_vol"])
    rule = space.get("weight_function")
    of_the_focus = rule == DEFAULT_RULE and focus and "weight_function" not in focus
    if rule is not None and not of_the_focus:  # the default rule kept for the focus: unsaid
        draft["weight_functions"] = _listed(rule)
    fixed = {
        name: space[name]
        for name in get_args(FixedSetting)
        if name in space and not isinstance(space[name], Mapping)
    }
    if fixed:
        draft["fixed"] = fixed
    limits = {
        metric: value
        for metric, value in (request.get("risk_limits") or {}).items()
        if value is not None and not isinstance(value, Mapping)
    }  # a limit on another statistic than the default comes from the profile, which fills it
    # again (a draft states limits on the default statistic only)
    if limits:
        draft["risk_limits"] = limits
    trials = (request.get("budget") or {}).get("max_trials")
    if trials is not None:
        draft["max_trials"] = trials
    if (protection := _protection(space, request)) is not None:
        draft["protection"] = protection
    return draft
