"""The names a parse speaks of: the intents and the portfolio methods."""

from __future__ import annotations

from typing import Literal, get_args

IntentName = Literal[
    "optimize_portfolio",
    "risk_report",
    "market_overview",
    "scenarios",
    "backtest",
    "estimate",
    "search_strategy",
    "deploy",
    "save_idea",
    "propose_ideas",
    "explain",
    "research",
    "approve",
    "reject",
    "help",
    "smalltalk",
    "unclear",
]


INTENTS: tuple[IntentName, ...] = get_args(IntentName)


Method = Literal[
    "hrp", "risk_parity", "inverse_volatility", "min_volatility", "max_sharpe", "frontier"
]
