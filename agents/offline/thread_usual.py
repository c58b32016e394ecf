"""Whether a figure just given is usual ("is that higher than usual?", "is that normal?", "is
that unusually high?", or "why so low?", which prices cannot answer), asked right after a pair's correlation or a stock's volatility, Sharpe
ratio, beta or return (its CAGR) over a window: the same names over all the market data, with
every one-year window of it (`asset_statistics` with `rolling_sessions` 252), and the figure set
beside the whole history's value and the one-year windows' mean and range. "Usual" is said by that definition: higher than
usual is above both the whole history's value and the one-year windows' mean, lower than usual
below both, about usual between them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import (
    known_tickers,
    user_texts,
)
from agents.offline.data_dates import data_start
from agents.offline.intent import parse_intent
from agents.offline.intent.measures import VOLATILE_SAID, measures_named
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.offline.statistic_words import pct
from services.windows import SESSIONS_PER
from settings import patterns

__all__ = ["Usual", "asks_usual", "usual_asked", "usual_chat"]

YEAR = SESSIONS_PER["year"]
"""The length of the windows a figure is set among (sessions)."""

_USUAL = patterns.compile(
    r"\b(?:than|as|versus|vs\.?|compared?\s+(?:to|with)|for\s+(?:it|them))\s+(?:is\s+)?(?:usual"
    r"|normal|average|typical|historically|(?:its|their|the)\s+(?:history|long[\s-]?(?:run|term)"
    r"(?:\s+average)?|historical\s+(?:average|norm|level)|norm))\b"
    r"|\b(?:is|was|are|were)\s+(?:that|it|this|those|these)\s+(?:unusual(?:ly\s+\w+)?|usual|normal"
    r"|typical|abnormal|historically\s+\w+|high|low|elevated|extreme)\b"
)
"""A question whether a figure is usual ("is that higher than usual?", "is that normal?", "was
that high for them?", "is that unusually low?")."""
_WHY_SO = patterns.compile(
    r"^\W*(?:(?:and|but|so|ok(?:ay)?)\W+)?(?:why|how come)\b(?:\s+(?:is|was|are|were))?"
    r"(?:\s+(?:it|that|this|they|those|these|the\s+\w+))?\s+(?:so|that|this)\s+(?:low|high"
    r"|calm|volatile|big|small|weak|strong|negative|positive)\W*$"
)
"""Why a figure just given is so low or high, asked alone ("why so low?", "how come it was so
high?") after a market read: prices hold no reasons, so the figure is set beside its history,
said so first (after a stock's statistics, `why_asked` sets it beside the index's)."""
WHY_LEAD = (
    "The market data holds prices, not the reasons behind them, so it cannot say why; what it "
    "can say is how the figure sits in its own history."
)


def asks_usual(text: str) -> bool:
    """Whether a message asks if a figure is usual (its turn's call reads the figure's history:
    no request of the user's that a follow-up such as "and since 08?" changes)."""
    return bool(_USUAL.search(text.lower()) or _WHY_SO.search(text.lower()))


@dataclass(frozen=True)
class Usual:
    """The figure asked about: its `measure` ("correlation", or a stock's "volatility",
    "sharpe_ratio", "beta" or "cagr"), the `names` it was given for, their values (`given`: a
    pair "A/B" or a stock -> the value), the window they were measured over (`window`, the
    tool's) and the series a beta was measured to (`beta_to`; None: the index)."""

    measure: str
    names: tuple[str, ...]
    given: dict[str, float]
    window: dict[str, Any]
    beta_to: str | None = None


_OF_EACH = {
    "volatility": "annualised volatility",
    "sharpe_ratio": "Sharpe ratio (risk-free rate 0%)",
    "beta": "beta to the S&P 500 index",
    "cagr": "CAGR (compounded growth a year)",
}
"""The measures of each stock the tool also gives over rolling windows, in words."""
_AS_PERCENT = frozenset({"volatility", "cagr"})
"""The measures shown as percentages (the others with two decimals)."""


def _measure_asked(low: str) -> str | None:
    """The measure with a history that a lower-cased question asked of: a correlation, a
    volatility ("how volatile ..."), a Sharpe ratio, a beta or a return ("how did KO do": its
    CAGR); None for any other."""
    named = measures_named(low)
    if "correlation" in named:
        return "correlation"
    found = next((m for m in _OF_EACH if m in named), None)
    if found is None and VOLATILE_SAID.search(low):
        return "volatility"
    return found or ("cagr" if "return" in named else None)


def _figures(
    name: str, data: dict[str, Any], measure: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figures a tool's result (`name`, `data`) gave of `measure` (a pair "A/B" or a stock ->
    the value, None when not given) and the window they were measured over."""
    if name == "market_statistics":  # "how volatile was AAPL in 2022?": a market read
        each = data.get("per_asset") or {}
        return {n: a.get("vol") for n, a in each.items()}, data.get("date_range") or {}
    window = data.get("window") or {}
    if measure != "correlation":
        return {n: a.get(measure) for n, a in (data.get("assets") or {}).items()}, window
    correlation = data.get("correlation") or {}
    names, matrix = correlation.get("assets") or [], correlation.get("matrix") or []
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    return {f"{names[i]}/{names[j]}": matrix[i][j] for i, j in pairs}, window


def usual_asked(inp: PolicyInput) -> Usual | None:
    """The figure the user's latest message asks is usual, when it names no stock of its own and
    the conversation's latest call before it gave a correlation, a volatility or a Sharpe ratio
    asked for (a market read: a volatility); None otherwise."""
    texts = user_texts(inp)
    if len(texts) < 2 or not asks_usual(texts[0]):
        return None
    if parse_intent(texts[0], known_tickers()).tickers:
        return None  # "is that higher than KO's?": another subject
    latest = inp.latest_call_before_turn()
    result = next((r for r in inp.tool_results() if latest and r.call_id == latest["id"]), None)
    measure = _measure_asked(texts[1].lower())
    if result is None or result.is_error or not isinstance(result.data, dict) or measure is None:
        return None
    read = {"asset_statistics": True, "market_statistics": measure == "volatility"}
    if not read.get(result.name):
        return None
    if _WHY_SO.search(texts[0].lower()) and result.name != "market_statistics":
        return None  # "why so low?" after statistics: the index's share of it (`why_asked`)
    values, window = _figures(result.name, result.data, measure)
    given = {str(key): float(value) for key, value in values.items() if value is not None}
    names = tuple(dict.fromkeys(name for key in given for name in key.split("/")))
    beta_to = result.data.get("beta_to") if measure == "beta" else None
    return Usual(measure, names, given, window, beta_to) if given else None


def usual_chat(inp: PolicyInput) -> AIMessage | None:
    """The specialist's reply to `usual_asked`: the history's statistics called, then the
    figure set beside them; None when the message asks no such thing."""
    usual = usual_asked(inp)
    if usual is None:
        return None
    done = [r for r in inp.results_this_turn() if r.name == "asset_statistics"]
    if not done:
        args = {"universe": list(usual.names), "start": data_start(), "rolling_sessions": YEAR}
        against = {"beta_to": usual.beta_to} if usual.beta_to else {}
        return reply("", tool_call("asset_statistics", {**args, **against}))
    failed = done[-1].failure("set that beside its history")
    if failed is not None or not isinstance(done[-1].data, dict):
        return reply(failed or "The history came back empty.")
    history = done[-1].data
    not_given = (history.get("rolling") or {}).get(f"{usual.measure}_not_given")
    if not_given:  # more stocks than the tool rolls pairs of
        return reply(
            f"I cannot set these beside their one-year windows: {not_given}. Ask of fewer of "
            f"them (for example the correlation of {' and '.join(usual.names[:2])} over the same "
            "window), then whether that is usual."
        )
    lead = [WHY_LEAD] if _WHY_SO.search(user_texts(inp)[0].lower()) else []
    return reply(" ".join([*lead, *_lines(usual, history)]))


_VERDICTS = {
    1: ("higher than usual", "above both the whole history's value and the one-year windows' mean"),
    -1: ("lower than usual", "below both the whole history's value and the one-year windows' mean"),
    0: ("about usual", "between the whole history's value and the one-year windows' mean"),
}
"""Above both (1), below both (-1) or neither (0): the verdict and what it means."""


def _lines(usual: Usual, history: dict[str, Any]) -> list[str]:
    """Each figure beside the history's value and its one-year windows, with the verdict."""
    shown = (lambda v: pct(v)) if usual.measure in _AS_PERCENT else (lambda v: f"{v:.2f}")
    span = history.get("window") or {}
    rolled = (history.get("rolling") or {}).get(usual.measure) or {}
    correlation = history.get("correlation") or {}
    names, matrix = list(correlation.get("assets") or []), correlation.get("matrix") or []
    lines = []
    for key, value in usual.given.items():
        if usual.measure == "correlation":
            first, second = key.split("/")
            known = matrix and first in names and second in names
            whole = matrix[names.index(first)][names.index(second)] if known else None
            subject = f"{first} and {second}'s correlation of daily returns"
        else:
            whole = history["assets"].get(key, {}).get(usual.measure)
            words = _OF_EACH[usual.measure]
            if usual.beta_to:
                words = words.replace("the S&P 500 index", usual.beta_to)
            subject = f"{key}'s {words}"
        years = rolled.get(key)
        if whole is None or not years:
            lines.append(f"{subject} has no history to set it beside.")
            continue
        side = int(value > whole and value > years["mean"]) - int(
            value < whole and value < years["mean"]
        )
        verdict, why = _VERDICTS[side]
        lines.append(
            f"{subject} was {shown(value)} from {usual.window.get('start')} to "
            f"{usual.window.get('end')}. Over all the market data ({span.get('start')} to "
            f"{span.get('end')}) it is {shown(whole)}; over every one-year window of it "
            f"({YEAR} sessions, {years['windows']:,} windows) its mean is {shown(years['mean'])}, "
            f"from {shown(years['low'])} (the year to {years['low_date']}) to "
            f"{shown(years['high'])} (the year to {years['high_date']}). So {shown(value)} is "
            f"{verdict}: {why}."
        )
    return lines
