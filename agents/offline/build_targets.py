"""The target a portfolio build is asked at: a volatility (the efficient-risk portfolio, the
highest past return at that volatility or less) or a return (the efficient-return portfolio, the
lowest volatility that reaches it), as annualised fractions; and a later message that moves the
target of such a build ("and 30%?", "what about 20% vol?")."""

from __future__ import annotations

from typing import Any

from agents.offline.intent import Intent
from agents.offline.intent.changes import Change
from agents.offline.intent.typos import normalised
from agents.offline.method_names import method_name
from services.portfolio_targets import TARGET_ARGUMENTS
from settings import patterns

_VOLATILITY_AT = patterns.compile(
    r"\b(?:with|for|at|of)\s+(?:a\s+|an\s+)?(\d+(?:\.\d+)?)\s*%\s*(?:annual(?:i[sz]ed)?\s+)?"
    r"vol(?:atility)?\b"
)
"""A volatility a portfolio is asked at ("the best portfolio of AAPL and KO with 15% volatility",
"the optimal mix for a 20% vol")."""

_RETURN_AT = patterns.compile(
    r"\b(?:(?:with|for|at|of|targeting|target(?:ing)?)\s+(?:an?\s+|the\s+)?"
    r"(?:(?:at\s+least|a\s+minimum\s+of|minimum|min)\s+(?:an?\s+)?)?"
    r"(\d+(?:\.\d+)?)\s*%\s*(?:(?:annual(?:i[sz]ed)?|expected|yearly)\s+)?returns?\b"
    r"|(?:returning|earning|that\s+returns|to\s+return)\s+(?:at\s+least\s+)?"
    r"(\d+(?:\.\d+)?)\s*%)"
)
"""A return a portfolio is asked to reach ("with at least 15% return", "targeting a 12% annual
return", "returning at least 10%")."""


def volatility_targeted(intent: Intent) -> float | None:
    """The annualised volatility a build is asked to target or stay under (a fraction), if any."""
    if intent.target_vol is not None:
        return intent.target_vol
    if (limit := intent.risk_limits.get("volatility")) is not None:
        return limit
    said = _VOLATILITY_AT.search(normalised(intent.text))
    return float(said[1]) / 100 if said else None


def return_targeted(intent: Intent) -> float | None:
    """The annualised return a build is asked to reach (a fraction), if any."""
    said = _RETURN_AT.search(normalised(intent.text))
    return float(said[1] or said[2]) / 100 if said else None


def targeted_method(method: str, intent: Intent) -> str:
    """`method`, or efficient-return for a least-volatile portfolio asked with a return ("the
    lowest-risk portfolio returning at least 18%": the lowest volatility that reaches it)."""
    if method == "min_volatility" and return_targeted(intent) is not None:
        return "efficient_return"
    return method


_TARGET_READERS = {"efficient_risk": volatility_targeted, "efficient_return": return_targeted}
"""How the message states each targeted method's target."""


def target_args(method: str, intent: Intent) -> dict[str, float]:
    """The target argument of a build by `method` the message states (none for another method)."""
    read = _TARGET_READERS.get(method)
    stated = None if read is None else read(intent)
    return {} if stated is None else {TARGET_ARGUMENTS[method]: stated}


def moved_target(change: Change, build: dict[str, Any]) -> tuple[str, float] | None:
    """The targeted method and its new target when `change` moves or sets the target of the
    build of arguments `build`: a percentage said alone after a targeted build ("and 30%?"); a
    volatility ("what about 20% vol?": the efficient-risk portfolio) or a return ("what about a
    20% return?": the efficient-return portfolio) after any build, when the message asks
    nothing else (a strategy's estimate "for a 10% target vol in a bear market" is not one);
    None otherwise."""
    if change.leverage is not None or change.lookback is not None:
        return None
    method = str(build.get("method"))
    if change.target_vol is not None:
        moved: tuple[str, float] = ("efficient_risk", change.target_vol)
    elif change.target_return is not None:
        moved = ("efficient_return", change.target_return)
    elif change.percent is not None and method in TARGET_ARGUMENTS:
        moved = (method, change.percent)
    else:
        return None
    if moved[0] == method:
        return moved
    plain = change.intent.intent in ("unclear", "optimize_portfolio") and not change.scenarios
    return moved if plain else None


def move_target(build: dict[str, Any], method: str, target: float) -> str:
    """Set in place the build of arguments `build` to `method` at `target`; the change in words
    ("target return 20.0% instead of 15.0%", "target return 20.0% instead of target volatility
    15.0%", "target return 20.0% (the efficient-return portfolio instead of the HRP one)")."""
    key = TARGET_ARGUMENTS[method]
    built = str(build.get("method") or "hrp")
    before = next(
        (
            (name, build.pop(name))
            for name in TARGET_ARGUMENTS.values()
            if build.get(name) is not None
        ),
        None,
    )
    build["method"] = method
    build[key] = target
    said = f"{key.replace('_', ' ')} {target:.1%}"
    if before is not None:
        name, value = before
        was = "" if name == key else f"{name.replace('_', ' ')} "
        return f"{said} instead of {was}{float(value):.1%}"
    if built != method:
        return (
            f"{said} (the {method_name(method)} portfolio instead of the {method_name(built)} one)"
        )
    return said
