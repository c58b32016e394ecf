"""The offline model's rules for an option hedge in the chat: the `ProtectionDraft` of a
search ("add a 90% put overlay with a 2% annual budget", "compare collars and put spreads",
"how much should I spend on protection, and in what form, to keep the bear-scenario drawdown
under 15%?"), and the question it asks instead when the message leaves the hedge unclear.

What the message does not say is searched over these ranges when the user asks which form or
how much (`FORMS`, `STRIKE_RANGE`, `TENORS`, `BUDGET_RANGE`), and otherwise left at the
strategy's defaults. The pricing model's parameters are drafted only when the message states them
in the model's terms; "implied vol N points over realised" gets a question instead.
"""

from __future__ import annotations

from typing import Any

from agents.offline.chat_intent import WHICH_ASKED, WHICH_PORTFOLIO
from agents.offline.intent import Intent
from agents.offline.rebuilt_unheld import mine_unsaid

FORMS = ["none", "put", "put_spread", "collar"]
"""Kinds compared when the user asks which form to take ("none": is it worth paying at all?)."""
STRIKE_RANGE = [0.85, 0.98]
"""Bought put strikes searched when none is named (moneyness)."""
DEFAULT_LOWER_STRIKE = 0.8
"""The strategy's default sold put strike of a put spread (`StrategyConfig`)."""
DEFAULT_CALL_STRIKE = 1.1
"""The strategy's default sold call strike of a collar (`StrategyConfig`)."""
SPREAD_WIDTH = 0.1
"""How far below the lowest bought strike a put spread sells its put, and above the highest a
collar sells its call, when the defaults would not be (a 75% put spread sells the 65% put)."""
TENORS = [21, 63, 126]
"""Tenors compared when the user asks which form (one, three and six months)."""
BUDGET_RANGE = [0.005, 0.05]
"""Annual budget caps searched when the user asks how much to spend (fraction of wealth)."""


def hedge_question(intent: Intent, held: bool = True) -> str | None:
    """A question when the message asks for a hedge without saying enough to search it: a
    percentage nothing explains, or no form, strike, budget, tenor or goal at all; when it
    protects "my portfolio" with none `held` in the conversation and no stocks named ("hedge my
    portfolio" first), which portfolio too."""
    asked = _hedge_question(intent)
    if intent.hedge is None or not mine_unsaid(intent, held):
        return asked  # "hedge my strategy": a search over the data's stocks
    if asked is None:
        return WHICH_PORTFOLIO
    return f"{WHICH_ASKED}, and {asked[:1].lower()}{asked[1:]} Nothing was computed."


def _hedge_question(intent: Intent) -> str | None:
    """`hedge_question` of a message with stocks to protect."""
    hedge = intent.hedge
    if hedge is None:
        return None
    if hedge.vol_points is not None:
        points = f"{hedge.vol_points * 100:.4g}"
        return (
            f"The options are priced from each path's realised volatility plus a variance risk "
            f"premium, so implied vol {points} points over realised is not one setting: it "
            f"depends on the realised vol. Which should I use: a variance risk premium (e.g. "
            f"'a variance risk premium of 0.01', which turns 15% realised into 18% implied at "
            f"the money; the default), a skew (e.g. 'a skew of 2'), or the defaults?"
        )
    if intent.unplaced:
        shown = "%, ".join(f"{value * 100:.4g}" for value in intent.unplaced)
        return (
            f"What is the {shown}% for: the annual budget for the options (e.g. 'a 2% annual "
            "budget'), the put's strike as a share of the price (e.g. 'a 90% put'), or a "
            "drawdown limit (e.g. 'keep the bear-scenario drawdown under 15%')?"
        )
    if not hedge.has_goal and not intent.risk_limits:
        return (
            "Which protection should I search: protective puts, put spreads or collars (or "
            "compare them), and to what end: a budget (e.g. 'at most 2% a year') or a limit "
            "to meet (e.g. 'keep the bear-scenario drawdown under 15%')?"
        )
    return None


def hedge_draft(intent: Intent) -> dict[str, Any] | None:
    """The `ProtectionDraft` of the message (None when it asks for no hedge)."""
    hedge = intent.hedge
    if hedge is None:
        return None
    searching = hedge.asks_form or hedge.asks_budget
    kinds = list(hedge.kinds) or list(FORMS if searching or intent.risk_limits else FORMS[1:])
    if hedge.asks_budget and "none" not in kinds:
        kinds.insert(0, "none")  # "how much" includes nothing
    draft: dict[str, Any] = {"kinds": kinds}
    strikes = list(hedge.strikes)
    draft["strike_range"] = [strikes[0], strikes[-1]] if strikes else list(STRIKE_RANGE)
    low, high = draft["strike_range"]
    if "put_spread" in kinds and low <= DEFAULT_LOWER_STRIKE:
        draft["lower_strike"] = round(low - SPREAD_WIDTH, 4)
    if "collar" in kinds and hedge.call_strike is not None:
        draft["call_strike"] = hedge.call_strike
    elif "collar" in kinds and high >= DEFAULT_CALL_STRIKE:
        draft["call_strike"] = round(high + SPREAD_WIDTH, 4)
    if hedge.tenors:
        draft["tenor_days"] = list(hedge.tenors)
    elif hedge.asks_form or not hedge.kinds:
        draft["tenor_days"] = list(TENORS)
    if hedge.roll is not None:
        draft["roll"] = hedge.roll
    if hedge.roll_delta_band is not None:
        draft["roll_delta_band"] = hedge.roll_delta_band
    if hedge.hedge_ratio is not None:
        draft["hedge_ratio_range"] = [hedge.hedge_ratio, hedge.hedge_ratio]
    if hedge.budget is not None:
        draft["budget_range"] = [hedge.budget, hedge.budget]
    elif hedge.asks_budget:
        draft["budget_range"] = list(BUDGET_RANGE)
    if hedge.vol_model:
        draft["vol_model"] = dict(hedge.vol_model)
    return draft
