"""`market_data_coverage`: what the market data holds — every stock with its company name, GICS
sector and sub-industry (the shipped classification plus the configured `classification_file`),
the dates its returns start and end and how many sessions it has, the data's whole range, the
window a question naming none is asked over, and the index. Optionally the stocks of one sector
or sub-industry only ("which banks do you have?"), or the stocks named ("is AAPL in the data?"),
those the data lacks listed as missing."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quant.classification import classify, matching
from settings import get_settings
from tools.context import MAX_UNIVERSE, ToolContext
from tools.summaries import iso_date
from tools.tool_factory import make_tool

__all__ = ["CoverageArgs", "coverage_tools", "market_data_coverage"]


class CoverageArgs(BaseModel):
    """Arguments of `market_data_coverage`."""

    model_config = ConfigDict(extra="forbid")

    sector: str | None = Field(
        default=None,
        min_length=2,
        max_length=60,
        description="Only the stocks of this GICS sector or sub-industry, e.g. 'banks', 'energy', "
        "'tech', 'health care'. Omit for every stock of the data.",
    )
    tickers: list[Annotated[str, Field(min_length=1, max_length=16)]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_UNIVERSE,
        description="Only these stocks, e.g. ['AAPL', 'KO'] ('is AAPL in the data?'); those the "
        "data lacks are listed under 'missing'. Instead of sector.",
    )

    @model_validator(mode="after")
    def _one_filter(self) -> CoverageArgs:
        if self.sector is not None and self.tickers is not None:
            raise ValueError("give sector or tickers, not both")
        if self.tickers is not None and not all(t.strip() for t in self.tickers):
            raise ValueError("tickers: a ticker is empty")
        return self


def market_data_coverage(context: ToolContext, args: CoverageArgs) -> dict[str, Any]:
    """The stocks of the market data (those of `args.sector` only, when given) and its dates."""
    path = get_settings().classification_file
    tickers = list(context.data.tickers)
    if args.sector is not None:
        named = {c.ticker for c in matching(args.sector, path)}
        if not named:
            raise ValueError(
                f"sector: {args.sector!r} names no GICS sector or sub-industry of the "
                "classification (for example 'energy', 'banks', 'health care')"
            )
        tickers = [t for t in tickers if t in named]
        if not tickers:
            raise ValueError(
                f"sector: no stock of the market data is classified in {args.sector!r}"
            )
    by_upper = {t.upper(): t for t in tickers}  # a ticker is read whatever its case
    asked = list(
        dict.fromkeys(
            by_upper.get(t.strip().upper(), t.strip().upper()) for t in args.tickers or ()
        )
    )
    if args.tickers is not None:
        tickers = [t for t in asked if t in by_upper.values()]
    first, last = context.data_range()
    stocks = []
    for ticker in tickers:  # each on its own: a frame of several keeps their common sessions
        held = context.data.returns([ticker], first, last)[ticker].dropna()
        classified = classify(ticker, path)
        stocks.append(
            {
                "ticker": ticker,
                "name": classified.name if classified else None,
                "sector": classified.sector if classified else None,
                "industry": classified.industry if classified else None,
                "first": iso_date(held.index[0]) if len(held) else None,
                "last": iso_date(held.index[-1]) if len(held) else None,
                "sessions": len(held),
            }
        )
    default_start, default_end = context.default_range()
    sessions = context.data.dates
    within = sessions[sessions >= default_start]
    default_start = within[0] if len(within) else sessions[0]  # its first session
    market = context.data.market(first, last)
    out: dict[str, Any] = {
        "count": len(stocks),
        "of_all": len(context.data.tickers),
        "stocks": stocks,
        "data_range": {
            "start": iso_date(sessions[0]),
            "end": iso_date(last),
            "sessions": len(sessions),
        },
        "default_window": {"start": iso_date(default_start), "end": iso_date(default_end)},
        "index": (
            None
            if market is None or market.empty
            else {
                "name": "S&P 500 index",
                "first": iso_date(market.index[0]),
                "last": iso_date(market.index[-1]),
            }
        ),
        "units": "first, last: the first and last session with a daily return (ISO dates); "
        "sessions: how many; default_window: the window of a question that names none",
    }
    if args.sector is not None:
        out["sector"] = args.sector
    if args.tickers is not None:
        out["tickers"] = asked
        out["missing"] = [t for t in asked if t not in set(tickers)]
    return out


def coverage_tools(context: ToolContext) -> list[BaseTool]:
    """The market data coverage tool bound to `context`."""
    return [
        make_tool(
            name="market_data_coverage",
            description=(
                "What the market data holds: every stock (ticker, company name, GICS sector and "
                "sub-industry, first and last date of its returns, sessions), the data's whole "
                "date range, the default window of a question that names none, and the index. "
                "Use it for 'which stocks are in the data?', 'what tickers do you have?', 'how "
                "far back does the data go?', 'which banks do you cover?' (sector: 'banks'), "
                "'is AAPL in the data?' (tickers: ['AAPL'])."
            ),
            args_schema=CoverageArgs,
            run=lambda args: market_data_coverage(context, args),
        )
    ]
