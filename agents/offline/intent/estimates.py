"""Whether a message asks for the strategy model's estimate of a configuration (the
``estimate`` intent): "estimate target vol 8% without running a search", "model estimate for
inverse vol", "quick estimate for target_vol 0.12 in the bull and base scenarios", "what does my
strategy model say about leverage 1.5?", "instant read on a 10% sigmoid strategy", "how would a
10% target vol strategy do in a bear market?".

A message reads as one only when it speaks of a strategy configuration (a volatility target, a
weight function, a StrategyConfig field, "strategy" or "configuration"): a question about the
strategy model itself ("how is the strategy model trained?") is one about Stratigos. What reads as another ask stays that ask: a backtest ("backtest ...", "how would
... have done", a window of dates), a search for the best setting ("find the best target vol",
"search", "trials"), a portfolio build (a method named) and a deployment.
"""

from __future__ import annotations

from typing import Any

from settings import patterns

__all__ = ["RUN_ID", "asks_estimate"]

RUN_ID = patterns.compile(r"\b(run_[0-9a-f]{12})\b")
"""A search's run id, as `graphs.optimization_run` makes them."""

_MODEL_ASK = patterns.compile(
    r"\bmodel[\s-]+estimates?\b|\b(?:estimate|predict\w*|forecast\w*) (?:from|of|by) (?:my|the|our) "
    r"(?:strategy )?model\b"
    r"|\bwhat (?:does|would|do|will) (?:my|the|our) (?:strategy[\s-]+)?model (?:say|predict|expect"
    r"|think|estimate|give|show)\w*"
)
"""The strategy model asked for its estimate: enough beside a configuration named."""

_ESTIMATE_WORD = patterns.compile(
    r"^(?:please\s+|can you\s+|could you\s+)?estimate\b|\b(?:quick|instant|rough|fast|ballpark)"
    r"[\s-]+(?:estimate|read|take|check|answer|number)s?\b|\bestimate (?:for|of|how)\b"
    r"|\b(?:give me|get me|need|want) an? estimate\b|\bestimated?\b.*\bwithout (?:running|a|any) "
    r"(?:a )?(?:search|backtest|simulation)"
)
"""An estimate asked for in words: counts when a configuration is named."""

_FORWARD = patterns.compile(
    r"\bhow (?:would|will|might|could|does|do)\b(?!.*\bhave\b).*\b(?:do|perform|fare|hold up"
    r"|behave)\b.*\bin (?:a |an |the )?(?:bull|bear|high|low|base|crash|downturn|recession"
    r"|sell[\s-]?off|calm|volatile|turbulent|rally|boom|normal|crisis)"
    r"|\bhow (?:would|will|might|could)\b(?!.*\bhave\b).*\b(?:do|perform|fare|hold up|behave)"
    r"\s*[?.!]*\s*$"
)
"""How a configuration would do in a scenario, or in all of them (not "would have done": a
backtest)."""

_QUESTION = patterns.compile(
    r"\?\s*$|^(?:what|how|would|could|will|does|do|is)\b|\bwhat (?:about|if|would)\b"
)
"""A message asked as a question."""

_CONFIGURATION = patterns.compile(
    r"\bstrateg(?:y|ies)\b|\bconfig(?:uration)?s?\b|\bsetup\b|\bsettings?\b"
)

_OTHER_ASK = patterns.compile(
    r"\bback[\s-]?test\w*|\bhave (?:done|performed|fared|held up)\b|\btrials?\b"
    r"|\b(?:find|identify|pick|choose|look for|search for)\b.*\b(?:best|optimal|robust|right|ideal)\b"
    r"|\bdeploy\w*|\bpaper[\s-]?trad\w*|\bportfolios?\b"
)
"""What asks for a backtest, a search, a deployment or a portfolio instead."""


_WITHOUT = patterns.compile(r"without (?:running )?(?:a |any )?\w+")
_STRATEGY_MODEL = patterns.compile(r"\bstrategy model\b")
_BEST = patterns.compile(r"\b(?:best|optimal|ideal|optimi[sz]\w*|which)\b")


def asks_estimate(low: str, slots: dict[str, Any]) -> bool:
    """Whether the lower-cased message `low`, with its parsed `slots`, asks for the strategy
    model's estimate of a configuration (see the module docstring)."""
    if slots["method"] or slots["start"] or slots["end"] or slots["last_sessions"]:
        return False  # a portfolio to build, or a window of history: not the model's scenarios
    if slots["weights"] or slots["budget"]:
        return False
    model = bool(_MODEL_ASK.search(low))
    other = _OTHER_ASK.search(_WITHOUT.sub(" ", low))
    if other and not model:
        return False
    configured = bool(
        slots["target_vol"] is not None
        or slots["weight_functions"]
        or slots["parameters"]
        or _CONFIGURATION.search(_STRATEGY_MODEL.sub(" ", low))
    )
    asked = bool(_ESTIMATE_WORD.search(low) or _FORWARD.search(low))
    # "what about a 12% vol target, 9 months lookback and a crash?": a configuration in a
    # scenario, asked as a question, with no search or backtest said, is the model's to estimate
    in_scenario = bool(slots["scenarios"]) and bool(_QUESTION.search(low))
    in_scenario = in_scenario and not _BEST.search(low)
    return configured and (model or asked or (in_scenario and not other))
