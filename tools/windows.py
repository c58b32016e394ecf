"""What the analysis tools share: a window of the market data (dates, or the last N sessions)
named in every answer with where the data ends, and the portfolio a question is about (a
portfolio id, weights the user gives, or a universe held at equal weights).

"The last 12 months" is the last 252 sessions of the data (`last_sessions=252`), ending at its
last date (or at `end`); every answer says which dates that was (`window`) and where the
market data ends (`data_end`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from services.windows import SESSIONS_PER, last_sessions_bounds
from tools.context import MAX_UNIVERSE, ToolContext, parse_date
from tools.market import RangeArgs
from tools.portfolio import _portfolio_weights
from tools.summaries import iso_date, round_weights

__all__ = [
    "SubjectArgs",
    "WindowArgs",
    "subject_json",
    "subject_weights",
    "weights_note",
    "window_bounds",
    "window_info",
    "window_returns",
]

SESSIONS_A_YEAR = SESSIONS_PER["year"]
"""Sessions in "a year", "the last 12 months"."""


class WindowArgs(RangeArgs):
    """A universe and a window: `start` and `end` dates, or the last `last_sessions` sessions."""

    last_sessions: int | None = Field(
        default=None,
        ge=2,
        le=20_000,
        description="Use the last N sessions of the market data (ending at `end` when given, "
        "else at the data's last date) instead of `start`: 252 is the last 12 months, 126 the "
        "last 6 months, 63 the last 3 months, 21 the last month. The answer names the dates.",
    )

    @model_validator(mode="after")
    def _one_start(self) -> WindowArgs:
        if self.last_sessions is not None and self.start is not None:
            raise ValueError("give start or last_sessions, not both")
        return self


class SubjectArgs(WindowArgs):
    """What the question is about: a portfolio by id, weights, or a universe (equal weights)."""

    portfolio_id: str | None = Field(
        default=None,
        max_length=64,
        description="A portfolio built in this conversation or saved by the user ('pf_...').",
    )
    weights: dict[str, float] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_UNIVERSE,
        description="Weights {ticker: fraction of capital}, e.g. {'AAPL': 0.6, 'KO': 0.4}; a "
        "sum below 1 leaves the rest in cash. Instead of portfolio_id.",
    )

    @model_validator(mode="after")
    def _one_subject(self) -> SubjectArgs:
        given = [self.portfolio_id is not None, self.weights is not None]
        if sum(given) > 1:
            raise ValueError("give one of portfolio_id or weights, not both")
        if any(given) and self.universe is not None:
            raise ValueError("universe is taken from the portfolio's weights; leave it out")
        if not any(given) and not self.universe:
            raise ValueError("name the portfolio: portfolio_id, weights, or a universe")
        return self


def subject_weights(context: ToolContext, args: SubjectArgs) -> tuple[pd.Series, str]:
    """The weights by ticker the question is about and how the answer names them: the
    portfolio `portfolio_id`, the `weights` given (tickers checked, upper-cased), or the
    `universe` at equal weights. `ValueError` for unknown tickers or weights that are not
    finite numbers."""
    if args.portfolio_id is not None:
        weights, _ = _portfolio_weights(context, args.portfolio_id)
        return weights.astype(float), f"portfolio {args.portfolio_id}"
    if args.weights is not None:
        upper = {str(k).strip().upper(): float(v) for k, v in args.weights.items()}
        tickers = context.resolve_universe(list(upper))
        values = np.array([upper[t] for t in tickers], dtype=float)
        if not np.isfinite(values).all():
            raise ValueError("weights must be finite numbers")
        return pd.Series(values, index=tickers), "the portfolio given"
    tickers = context.resolve_universe(args.universe)
    weights = pd.Series(1.0 / len(tickers), index=tickers)
    return weights, tickers[0] if len(tickers) == 1 else "equal weights of " + ", ".join(tickers)


WEIGHT_SUM_TOLERANCE = 1e-9
"""How far from 1 weights may sum and still be read as fully invested."""
ROUNDED_SUM = 0.005
"""How far above 1 weights rounded by the user may sum (33.4% three times: 100.2%): not called
levered, though used as given."""


def weights_note(weights: pd.Series, args: SubjectArgs, cash_rate: float = 0.0) -> str | None:
    """How the answer took the portfolio's weights, when that is not plain: the universe at
    equal weights (no weights, no saved portfolio in the arguments: the note says what was held,
    not what the user asked), or the weights given do not sum to 100% (the rest in
    cash, earning `cash_rate` a year; or more than the capital invested, as given, called
    levered beyond `ROUNDED_SUM`). None for a saved portfolio, weights summing to 100% or one
    stock held alone."""
    if args.portfolio_id is None and args.weights is None:
        if len(weights) == 1:
            return None  # one stock held alone
        return f"the universe is held at equal weights, {1.0 / len(weights):.1%} each"
    total = float(weights.sum())
    if args.weights is None or abs(total - 1.0) <= WEIGHT_SUM_TOLERANCE:
        return None
    if total < 1.0:
        earning = f"earning {cash_rate:.2%} a year" if cash_rate else "earning nothing"
        return (
            f"the weights given sum to {total:.1%}: used as given, the other {1.0 - total:.1%} "
            f"held in cash {earning}"
        )
    levered = "" if total - 1.0 <= ROUNDED_SUM else " (levered)"
    return (
        f"the weights given sum to {total:.1%}: used as given, {total:.1%} of the capital "
        f"invested{levered}"
    )


def subject_json(
    weights: pd.Series, label: str, args: SubjectArgs, cash_rate: float = 0.0
) -> dict[str, Any]:
    """The answer's `portfolio`: how it is named, its weights (rounded) and, when the weights
    were not plain, how they were taken (`weights_note`)."""
    note = weights_note(weights, args, cash_rate)
    return {
        "name": label,
        "weights": round_weights(weights),
        **({"weights_sum": round(float(weights.sum()), 10)} if args.weights is not None else {}),
        **({"note": note} if note else {}),
    }


def window_bounds(
    context: ToolContext, start: str | None, end: str | None, last_sessions: int | None
) -> tuple[str | None, str | None]:
    """The window's `start` and `end` as the tools take them: as given, or, for the last
    `last_sessions` sessions, the first of them and the last session up to `end` (the data's
    last date by default). `ValueError` naming the data's range when it holds fewer."""
    if last_sessions is None:
        return start, end
    last = None if end is None else parse_date(end, field_name="end", end=True)
    first, final = last_sessions_bounds(context.data.dates, last_sessions, last)
    return iso_date(first), iso_date(final)


def window_returns(
    context: ToolContext,
    tickers: list[str],
    start: str | None,
    end: str | None,
    last_sessions: int | None,
) -> pd.DataFrame:
    """The daily returns of `tickers` over the window (`window_bounds`; the tools' default
    range for what is left out)."""
    return context.returns(tickers, *window_bounds(context, start, end, last_sessions))


def window_info(context: ToolContext, returns: pd.DataFrame) -> dict[str, Any]:
    """What an answer says about its window: its first and last return dates, the number of
    sessions, the close it starts from, where the market data ends and whose data it is."""
    base = context.base_date(returns)
    return {
        "window": {
            "start": iso_date(returns.index[0]),
            "end": iso_date(returns.index[-1]),
            "sessions": len(returns),
            "from_close_of": None if base is None else iso_date(base),
        },
        "data_end": iso_date(context.data.dates[-1]),
        "data_provider": getattr(context.data, "provider", None) or "custom",
    }
