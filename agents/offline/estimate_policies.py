"""The offline model's rules for an estimate asked in the chat ("how would a 10% target vol
sigmoid strategy do in a bear market?", "what does my strategy model say about leverage
1.5?"): the `estimate_strategy` call with the configuration the message states
(`agents.offline.strategy_args`), the scenarios and the search (run id) it names, and the answer from the tool's
result only: labelled a model estimate, per scenario each metric's estimate with its interval,
the model's version and its held-out Sharpe rank correlation, and the full evaluation offered.

What the message says that the estimate does not use (stocks, a range of targets, risk limits,
a second weight function, a percentage no setting took, ...) is named as not used. Without a
strategy model the answer says so, estimates nothing and offers a search.
"""

from __future__ import annotations

import math
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.estimates import RUN_ID
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.offline.strategy_args import stated_config, stated_fields

__all__ = ["backtest_offer", "estimate_answer", "estimate_args", "estimate_chat", "not_used"]

TOOL = "estimate_strategy"

_METRICS = (
    ("sharpe", "Sharpe", "{:.2f}"),
    ("cagr", "CAGR", "{:.1%}"),
    ("volatility", "volatility", "{:.1%}"),
    ("max_drawdown", "maximum drawdown", "{:.1%}"),
    ("cvar_95", "95% CVaR", "{:.2%}"),
)
"""The metrics an answer quotes, in order: key of the tool's answer, name, format."""

_LIMITS = {"max_drawdown": "drawdown", "cvar": "CVaR", "var": "VaR", "volatility": "volatility"}
"""Risk limits in words."""

NO_MODEL = "no strategy model yet"
"""What the tool's error says when the owner has no model (`services.estimates`)."""


def estimate_args(intent: Intent) -> dict[str, Any]:
    """The `estimate_strategy` arguments of the message: the StrategyConfig fields it states,
    the scenarios it names (none named: all the search's) and the search it names by run id
    (none: the newest the model learnt)."""
    args: dict[str, Any] = {"config": stated_config(intent)}
    if intent.scenarios:
        args["scenarios"] = list(intent.scenarios)
    if run := RUN_ID.search(intent.text.lower()):
        args["run_id"] = run.group(1)
    return args


def not_used(intent: Intent, config: dict[str, Any]) -> list[str]:
    """What the message states that the estimate of `config` does not use, each with why."""
    notes = []
    if intent.tickers or intent.all_tickers or intent.sectors:
        named = ", ".join(intent.tickers) or "the stocks named"
        notes.append(
            f"{named}: an estimate is in the universe and scenarios of a search your model "
            "learnt (a search of these stocks teaches it theirs)"
        )
    if len(intent.weight_functions) > 1:
        notes.append(
            f"weight functions {' and '.join(intent.weight_functions)}: an estimate is of one "
            "configuration, so it took the default (ask for each in turn)"
        )
    if intent.target_vol_range is not None:
        low, high = intent.target_vol_range
        notes.append(
            f"target vols {low:.0%} to {high:.0%}: an estimate is of one target (a search "
            "compares a range)"
        )
    for key, value in intent.risk_limits.items():
        limit = (
            f"the minimum Sharpe of {value:g}"
            if key == "min_sharpe"
            else f"the {value:.0%} {_LIMITS.get(key, key)} limit"
        )
        notes.append(f"{limit}: an estimate checks no limits (a search keeps them)")
    if intent.risk_free is not None:
        notes.append(f"a {intent.risk_free:.1%} risk-free rate: the search's safe rate is used")
    if intent.confidence is not None and intent.confidence != 0.95:
        notes.append(f"{intent.confidence:.0%} confidence: the model estimates the 95% CVaR")
    hedge = intent.hedge
    if hedge is not None and "overlay" not in config:
        notes.append(
            "the option protection: no kind or strike I could read (e.g. 'a 90% put'), so the "
            "estimate holds no options"
        )
    if hedge is not None:
        extra = [k for k in hedge.kinds if k != "none"][1:]
        extra += [f"{s:.0%} strike" for s in dict.fromkeys(hedge.strikes[1:])]
        extra += [f"{t}-day tenor" for t in hedge.tenors[1:]]
        if extra:
            notes.append(f"{', '.join(extra)}: an estimate is of one overlay (the first named)")
        if hedge.vol_model:
            notes.append("the option pricing settings: the search's are used")
    if intent.unplaced:
        said = ", ".join(f"{p:.0%}" for p in intent.unplaced)
        notes.append(f"{said}: not read as any setting")
    notes += [
        f"{field}: named without a value I could read, so it is at its default"
        for field in stated_fields(intent, config)
    ]
    return notes


def estimate_chat(inp: PolicyInput, intent: Intent, done: set[str]) -> AIMessage:
    """Call `estimate_strategy` for the message's configuration, then answer from its result."""
    if TOOL not in inp.tool_names:
        return reply(
            "Model estimates are not available in this conversation. Nothing was estimated."
        )
    if TOOL not in done:
        return reply("", tool_call(TOOL, estimate_args(intent)))
    latest = [r for r in inp.results_this_turn() if r.name == TOOL]
    result = latest[-1] if latest else None
    if result is None or result.is_error or not isinstance(result.data, dict):
        reason = result.reason if result is not None else "no answer came back"
        if NO_MODEL in reason:
            return reply(
                "You have no strategy model yet: it learns from your searches, so there is no "
                "model estimate to give, and nothing was estimated. Shall I run a search? For "
                "example 'find the best target vol across the scenarios'."
            )
        return reply(f"I could not estimate that: {reason.rstrip('. ')}. Nothing was estimated.")
    config = dict(result.args.get("config") or {})
    return reply(estimate_answer(result.data, config, not_used(intent, config)))


def _phrase(config: dict[str, Any], search: dict[str, Any]) -> str | None:
    """A backtest ask of `config` on the universe and window of `search`, in the words the
    offline model reads; None for a field it has no words for here (an overlay)."""
    words = {
        "target_vol": lambda v: f"target vol {v * 100:g}%",
        "weight_function": lambda v: str(v).replace("_", " "),
        "lookback": lambda v: f"lookback {v}",
        "rebalance_every": lambda v: f"rebalance every {v} days",
        "max_leverage": lambda v: f"leverage {v:g}",
    }
    if not set(config) <= set(words):
        return None
    said = ", ".join(words[key](value) for key, value in config.items())
    universe = ", ".join(search.get("universe") or [])
    window = f" from {search['start']} to {search['end']}" if search.get("start") else ""
    return f"backtest {said or 'a target vol strategy'} on {universe}{window}"


def _same(read: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether `read` holds the fields of `config`, numbers equal up to rounding ("12.3%")."""
    return read.keys() == config.keys() and all(
        math.isclose(read[k], v, rel_tol=1e-9)
        if isinstance(v, float) and isinstance(read[k], float)
        else read[k] == v
        for k, v in config.items()
    )


def backtest_offer(config: dict[str, Any], search: dict[str, Any]) -> str:
    """The offer of a backtest of the stated `config` in the chat, on the universe and window
    of the estimate's `search`: the sentence to say when it reads back as that backtest of
    that configuration (checked by parsing it), else the offer in general words."""
    phrase = _phrase(config, search)
    if phrase is not None:
        intent = parse_intent(phrase, known_tickers())
        if intent.intent == "backtest" and _same(stated_config(intent), config):
            return f"or say '{phrase}' to backtest it on the market history here"
    return "or ask me to backtest this configuration on the market history here"


def estimate_answer(data: dict[str, Any], stated: dict[str, Any], unused: list[str]) -> str:
    """The answer from an `estimate_strategy` result `data` for the configuration fields the
    message `stated`, naming what it said that was `unused`."""
    config, search, model = data["config"], data["search"], data["model"]
    fields = ", ".join(f"{key} {config[key]}" for key in stated if key in config)
    what = f"{fields} (the other fields at their defaults)" if fields else "the default settings"
    coverage = float(data["coverage"])
    lines = [
        f"A {data['label']} (from your strategy model) for {what}, "
        f"in the scenarios of your search {search['run_id']} ({', '.join(search['universe'])}, "
        f"{search['start']} to {search['end']}, {search['horizon']}-day horizon); path means "
        f"with their {coverage:.0%} prediction intervals:"
    ]
    for name, metrics in data["scenarios"].items():
        parts = []
        for key, label, form in _METRICS:
            value = metrics[key]
            low, high = form.format(value["low"]), form.format(value["high"])
            parts.append(f"{label} {form.format(value['estimate'])} ({low} to {high})")
        lines.append(f"{name}: " + ", ".join(parts) + ".")
    rank = (model["accuracy"].get("sharpe") or {}).get("rank_correlation")
    measured = (
        f"held-out Sharpe rank correlation {rank:.2f}"
        if rank is not None
        else "held-out Sharpe rank correlation not measured (too few held-out trials)"
    )
    searches = int(model["searches"])
    lines.append(
        f"Strategy model version {model['version']}, learnt from {searches} "
        f"search{'es' if searches != 1 else ''}; {measured}."
    )
    offer = str(data["full_evaluation"])
    lines.append(f"{offer[:1].upper()}{offer[1:]}; {backtest_offer(stated, search)}.")
    if unused:
        lines.append("Not used: " + "; ".join(unused) + ".")
    return " ".join(lines)
