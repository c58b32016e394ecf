"""Why a drawdown was so deep, asked after a risk report or a backtest of weights ("what's the
max drawdown of AAPL, MSFT and KO equally weighted?", then "why so big?"): when it ran, from the
portfolio's peak to its trough, and what each holding and the S&P 500 index did over those
sessions, measured with `asset_statistics` (the weights over the report's window first, for the
dates a risk report does not give, then over the fall itself). Prices alone do not say why,
and the reply says so. Before: "No strategy search has finished in this conversation ..."."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.statistic_words import pct
from agents.offline.thread_portfolios import built_weights
from agents.offline.why_asked import WHY_ASKED
from services.formatting import count, listed
from settings import patterns

__all__ = ["drawdown_to_explain", "drawdown_why_chat"]

_FALL_ASKED = patterns.compile(
    r"^\W*$|\b(?:so\s+(?:big|deep|large|bad|much|high|severe|steep)|draw[\s-]?downs?|drop(?:ped)?"
    r"|fall|fell|lose|lost|loss|decline[ds]?)\b"
)
"""What a question why says of a fall after its "why" ("why so big?", "why was the drawdown so
deep?"), or nothing ("why?")."""
_TOOL = "asset_statistics"


@dataclass(frozen=True)
class Drawdown:
    """The deepest fall of the weights a risk report or a backtest measured: the weights
    (fractions), the window measured (ISO dates), the depth (a positive fraction) and, when the
    result gave them, the peak, the trough and the recovery (None: not back by the window's end)."""

    weights: dict[str, float]
    start: str
    end: str
    depth: float
    peak: str | None = None
    trough: str | None = None
    recovery: str | None = None


def drawdown_to_explain(inp: PolicyInput) -> Drawdown | None:
    """The drawdown the message asks why of: the latest result's, when it is a risk report or a
    backtest of weights with a drawdown; None when the message asks no such thing."""
    low = user_text(inp).lower()
    asked = WHY_ASKED.search(low)
    if asked is None or not _FALL_ASKED.search(low[asked.end() :][:80]):
        return None
    latest = earlier_results(inp)[:1]
    if not latest or not isinstance(latest[0][2], dict):
        return None
    name, args, data = latest[0]
    if name == "portfolio_risk_report" and data.get("max_drawdown"):
        built = built_weights(inp, str(args.get("portfolio_id") or ""))
        weights = args.get("weights") or {t: w for t, w in built.items() if w}
        span = data.get("date_range") or {}
        if not weights or not span.get("start"):
            return None
        held = {str(t): float(w) for t, w in weights.items()}
        return Drawdown(held, span["start"], span["end"], float(data["max_drawdown"]))
    if name == "backtest_weights" and isinstance(data.get("max_drawdown"), dict):
        fall, window = data["max_drawdown"], data.get("window") or {}
        if not fall.get("depth") or not fall.get("peak"):
            return None
        held = {
            str(t): float(w) for t, w in (data.get("portfolio") or {}).get("weights", {}).items()
        }
        return Drawdown(held, window["start"], window["end"], float(fall["depth"]), fall["peak"],
                        fall["trough"], fall.get("recovery"))  # fmt: skip
    return None


def _after(day: str) -> str:
    """The calendar day after `day` (a window from it starts from `day`'s close)."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def drawdown_why_chat(inp: PolicyInput) -> AIMessage | None:
    """The specialist's calls and answer for why a drawdown was so deep (see the module
    docstring); None when the message asks no such thing."""
    fall = drawdown_to_explain(inp)
    if fall is None or _TOOL not in inp.tool_names:
        return None
    done = [r for r in inp.results_this_turn() if r.name == _TOOL]
    if fall.peak is None:  # a risk report gives no dates: the weights over its window first
        if not done:
            args = {"weights": fall.weights, "start": fall.start, "end": fall.end}
            return reply("", tool_call(_TOOL, args))
        if (failed := done[0].failure("find when the drawdown ran")) is not None:
            return reply(failed)
        dated = done[0].data["portfolio"]["max_drawdown"]
        fall = Drawdown(fall.weights, fall.start, fall.end, fall.depth, dated["peak"],
                        dated["trough"], dated.get("recovery"))  # fmt: skip
        done = done[1:]
    if fall.peak is None or fall.trough is None or fall.peak >= fall.trough:
        return reply(f"The maximum drawdown was {pct(fall.depth, 2)}; no fall to take apart.")
    if not done:
        args = {"weights": fall.weights, "start": _after(fall.peak), "end": fall.trough}
        return reply("", tool_call(_TOOL, args))
    if (failed := done[-1].failure("measure the holdings over the fall")) is not None:
        return reply(failed)
    return reply(_answer(fall, done[-1]))


def _answer(fall: Drawdown, over: ToolResult) -> str:
    """The fall, when it ran, and each holding's and the index's return over it."""
    data: dict[str, Any] = over.data
    returns = {t: float(s["cumulative_return"]) for t, s in data["assets"].items()}
    order = sorted(returns, key=lambda t: returns[t])
    held = ", ".join(f"{t} {pct(returns[t])} (held {pct(fall.weights.get(t, 0.0))})" for t in order)
    index = data.get("index") or {}
    market = (
        f"; the S&P 500 index {pct(float(index['cumulative_return']))}"
        if index.get("cumulative_return") is not None
        else ""
    )
    back = (
        f"back at the peak on {fall.recovery}"
        if fall.recovery
        else "not back at the peak by the window's end"
    )
    rose = [t for t in order if returns[t] >= 0]
    fell = [t for t in order if t not in rose]
    verdict = (
        f"{listed(rose)} did not fall over them; the drawdown came from {listed(fell)}."
        if rose
        else "Every holding fell over the same sessions: the drawdown is their fall together, "
        "not one name's."
    )
    return (
        f"The maximum drawdown of {pct(fall.depth, 2)} ran from the portfolio's peak on "
        f"{fall.peak} to its trough on {fall.trough} ({count(data['window']['sessions'])} "
        f"sessions; {back}). Over those sessions, from the close of {fall.peak}: {held}{market}. "
        f"{verdict} The market data holds daily prices only, not earnings, rates or news, so it "
        "shows what fell and by how much, not why."
    )
