"""The `StrategyConfig` fields a chat message states, for the tools that take one strategy
(`backtest_strategy`, `estimate_strategy`): its volatility target and weight function (from
the parsed `Intent`), its lookback ("63-day lookback", "lookback of 3 months": trading days,
`services.windows.SESSIONS_PER`), how often it rebalances ("rebalance every 10 days",
"rebalanced weekly"), its leverage ("leverage 1.5", "1.5x leverage") and at most one option
overlay kind with one strike and one tenor.

Every field returned is one the message states; a field it leaves out is left out (the
`StrategyConfig` default applies).
"""

from __future__ import annotations

from typing import Any

from agents.offline.intent import Intent
from agents.offline.intent.strategy_terms import lookback_sessions, stated_leverage
from agents.offline.intent.trading_terms import cadence_named
from settings import patterns

__all__ = ["CADENCE_SESSIONS", "stated_config", "stated_fields"]

_REBALANCE_EVERY = patterns.compile(
    r"\brebalanc\w*\s+every\s+(\d{1,3})\s*(?:trading\s+)?(?:days?|sessions?)\b"
)
CADENCE_SESSIONS = {"daily": 1, "weekly": 5, "monthly": 21, "quarterly": 63, "annually": 252}
"""Trading days between rebalances of a cadence said in words."""


_REBALANCED = patterns.compile(r"\brebal\w*")


def _rebalance_every(low: str) -> int | None:
    if match := _REBALANCE_EVERY.search(low):
        return int(match.group(1))
    if _REBALANCED.search(low):  # "rebalanced", "rebal", "rebalnced"
        return CADENCE_SESSIONS.get(cadence_named(low) or "")
    return None


def stated_config(intent: Intent) -> dict[str, Any]:
    """The `StrategyConfig` fields the message of `intent` states (see the module docstring)."""
    config: dict[str, Any] = {}
    if intent.target_vol is not None:
        config["target_vol"] = intent.target_vol
    if len(intent.weight_functions) == 1:
        config["weight_function"] = intent.weight_functions[0]
    low = intent.text.lower()
    if (lookback := lookback_sessions(low)) is not None:
        config["lookback"] = lookback
    if (every := _rebalance_every(low)) is not None:
        config["rebalance_every"] = every
    if (leverage := stated_leverage(low)) is not None:
        config["max_leverage"] = leverage
    fields = intent.hedge.config_fields() if intent.hedge is not None else {}
    if fields.keys() & {"overlay", "overlay_strike"}:  # a kind or a strike: a hedge asked
        config.update({"overlay": "put", **fields})
    return config


def stated_fields(intent: Intent, config: dict[str, Any]) -> list[str]:
    """The StrategyConfig fields the message names (`Intent.parameters`: "lookback",
    "leverage", "costs" ...) that `config` holds no value of: said without a value this
    parser reads, so the tool takes their defaults."""
    return [p for p in intent.parameters if p not in config]
