"""The offline model's rules for a backtest asked in the chat ("backtest a 15% target-vol
strategy with a 90% put"): the `backtest_strategy` call on the universe's history (the tickers,
start and end the message names, else the tool's defaults), and the answer from its result,
with what an option overlay cost and paid.

The strategy is the one the message describes (`agents.offline.strategy_args`: its target
volatility, weight function, lookback, rebalancing, leverage and at most one overlay kind with
one strike and one tenor: the tool tests one strategy); the vol model when the message states
it in the model's terms. An ask for several kinds or a strike
range gets a question instead of a guess.
"""

from __future__ import annotations

from typing import Any

from agents.offline.intent import Intent
from agents.offline.strategy_args import stated_config
from quant.hedge_names import HEDGE_NAMES, hedge_outcome_words
from quant.strategy import HEDGE_PARAMETERS
from services.formatting import WEIGHT_FUNCTIONS, count
from settings import patterns


def backtest_question(intent: Intent) -> str | None:
    """A question when the message asks to backtest several overlays at once."""
    hedge = intent.hedge
    if hedge is None:
        return None
    kinds = [kind for kind in hedge.kinds if kind != "none"]
    if len(kinds) > 1:
        return (
            f"A backtest tests one strategy: which overlay should it hold, "
            f"{' or '.join(k.replace('_', ' ') for k in kinds)}? (To compare them, ask for a "
            "search, e.g. 'compare collars and put spreads'.)"
        )
    if len(set(hedge.strikes)) > 1 or len(hedge.tenors) > 1:
        return (
            "A backtest tests one strategy: which strike and tenor should the put have (e.g. "
            "'a 3-month 90% put')? To compare several, ask for a search."
        )
    return None


def backtest_args(intent: Intent, history: dict[str, Any]) -> dict[str, Any]:
    """The `backtest_strategy` arguments of the message: its config and, on the history range
    `history` (universe, start, end as the message names them), the vol model it states."""
    args: dict[str, Any] = {"config": stated_config(intent), **history}
    hedge = intent.hedge
    if hedge is not None and "overlay" in args["config"] and hedge.vol_model:
        args["vol_model"] = dict(hedge.vol_model)
    return args


_AN = patterns.compile(r"8|1[18](?!\d)")
"""A number said with "an" before it ("an 8%", "an 11.5%", "an 18%"; not "a 12%", "a 180%")."""


def backtest_answer(data: dict[str, Any]) -> str:
    """The answer from a `backtest_strategy` result on the history."""
    config, metrics, history = data["config"], data["metrics"], data["history"]
    target = f"{round(100 * float(config['target_vol']), 2):g}"
    rule = WEIGHT_FUNCTIONS.get(config["weight_function"], config["weight_function"])
    rule = f"the {rule}" if rule.endswith(" rule") else rule.replace("_", " ")
    text = (
        f"Backtest of {'an' if _AN.match(target) else 'a'} {target}% target-vol strategy "
        f"weighted by {rule} on the equal-weight portfolio of {', '.join(history['universe'])}, "
        f"{history['start']} to {history['end']} ({count(history['evaluated_days'])} days evaluated): "
        f"CAGR {metrics['cagr']:.1%}, volatility {metrics['volatility']:.1%}, Sharpe "
        f"{metrics['sharpe']:.2f}, maximum drawdown {metrics['max_drawdown']:.1%}, daily 95% "
        f"CVaR {metrics['cvar_95']:.2%}."
    )
    if history.get("warm_up"):
        text += f" Note: {history['warm_up']['note']}."
    if config.get("overlay", "none") == "none":
        return text
    model = data["vol_model"]
    return (
        f"{text} Its {hedge_cost_words(config, metrics)}; options priced from the realised "
        f"volatility over {model['realised_window']} days plus a variance risk premium of "
        f"{model['variance_risk_premium']:g}, skew {model['skew']:g}."
    )


SOLD_LEGS = {"overlay_lower_strike": "sold put", "overlay_call_strike": "sold call"}
"""What the second leg of a hedge (`quant.strategy.HEDGE_PARAMETERS`) is called in a reply."""


def hedge_cost_words(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """What a hedged backtest's option overlay (`config`) cost and paid back (`metrics`:
    `hedge_premium`, `hedge_payoff` and `hedge_carry`, fractions of wealth a year): "protective
    put (strike 90%, 63-day tenor) cost 3.87% of wealth a year in premiums and paid back
    0.00%, a net cost (carry) of 3.87% a year"."""
    cap = config.get("overlay_budget")
    return (
        f"{HEDGE_NAMES[config['overlay']]} (strike {config['overlay_strike']:.0%}"
        + "".join(
            f", {SOLD_LEGS[key]} {config[key]:.0%}"
            for key in HEDGE_PARAMETERS[config["overlay"]]
            if key in config
        )
        + f", {config['overlay_tenor_days']}-day tenor"
        + (f", premiums capped at {cap:.1%} of wealth a year" if cap is not None else "")
        + ") "
        + hedge_outcome_words(
            metrics["hedge_premium"], metrics["hedge_payoff"], metrics["hedge_carry"]
        )
        + (
            f" (premiums above the {cap:.1%} cap because each purchase is capped for the "
            "options' whole tenor, and the last options bought still had time to run when the "
            "window ended)"
            if cap is not None and round(metrics["hedge_premium"], 4) > round(cap, 4)
            else ""
        )
    )
