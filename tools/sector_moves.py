"""A sector's move in a stress test ("what if tech falls 30%?"): the sector is the equal-weight
average of its stocks in the market data (GICS sector or sub-industry, `quant.classification`),
and each asset of the portfolio moves by its beta to that average (estimated on the window's
daily returns) times the move, as a market move does through betas to the index."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from quant.classification import matching
from services.stress import MarketMove, market_move
from settings import get_settings
from tools.context import ToolContext

__all__ = ["SECTOR_MOVE_DESCRIPTION", "SectorMove", "sector_shock"]

SECTOR_MOVE_DESCRIPTION = (
    "A sector's move: {'sector': 'technology', 'move': -0.3} for a 30% fall of the tech stocks; "
    "the sector is the equal-weight average of its stocks in the market data (a GICS sector or "
    "sub-industry, or a word for one: 'tech', 'banks', 'energy') and each asset moves by its "
    "beta to that average (estimated over the window) times the move."
)


class SectorMove(BaseModel):
    """A sector named and its move (a signed fraction: -0.3 for a 30% fall)."""

    model_config = ConfigDict(extra="forbid")

    sector: str = Field(min_length=2, max_length=60, description="A sector or sub-industry.")
    move: float = Field(ge=-0.95, le=0.95, description="The sector's move, -0.3 for a 30% fall.")


def sector_shock(
    context: ToolContext, asked: SectorMove, returns: pd.DataFrame, weights: pd.Series
) -> tuple[list[str], MarketMove]:
    """The sector's stocks in the market data, and the portfolio's move when `asked.sector`
    moves by `asked.move`, each asset by its beta to the sector's equal-weight average over the
    dates of `returns` (the window's). `ValueError` naming `sector_move.sector` when it names no
    sector, or none of the market data's stocks is in it."""
    path = get_settings().classification_file
    named = {c.ticker for c in matching(asked.sector, path)}
    if not named:
        raise ValueError(
            f"sector_move.sector: {asked.sector!r} names no GICS sector or sub-industry of the "
            "classification (for example 'technology', 'banks', 'energy', 'health care')"
        )
    members = [str(t) for t in context.data.tickers if t in named]
    if not members:
        raise ValueError(
            f"sector_move.sector: no stock of the market data is classified in {asked.sector!r}"
        )
    start, end = returns.index[0], returns.index[-1]
    average = context.data.returns(members, start, end).reindex(returns.index).mean(axis=1)
    if average.isna().any():
        raise ValueError(
            f"sector_move.sector: the stocks of {asked.sector!r} lack returns on some of the "
            "window's sessions; ask over a later window"
        )
    return members, market_move(returns, average, weights, asked.move)
