"""A portfolio's share in a sector, in named stocks or in cash ("how much of my portfolio is in
tech?", "what's the tech weight of 50% AAPL 30% MSFT 20% KO?", "how much of it is in energy?"
after a build, "how much of it is in MSFT and KO?", "how much of my portfolio is in cash?"): its
risk report (`portfolio_risk_report` of the weights given, else of the conversation's
portfolio), led by the stocks' weights added up and the share of the portfolio's volatility they
carry (their risk contributions added up); for cash, what the weights leave uninvested (one less
their sum, the report's `weights_sum`); for how concentrated weights given are ("how
concentrated is 60% AAPL 20% MSFT 20% KO?"), the largest positions, the largest risk
contribution and the effective number of holdings. With no portfolio in the conversation and
none given, which one (`WHICH_PORTFOLIO`: the holdings given next are the ones read). Before,
the stocks were built into a portfolio of their own (an HRP portfolio of all 20 for cash), or
the market was read."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import (
    WHICH_PORTFOLIO,
    earlier_results,
    known_tickers,
    last_subject,
)
from agents.offline.intent import Intent
from agents.offline.intent.targets import sector_tickers
from agents.offline.policies import PolicyInput, ToolResult, forced_call, reply, tool_call
from agents.offline.statistic_words import pct
from services.formatting import listed
from settings import patterns

__all__ = ["sector_asked", "sector_share_chat", "sector_share_route"]

_SHARE_IN = patterns.compile(
    r"\b(?:how\s+much|what\s+(?:share|part|percent(?:age)?|fraction|proportion))\s+of\b"
    r"[^?.!;]{0,80}?\b(?:is|was|sits)\s+(?:(?:invested\s+)?(?:in|allocated\s+to|exposed\s+to)"
    r"\s+)?(?:the\s+)?(?P<group>[a-z&][a-z&, -]{1,30}?)(?:\s+(?:stocks|names|sector|shares))?"
    r"\s*(?:[?.!]|$)"
    r"|\bhow\s+much\s+(?P<much>[a-z&][a-z&, ]{1,30}?)\s+(?:do\s+(?:i|we)|does\s+it)\s+(?:have|hold"
    r"|own)\s+in\b"
)
"""A sector's (stocks', cash's) share of a portfolio asked ("how much of my portfolio is in
tech?", "what share of it is in energy?", "how much of it is in MSFT and KO?", "what percent of
... is tech?", "how much energy do I have in ...?")."""
_WEIGHT_NAMED = patterns.compile(
    r"\bwhat(?:'s|s|\s+is)\s+(?:the|my|its|our|their)\s+(?P<group>[a-z&][a-z&, ]{1,30}?)\s+"
    r"(?:weight|weighting|share|allocation|exposure)\b"
    r"|\b(?:weight|weighting|share|allocation|exposure)\s+(?:of|to)\s+(?:the\s+)?"
    r"(?P<of>[a-z&][a-z&, ]{1,30}?)\s+(?:in|of)\b"
)
"""A sector's weight named ("what's the tech weight of 50% AAPL 30% MSFT 20% KO?", "the
weighting of energy in 30/30/40 XOM CVX KO")."""


CASH = "cash"
"""The term of the share left uninvested."""
CONCENTRATION = "concentration"
"""The term of how concentrated a portfolio is (its largest positions)."""
_CONCENTRATION_ASKED = patterns.compile(
    r"\bhow\s+(?:concentrated|diversified|spread\s+out)\b|\bconcentration\s+(?:of|in)\b"
    r"|\b(?:is|are)\b[^?.!;]{0,60}?\b(?:too\s+|overly\s+|very\s+)?(?:concentrated|diversified)\b"
    r"|\b(?:what(?:'s|s|\s+is|\s+are)|which\s+(?:is|are))\s+(?:the\s+|my\s+|its\s+|our\s+)?"
    r"(?:biggest|largest|heaviest|top|main)\s+(?:\d+\s+)?(?:positions?|holdings?|weights?|names?"
    r"|bets?)\b"
)
"""How concentrated a portfolio of weights given is asked ("how concentrated is 60% AAPL 20% MSFT
20% KO?", "what's my biggest position in ...?"; of a build, "how concentrated is it?" is its risk
contributions' reply and "what's the biggest position?" its largest holding's)."""
_LIST_WORDS = frozenset({"and", "&", "or", "together", "both"})
"""Words between the tickers of a list of stocks ("MSFT and KO")."""


def sector_asked(intent: Intent) -> tuple[str, list[str]] | None:
    """The group whose share of a portfolio the message asks, as (its term, its stocks): a
    sector's term and its stocks, the tickers named (their list, upper case), `CASH` or
    `CONCENTRATION` (of weights given) with none; None when it asks no such thing."""
    low = intent.text.lower()
    asked = _SHARE_IN.search(low) or _WEIGHT_NAMED.search(low)
    if asked is None:
        given = bool(intent.weights) and "risk" not in low  # else the risk contributions' reply
        return (CONCENTRATION, []) if given and _CONCENTRATION_ASKED.search(low) else None
    group = asked.groupdict()
    words = (group.get("group") or group.get("of") or group.get("much") or "").replace(",", " ")
    words = words.split()
    if words in (["cash"], ["uninvested"]):
        return CASH, []
    for term in (" ".join(words), words[-1] if words else "", words[0] if words else ""):
        if term and (stocks := sector_tickers([term])):
            return term, stocks
    named = [w.upper() for w in words if w not in _LIST_WORDS]
    if named and all(ticker in known_tickers() for ticker in named):
        stocks = list(dict.fromkeys(named))
        return listed(stocks), stocks
    return None


def _portfolio(inp: PolicyInput, intent: Intent) -> dict[str, Any] | None:
    """The portfolio whose share is asked: the weights the message gives, else the
    conversation's portfolio (built last, or the weights an analysis used); None for none."""
    if intent.weights:
        return {"weights": dict(intent.weights)}
    subject = last_subject(inp) or {}
    for key in ("portfolio_id", "weights"):
        if subject.get(key):
            return {key: subject[key]}
    return None


def sector_share_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route for a sector's share of a portfolio: the risk manager (or the
    question back when there is no portfolio); None for any other message."""
    if sector_asked(intent) is None:
        return None
    if _portfolio(inp, intent) is None:
        if inp.must_call_tool:
            reason = "which portfolio a sector's share is asked of"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(WHICH_PORTFOLIO)
    if inp.must_call_tool:
        reason = "a sector's share of a portfolio: its weights and its risk contributions"
        return forced_call(inp, {"agent": "risk_manager", "reason": reason})
    return None


def sector_share_chat(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The risk manager's reply to a sector's share of a portfolio: the risk report, then the
    share; None when the message asks no such thing or there is no portfolio."""
    asked, portfolio = sector_asked(intent), _portfolio(inp, intent)
    if asked is None or portfolio is None:
        return None
    reports = [r for r in inp.results_this_turn() if r.name == "portfolio_risk_report"]
    if not reports:
        return reply("", tool_call("portfolio_risk_report", {**portfolio, "level": 0.95}))
    if reports[-1].is_error or not isinstance(reports[-1].data, dict):
        return reply(f"The risk report failed: {reports[-1].reason}")
    weights = portfolio.get("weights") or _built_weights(inp, str(portfolio["portfolio_id"]))
    return reply(_share_sentence(asked, reports[-1], weights))


def _built_weights(inp: PolicyInput, portfolio_id: str) -> dict[str, float]:
    """The weights of the portfolio `portfolio_id` as the conversation built it ({} when it was
    not built here: a saved portfolio)."""
    for name, _, data in earlier_results(inp):
        built = name == "optimize_portfolio" and isinstance(data, dict)
        if built and data.get("portfolio_id") == portfolio_id:
            return dict(data.get("weights") or {})
    return {}


def _share_sentence(
    asked: tuple[str, list[str]], report: ToolResult, weights: dict[str, float]
) -> str:
    """The group's stocks' weights (when known: given, or built here) and risk contributions
    added up, each stock's after; for cash, what the weights leave uninvested."""
    term, stocks = asked
    data = report.data
    shares = {t: float(s) for t, s in (data.get("risk_contributions") or {}).items()}
    whose = (
        f"portfolio {data['portfolio_id']}" if data.get("portfolio_id") else "the portfolio given"
    )
    if term == CASH:
        return _cash_sentence(whose, float(data["weights_sum"]), weights or None)
    if term == CONCENTRATION:
        return _concentration_sentence(whose, weights, shares)
    held = [t for t in sorted(shares, key=lambda t: -weights.get(t, shares[t])) if t in stocks]
    sector = term != listed(stocks)
    if not held:
        held_now = [f"{t} {pct(float(w))}" for t, w in weights.items()]
        others = ", ".join(held_now) or listed(list(shares))
        what = f"{term} ({listed(stocks)})" if sector else term
        return f"None of {whose} is in {what}, which it does not hold: it holds {others}."
    risk = sum(shares[t] for t in held)
    each = ", ".join(f"{t} {pct(float(weights[t]))}" if t in weights else t for t in held)
    if unheld := [t for t in stocks if t not in held]:
        each += f"; {listed(unheld)} not held"
    together = "" if sector or len(held) == 1 else " together"
    weighed = (
        f" {'are' if together else 'is'}{together} {pct(sum(float(weights[t]) for t in held))} "
        f"of {whose} and"
        if all(t in weights for t in held)
        else f" in {whose}"
    )
    carried = ", ".join(f"{t} {pct(s)}" for t, s in sorted(shares.items(), key=lambda i: -i[1]))
    subject = f"{term.capitalize()} ({each})" if sector else listed(held)
    if not sector and unheld:
        subject += f" ({listed(unheld)} not held)"
    return (
        f"{subject}{weighed} carr{'y' if together else 'ies'} {pct(risk)} of its volatility "
        f"(risk contributions, each holding's share of the portfolio's volatility: {carried}); "
        f"its annualised volatility {pct(float(data['volatility']))}, from "
        f"{data['date_range']['start']} to {data['date_range']['end']}."
    )


def _cash_sentence(whose: str, weights_sum: float, weights: dict[str, float] | None) -> str:
    """What the weights (adding up to `weights_sum`) leave in cash: one less their sum."""
    holdings = (
        ""
        if weights is None
        else " ("
        + ", ".join(f"{t} {pct(float(w))}" for t, w in sorted(weights.items(), key=lambda i: -i[1]))
        + ")"
    )
    left = 1.0 - weights_sum
    if abs(left) < 5e-5:
        return (
            f"None of {whose} is in cash: it is fully invested, its weights{holdings} add up to "
            f"{pct(weights_sum)}."
        )
    if left < 0:
        return (
            f"None of {whose} is in cash: its weights{holdings} add up to {pct(weights_sum)}, "
            f"{pct(-left)} more than its capital (borrowed, or short positions)."
        )
    return (
        f"{pct(left)} of {whose} is in cash: its weights{holdings} add up to "
        f"{pct(weights_sum)}, and what they leave uninvested is cash."
    )


def _concentration_sentence(whose: str, weights: dict[str, float], shares: dict[str, float]) -> str:
    """How concentrated the portfolio of `weights` (given: never empty) is: its largest
    positions by weight and by risk contribution (`shares`), and its effective number of
    holdings (one over the sum of the squared weights: the number of equal weights as
    concentrated)."""
    by_risk = sorted(shares.items(), key=lambda i: -i[1])
    risk = f"{by_risk[0][0]} carries the most of its volatility, {pct(by_risk[0][1])}"
    by_weight = sorted(weights.items(), key=lambda i: -i[1])
    top = by_weight[: min(3, len(by_weight) - 1) or 1]
    effective = 1.0 / sum(w * w for w in weights.values()) * sum(weights.values()) ** 2
    return (
        f"The largest position of {whose} is {by_weight[0][0]} at {pct(by_weight[0][1])}"
        + (
            f"; its top {len(top)} ({listed([t for t, _ in top])}) hold "
            f"{pct(sum(w for _, w in top))}"
            if len(top) > 1
            else ""
        )
        + f". {risk}. Its effective number of holdings is {effective:.1f} of {len(weights)} "
        f"(one over the sum of the squared weights, as shares of the invested total: the number "
        f"of equal positions that would be as concentrated)."
    )
