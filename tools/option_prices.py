"""`price_option`: what one European put (or call) on a stock of the market data, or on the S&P
500 index, costs at a close, priced as the project's option hedges are
(`services.option_prices`: Black-Scholes-Merton, no dividend yield, the implied-volatility
model on the underlying's realised volatility or a stated volatility, the safe rate the
backtests use), with what it was priced with.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from quant.options.vol_model import ImpliedVolModel
from services.errors import InputError
from services.option_prices import (
    MAX_MONEYNESS,
    MAX_SESSIONS,
    SESSIONS_PER_MONTH,
    SESSIONS_PER_YEAR,
    PricedOption,
    price_option,
    tenor_sessions,
)
from tools.context import ToolContext, parse_date
from tools.market_frames import INDEX_SYMBOL, data_closes
from tools.summaries import iso_date, sig
from tools.tool_factory import make_tool

__all__ = ["OptionPriceArgs", "option_price_tools", "option_quote"]

DEFAULT_SESSIONS = 3 * SESSIONS_PER_MONTH
"""The tenor priced when none is given: three months (63 sessions)."""
CONVENTIONS = (
    "Black-Scholes-Merton, European exercise, no dividend yield, as the strategy backtests' and "
    "the paper hedges' options are priced; spot: the close of the date (the last session on or "
    "before it); volatility: annualised, the implied-volatility model's (realised volatility, "
    "ddof=1, of the last realised_window daily returns x sqrt(252), plus variance_risk_premium, "
    "times (strike/spot)^-skew, clipped to [min_volatility, max_volatility]) unless stated; "
    "rate: the safe asset's simple annual rate r as 252 ln(1 + r/252) continuously compounded; "
    "time: sessions / 252 years (21 sessions a month); price per share (index point); "
    "share_of_spot: price / spot; annualised: share_of_spot x 252 / sessions (bought again every "
    "tenor at this price); delta per unit of spot; vega_per_point: price change per 1 point "
    "(0.01) of volatility"
)


class OptionPriceArgs(BaseModel):
    """Arguments of `price_option`."""

    model_config = ConfigDict(extra="forbid")

    underlying: str = Field(
        min_length=1,
        max_length=12,
        description=f"A ticker of the market data (e.g. 'AAPL'), or '{INDEX_SYMBOL}' for the S&P "
        "500 index (when the data holds its level).",
    )
    kind: Literal["put", "call"] = Field(default="put", description="'put' (default) or 'call'.")
    moneyness: float | None = Field(
        default=None,
        gt=0,
        le=MAX_MONEYNESS,
        allow_inf_nan=False,
        description="The strike as a fraction of the spot ('a 90% put': 0.9; at the money: 1). "
        "Give this or strike; neither: at the money.",
    )
    strike: float | None = Field(
        default=None,
        gt=0,
        le=1e7,
        allow_inf_nan=False,
        description="The strike in currency per share (index points for the index), at most "
        f"{MAX_MONEYNESS:g} x the spot. Give this or moneyness.",
    )
    tenor_months: float | None = Field(
        default=None,
        gt=0,
        le=36,
        allow_inf_nan=False,
        description=f"Time to expiry in months ({SESSIONS_PER_MONTH} sessions each): 3 for a "
        "3-month put. Give this or tenor_days; neither: 3 months.",
    )
    tenor_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SESSIONS,
        description=f"Time to expiry in trading days (sessions, {SESSIONS_PER_YEAR} a year). "
        "Give this or tenor_months.",
    )
    date: str | None = Field(
        default=None,
        max_length=10,
        description="The close to price at (ISO date; the last session on or before it). "
        "Default: the market data's last close.",
    )
    volatility: float | None = Field(
        default=None,
        gt=0,
        le=3,
        allow_inf_nan=False,
        description="A volatility to price at, annualised (0.25 = 25%), used as it is. Default: "
        "the implied-volatility model on the underlying's realised volatility.",
    )
    rate: float | None = Field(
        default=None,
        ge=-0.05,
        le=0.25,
        allow_inf_nan=False,
        description="The safe asset's simple annual rate (0.04 = 4%). Default: the rate the "
        "backtests use (2%).",
    )
    vol_model: ImpliedVolModel | None = Field(
        default=None,
        description="The implied-volatility model's parameters (variance_risk_premium, skew, "
        "realised_window, min_volatility, max_volatility), as backtest_strategy takes them. "
        "Default: the model's defaults (0.01, 1.5, 21 sessions, 5%, 300%).",
    )


def _checked(context: ToolContext, args: OptionPriceArgs) -> tuple[str, int, Date | None]:
    """The underlying (upper-cased), the tenor in sessions and the date, checked before any
    data is read; `InputError` naming the field."""
    symbol = args.underlying.strip().upper()
    known = [*context.data.tickers, INDEX_SYMBOL]
    if symbol not in known:
        from services.market_data.tickers import unknown_tickers

        raise InputError(
            "underlying", f"unknown ticker {symbol}: " + unknown_tickers([symbol], known)
        )
    if args.moneyness is not None and args.strike is not None:
        raise InputError("strike", "give moneyness or strike, not both")
    sessions = (
        DEFAULT_SESSIONS
        if args.tenor_months is None and args.tenor_days is None
        else tenor_sessions(args.tenor_months, args.tenor_days)
    )
    if args.volatility is not None and args.vol_model is not None:
        raise InputError("volatility", "give volatility or vol_model, not both")
    on = None
    if args.date is not None:
        try:
            on = parse_date(args.date, field_name="date", end=True).date()
        except ValueError as exc:
            raise InputError("date", str(exc)) from exc
    return symbol, sessions, on


def _volatility_json(quote: PricedOption) -> dict[str, Any]:
    if quote.stated_volatility:
        return {"value": sig(quote.volatility), "source": "stated"}
    model = quote.vol_model
    out = {
        "value": sig(quote.volatility),
        "source": "model",
        "realised": sig(quote.realised_volatility),
        "realised_window": model.realised_window,
        "realised_from": None if quote.window_from is None else quote.window_from.isoformat(),
        "realised_to": quote.on.isoformat(),
        "vol_model": model.model_dump(mode="json"),
    }
    for bound, limit in (("max_volatility", model.max_volatility), ("min_volatility", model.min_volatility)):  # fmt: skip
        if quote.volatility == limit:  # the skew's volatility clipped: the model's edge
            out["at_bound"] = bound
    return out


def option_quote(context: ToolContext, args: OptionPriceArgs) -> dict[str, Any]:
    """Price the option (see the module docstring) and say what priced it."""
    symbol, sessions, on = _checked(context, args)
    closes = data_closes(context.data, symbol)
    if closes is None:
        raise InputError(
            "underlying", f"the market data holds returns of {symbol} but no closes to price at"
        )
    moneyness = 1.0 if args.moneyness is None and args.strike is None else args.moneyness
    safe_rate = context.safe_rate if args.rate is None else args.rate
    quote = price_option(
        closes, underlying=symbol, kind=args.kind, sessions=sessions, safe_rate=safe_rate,
        moneyness=moneyness, strike=args.strike, on=on, vol_model=args.vol_model,
        volatility=args.volatility,
    )  # fmt: skip
    assumed = []
    if args.moneyness is None and args.strike is None:
        assumed.append("strike: at the money (none given)")
    if args.tenor_months is None and args.tenor_days is None:
        assumed.append(f"tenor: 3 months, {DEFAULT_SESSIONS} sessions (none given)")
    return {
        "underlying": symbol,
        "name": "S&P 500 index" if symbol == INDEX_SYMBOL else symbol,
        "kind": quote.kind,
        "exercise": "european",
        "model": "black_scholes_merton",
        "spot": {"price": round(quote.spot, 4), "date": iso_date(quote.on), "asked": args.date},
        "strike": {"price": round(quote.strike, 4), "moneyness": sig(quote.moneyness, 6)},
        "tenor": {
            "sessions": sessions,
            "years": sig(quote.years, 6),
            "months": sig(sessions / SESSIONS_PER_MONTH),
        },
        "volatility": _volatility_json(quote),
        "rate": {
            "value": sig(quote.rate, 6),
            "safe_rate": safe_rate,
            "source": "stated" if args.rate is not None else "safe_rate",
        },
        "price": round(quote.price, 4),
        "share_of_spot": sig(quote.share_of_spot),
        "annualised": sig(quote.annualised),
        "delta": sig(quote.delta),
        "vega_per_point": sig(quote.vega / 100.0),
        "dividend_yield": 0.0,
        "data_end": iso_date(context.data.dates[-1]),
        "assumed": assumed,
        "units": CONVENTIONS,
    }


def option_price_tools(context: ToolContext) -> list[BaseTool]:
    """The option pricing tool bound to `context`."""
    return [
        make_tool(
            name="price_option",
            description=(
                "What one European put (or call) on a stock of the market data, or on the S&P "
                f"500 index ('{INDEX_SYMBOL}'), costs at a close (the data's last by default, or "
                "date): strike as moneyness (0.9 = 90% of spot) or in currency, tenor in months "
                "or trading days. Returns the spot and its date, strike, tenor, the volatility "
                "used and its source, the rate, the price per share, as a share of spot and "
                "annualised (if bought again every tenor), and the delta. Priced as the "
                "strategy backtests and paper hedges price their options: Black-Scholes-Merton, "
                "no dividend yield, the implied-volatility model on the underlying's realised "
                "volatility (or a stated volatility), the safe rate (2%). Use it for 'how much "
                "would a 3-month 90% put on AAPL cost?', 'price a 6-month at-the-money put on "
                "the S&P 500'. It prices no American option and no listed quote."
            ),
            args_schema=OptionPriceArgs,
            run=lambda args: option_quote(context, args),
        )
    ]
