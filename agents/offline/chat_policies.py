"""The offline model's rules for the chat: routing by intent, tool use, answers from tool results.

Chat turns arrive as plain conversation (no JSON task): the supervisor routes the latest message
by `parse_intent`, and each specialist calls the tool the intent asks for, then answers with the
numbers of the tool result. A strategy search is drafted from the intent's slots (universe,
dates, scenarios to stress, volatility target, weight functions, risk limits, trials).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from agents.offline.intent import Intent, parse_intent
from agents.offline.policies import (
    PolicyInput,
    default_policy,
    register_policy,
    reply,
    tool_call,
)
from agents.runner import DECISION_PROMPT, RETRY_PROMPT

LAST_RUN_MARKER = "LAST_RUN:"
"""Prefix of the system message through which the chat hands the explanation agent the last run."""

ROUTES = {
    "market_overview": "market_analysis",
    "scenarios": "market_analysis",
    "optimize_portfolio": "optimizer",
    "backtest": "optimizer",
    "search_strategy": "optimizer",
    "risk_report": "risk_manager",
    "explain": "explanation",
}

HELP = (
    "I can describe the market (regime, trend, volatility, correlations), build portfolios "
    "(HRP, risk parity, min-volatility, max-Sharpe, the efficient frontier), report their risk "
    "(VaR, CVaR, drawdown, risk contributions), and search volatility-targeting strategies "
    "across bull, bear, high- and low-volatility and base-case scenarios, then explain the "
    "winner. Try: 'find the target-vol setting that holds up in a bear market'."
)


@lru_cache(maxsize=1)
def known_tickers() -> tuple[str, ...]:
    """Tickers of the embedded dataset (what intent parsing recognises)."""
    from quant.data import load_sp500_prices

    return tuple(load_sp500_prices().columns)


def user_text(inp: PolicyInput) -> str:
    """The latest message the user wrote (not the agent runner's request for a decision)."""
    asks = (DECISION_PROMPT.split("{")[0], RETRY_PROMPT.split("{")[0])
    for message in reversed(inp.messages):
        if isinstance(message, HumanMessage) and not message.text.startswith(asks):
            return message.text
    return ""


def intent_of(inp: PolicyInput) -> Intent:
    """The intent of the user's latest message."""
    return parse_intent(user_text(inp), known_tickers())


def _forced(inp: PolicyInput, args: dict[str, Any]) -> AIMessage:
    return reply("", tool_call(inp.forced_tool or inp.tool_names[0], args))


def _range(intent: Intent) -> dict[str, Any]:
    args: dict[str, Any] = {}
    tickers = intent.universe(known_tickers())
    if tickers:
        args["universe"] = tickers
    if intent.start:
        args["start"] = intent.start
    if intent.end:
        args["end"] = intent.end
    return args


@register_policy("supervisor")
def supervisor_policy(inp: PolicyInput) -> AIMessage:
    """Route by intent; answer help, greetings and stray confirmations itself."""
    if inp.must_call_tool and inp.forced_tool != "Route":
        return default_policy(inp)
    intent = intent_of(inp)
    if inp.must_call_tool:
        agent = ROUTES.get(intent.intent, "supervisor")
        return _forced(
            inp,
            {
                "agent": agent,
                "run_search": intent.intent == "search_strategy",
                "reason": f"the message reads as {intent.intent.replace('_', ' ')}",
            },
        )
    if intent.intent in ("approve", "reject"):
        return reply("There is no run waiting for your approval.")
    if intent.intent == "smalltalk":
        return reply("Hello. " + HELP)
    return reply(HELP)


def market_chat(inp: PolicyInput) -> AIMessage:
    """Call `market_statistics` (or `generate_market_scenarios`), then describe the result."""
    intent = intent_of(inp)
    done = {call["name"] for call in inp.calls_this_turn()}
    wants_scenarios = intent.intent == "scenarios" and "generate_market_scenarios" in inp.tool_names
    if wants_scenarios and "generate_market_scenarios" not in done:
        return reply("", tool_call("generate_market_scenarios", {**_range(intent), "n_paths": 200}))
    if not wants_scenarios and "market_statistics" not in done:
        return reply("", tool_call("market_statistics", _range(intent)))
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        return reply(
            f"The market data tool failed: {latest[-1].content if latest else 'no result'}"
        )
    data = latest[-1].data
    if wants_scenarios:
        lines = [f"Scenario set {data.get('scenario_set_id')}:"]
        for name, row in (data.get("summary") or {}).items():
            if isinstance(row, dict) and "mean_return" in row and "volatility" in row:
                lines.append(
                    f"{name}: mean return {row['mean_return']:.1%}, volatility {row['volatility']:.1%}"
                )
        return reply(" ".join(lines))
    regime, span = data.get("regime", {}), data.get("date_range", {})
    assets = data.get("per_asset", {})
    text = (
        f"From {span.get('start')} to {span.get('end')} the market is in a "
        f"{regime.get('return_regime', 'neutral')} return regime with "
        f"{regime.get('volatility_regime', 'normal')} volatility"
    )
    if regime.get("market_volatility") is not None:
        text += f" (annualised volatility {regime['market_volatility']:.1%} over the last {regime.get('window_days', 63)} days)"
    text += "."
    if assets:
        ranked = sorted(assets.items(), key=lambda kv: kv[1]["sharpe"])
        text += (
            f" Best Sharpe ratio: {ranked[-1][0]} ({ranked[-1][1]['sharpe']:.2f}); "
            f"worst: {ranked[0][0]} ({ranked[0][1]['sharpe']:.2f})."
        )
    corr = (data.get("correlation") or {}).get("mean_pairwise")
    if corr is not None:
        text += f" Mean pairwise correlation {corr:.2f}."
    return reply(text)


def _last_portfolio(inp: PolicyInput) -> str | None:
    for result in reversed(inp.tool_results()):
        if result.name == "optimize_portfolio" and isinstance(result.data, dict):
            portfolio = result.data.get("portfolio_id")
            if isinstance(portfolio, str):
                return portfolio
    return None


def optimizer_chat(inp: PolicyInput) -> AIMessage:
    """Build a portfolio with `optimize_portfolio` (or the frontier) and describe it."""
    intent = intent_of(inp)
    done = {call["name"] for call in inp.calls_this_turn()}
    if intent.method == "frontier":
        if "efficient_frontier" not in done:
            return reply("", tool_call("efficient_frontier", {**_range(intent), "points": 10}))
        data = inp.latest_tool_results()[-1].data if inp.latest_tool_results() else None
        if not isinstance(data, dict):
            return reply("The frontier could not be computed.")
        points = data.get("points", [])
        best = max(points, key=lambda p: p["sharpe"]) if points else None
        if best is None:
            return reply("The frontier came back empty.")
        return reply(
            f"The efficient frontier spans volatilities {points[0]['volatility']:.1%} to "
            f"{points[-1]['volatility']:.1%}; its best Sharpe ratio, {best['sharpe']:.2f}, is at "
            f"volatility {best['volatility']:.1%} and return {best['return']:.1%}."
        )
    if "optimize_portfolio" not in done:
        args = {**_range(intent), "method": intent.method or "hrp"}
        return reply("", tool_call("optimize_portfolio", args))
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        return reply(f"I could not build that portfolio: {latest[-1].content if latest else ''}")
    data = latest[-1].data
    weights = sorted(data["weights"].items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{t} {w:.1%}" for t, w in weights[:8])
    return reply(
        f"{data['method'].replace('_', ' ')} portfolio ({data['portfolio_id']}): {shown}. "
        f"Expected return {data['expected_return']:.1%}, volatility {data['volatility']:.1%}, "
        f"Sharpe ratio {data['sharpe']:.2f} (in-sample estimates)."
    )


def draft_search(inp: PolicyInput) -> AIMessage:
    """A `RequestDraft` from the latest message's slots."""
    intent = intent_of(inp)
    draft: dict[str, Any] = dict(_range(intent))
    stressed = list(intent.scenarios)
    if stressed:
        draft["scenario_weights"] = {
            name: (2.0 if name in stressed else 1.0)
            for name in ("bull", "bear", "high_vol", "low_vol", "base")
        }
    if intent.target_vol is not None:
        low = max(0.01, round(intent.target_vol * 0.5, 4))
        draft["target_vol_range"] = [low, round(intent.target_vol * 1.5, 4)]
    if intent.weight_functions:
        draft["weight_functions"] = list(intent.weight_functions)
    limits = {
        key: intent.risk_limits[source]
        for key, source in (
            ("max_drawdown", "max_drawdown"),
            ("cvar_95", "cvar"),
            ("var_95", "var"),
        )
        if source in intent.risk_limits
    }
    if limits:
        draft["risk_limits"] = {**limits, "scenarios": stressed or None}
    if intent.budget is not None:
        draft["max_trials"] = intent.budget
    focus = f", weighting the {' and '.join(stressed)} scenario(s) double" if stressed else ""
    draft["summary"] = f"A volatility-targeting strategy search across market scenarios{focus}."
    return _forced(inp, draft)


def risk_chat(inp: PolicyInput) -> AIMessage:
    """Risk report of the portfolio under discussion (the last one built, or the tickers named)."""
    intent = intent_of(inp)
    done = {call["name"] for call in inp.calls_this_turn()}
    if "portfolio_risk_report" not in done:
        level = intent.confidence or 0.95
        portfolio = _last_portfolio(inp)
        tickers = intent.universe(known_tickers())
        if tickers:
            weights = {t: round(1.0 / len(tickers), 6) for t in tickers}
            return reply(
                "", tool_call("portfolio_risk_report", {"weights": weights, "level": level})
            )
        if portfolio is None:
            return reply(
                "Which portfolio? Build one first (for example 'an HRP portfolio of AAPL, MSFT "
                "and JNJ') or name the tickers."
            )
        return reply(
            "", tool_call("portfolio_risk_report", {"portfolio_id": portfolio, "level": level})
        )
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        return reply(f"The risk report failed: {latest[-1].content if latest else ''}")
    d = latest[-1].data
    return reply(
        f"At {d['level']:.0%} confidence the one-day VaR is {d['var_historical']:.2%} and the CVaR "
        f"{d['cvar_historical']:.2%} (historical); the maximum drawdown was {d['max_drawdown']:.1%} "
        f"and the annualised volatility {d['volatility']:.1%}, from {d['date_range']['start']} to "
        f"{d['date_range']['end']}."
    )


def explanation_chat(inp: PolicyInput) -> AIMessage:
    """Answer from the last run handed over in a `LAST_RUN:` system message."""
    for message in inp.messages:
        if isinstance(message, SystemMessage) and message.text.startswith(LAST_RUN_MARKER):
            run = json.loads(message.text[len(LAST_RUN_MARKER) :])
            text = (run.get("explanation") or {}).get("text")
            if text:
                return reply(text)
    return reply("There is no finished run to explain yet: ask me to search for a strategy first.")
