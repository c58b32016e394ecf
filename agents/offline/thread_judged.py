"""A question which of the conversation's stocks is better ("which one is better?", "so which is
the stronger one?", "which is riskier?") right after their statistics were set side by side on
named measures ("compare AAPL and MSFT on sharpe since 2019"), after a market read of them ("how
volatile were AAPL and MSFT in 2022?") or after a risk report of them held together ("how risky
were KO and PEP in 2021?"), or again after such a question ("and which was worse?"): asked of
those measures (a market read naming none: its Sharpe ratios, which it ranks; a risk report:
each one's volatility and maximum drawdown), so it is answered by them (each measure's better
side, over the same window), not as a read of the market over the default window."""

from __future__ import annotations

from typing import Any

from agents.offline.intent import parse_intent
from agents.offline.intent.changes import read_change
from agents.offline.intent.measures import DRAWDOWN_ASKED, measures_named
from agents.offline.intent.rankings import (
    SIDE_BY_SIDE,
    SIDE_BY_SIDE_MEASURES,
    WON,
    judged_asked,
)
from agents.offline.policies import PolicyInput
from quant.sp500_files import sp500_tickers
from settings import patterns

__all__ = ["held_in_report", "judged_again"]

_SAID = {
    "return": "total return", "volatility": "volatility", "sharpe_ratio": "sharpe ratio",
    "sortino_ratio": "sortino ratio", "downside_deviation": "downside deviation",
    "drawdown_dates": "maximum drawdown",
}  # fmt: skip
"""Each measure with a better side, in words the analysis reader reads back as that measure."""


_READS = ("asset_statistics", "market_statistics", "portfolio_risk_report")
"""The calls whose stocks a question which is better judges: their statistics, a market read of
them, or a risk report of them held together."""
_SWAPPABLE = ("asset_statistics", "portfolio_risk_report")
"""The calls a question of other stocks ("and PEP?") asks again, each stock alone: a question
which is better after such a run judges the stocks on the measures first asked."""
_RISK = ("volatility", "drawdown_dates")
"""What a question which is riskier, or which is better after a risk report, is judged by."""
_RISK_JUDGED = patterns.compile(
    r"\b(?:(safer|less\s+risky|the\s+safest|least\s+risky)|(riskier|more\s+risky|the\s+riskiest"
    r"|most\s+risky))\b"
)
"""Which is riskier or safer asked ("which one is riskier?", "which was the safer?")."""
_CHOSEN = patterns.compile(
    rf"\b(?:{WON}|(?:would|should)\s+(?:you|i|we)"
    r"\s+(?:pick|choose|prefer|go\s+with|take))\b"
)
"""Which did better asked as a contest or a choice ("who won?", "so who came out ahead?", "which
would you pick?")."""


def _side(low: str) -> str | None:
    """The side a question which is better asks of: "better" or "worse" (riskier), or None."""
    risk = {"better" if said.group(1) else "worse" for said in _RISK_JUDGED.finditer(low)}
    if risk:
        return risk.pop() if len(risk) == 1 else None
    return judged_asked(low) or ("better" if _CHOSEN.search(low) else None)


def held_in_report(inp: PolicyInput) -> tuple[str, ...]:
    """The stocks of the risk reports that end the conversation's calls before this turn: held
    together in the latest one, when it was given them (a universe, or weights); or each alone
    in a run of one-stock reports asked alike ("what's the max drawdown of AAPL over the last 3
    years?", then "and MSFT?"), in the order asked; () otherwise."""
    latest = inp.latest_call_before_turn()
    if latest is None or latest["name"] != "portfolio_risk_report":
        return ()
    names = _report_names(latest["args"])
    if len(names) != 1:
        return names
    alike = _asked_alike(latest["args"])
    earlier = {call["id"] for call in inp.calls_this_turn()}
    run: list[str] = []
    for call in reversed([c for c in inp.tool_calls_made() if c["id"] not in earlier]):
        one = _report_names(call["args"]) if call["name"] == "portfolio_risk_report" else ()
        if len(one) != 1 or _asked_alike(call["args"]) != alike:
            break
        if one[0] not in run:
            run.insert(0, one[0])
    return tuple(run)


def _report_names(args: dict[str, Any]) -> tuple[str, ...]:
    """The stocks a risk report was given (its universe, or its weights' names)."""
    names = args.get("universe") or list(args.get("weights") or {})
    return tuple(str(name).upper() for name in names)


def _asked_alike(args: dict[str, Any]) -> dict[str, Any]:
    """A risk report's arguments but its stocks: what reports of other stocks share when asked
    alike (the window, the confidence level, the horizon)."""
    return {k: v for k, v in args.items() if k not in ("universe", "weights")}


def _window(args: dict[str, object]) -> str:
    """A call's window in words (" from 2021-01-04 to 2021-12-31"), or ""."""
    said = " ".join(
        f"{word} {args[key]}" for word, key in (("from", "start"), ("to", "end")) if args.get(key)
    )
    return f" {said}" if said else ""


def _compared_on(inp: PolicyInput, texts: list[str], risk: bool) -> tuple[tuple[str, ...], str]:
    """The measures with a better side that the stocks were last compared on, when the
    conversation's latest call (before this turn) read them, and the window of that call in
    words ("" for statistics, whose window the analysis reader keeps): the measures the message
    before named, or the one before a run of such questions ("which was better?", "and which
    was worse?"); naming none, a market read's Sharpe ratio (which it ranks them by) and a risk
    report's volatility and maximum drawdown (`risk`: a question which is riskier, those too;
    after statistics it is the analysis reader's own question, on both of them)."""
    latest = inp.latest_call_before_turn()
    if latest is None or latest["name"] not in _READS or len(texts) < 2:
        return (), ""
    back = 1
    while back < len(texts) - 1 and _side(texts[back].lower()) and not _named(texts[back].lower()):
        back += 1  # a run of questions which is better: the measures asked before it
    swapped = False
    while latest["name"] in _SWAPPABLE and back < len(texts) - 1 and _swaps_subject(texts[back]):
        back, swapped = back + 1, True  # "and PEP?" after KO's Sharpe ratio: KO's measures
    measures = _named(texts[back].lower())
    if latest["name"] == "asset_statistics":
        # the window the stocks were read over, when another stock's question carried it
        window = _window(latest["args"]) if swapped else ""
        if risk:
            return ((), "") if not swapped else (_RISK, window)  # else the analysis reader's
        if not measures and back == 1 and SIDE_BY_SIDE.search(texts[1].lower()):
            measures = SIDE_BY_SIDE_MEASURES  # "which is better?" after "compare AAPL and MSFT"
        if not measures and back > 1:  # a run begun after a market read or a risk report
            began = next(
                (c["name"] for c in reversed(inp.tool_calls_made()) if c["name"] != latest["name"]),
                "",
            )
            measures = _RISK if began == "portfolio_risk_report" else ("sharpe_ratio",)
        return measures, window
    if latest["name"] == "portfolio_risk_report":
        if len(held_in_report(inp)) < 2:
            return (), ""  # a saved portfolio's, or one stock's: no stocks side by side
        return measures or _RISK, _window(latest["args"])
    return measures or (_RISK if risk else ("sharpe_ratio",)), _window(latest["args"])


def _swaps_subject(text: str) -> bool:
    """Whether `text` asks the question before it again of other stocks and names no measure
    ("and PEP?", "what about MSFT?")."""
    change = read_change(parse_intent(text, sp500_tickers()))
    return change is not None and bool(change.subject) and not _named(text.lower())


def _named(low: str) -> tuple[str, ...]:
    """The measures with a better side that `low` names ("drawdown": the maximum drawdown)."""
    named = measures_named(low)
    if DRAWDOWN_ASKED.search(low) and "drawdown_dates" not in named:
        named += ("drawdown_dates",)  # "compare them on drawdown": the maximum drawdown
    return tuple(measure for measure in named if measure in _SAID)


def judged_again(inp: PolicyInput, text: str, texts: list[str]) -> str | None:
    """`text` (the latest message; `texts` the user's messages, latest first), a question which
    stock is better, worse, riskier or safer that names no measure, asked of the measures the
    stocks were just compared on ("which one is better by sharpe ratio?"); None otherwise."""
    low = text.lower()
    side = _side(low)
    if side is None or measures_named(low) or DRAWDOWN_ASKED.search(low):
        return None
    risk = _RISK_JUDGED.search(low) is not None
    measures, window = _compared_on(inp, texts, risk)
    if not measures:
        return None
    judged_by = f"by {' and '.join(_SAID[m] for m in measures)}{window}?"
    if risk or _CHOSEN.search(low):  # "which is riskier?", "who won?": worse or better
        return f"which was {side} {judged_by}"
    return f"{text.rstrip(' ?.!')} {judged_by}"
