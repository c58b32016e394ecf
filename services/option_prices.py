"""The price of one European option on a stock or index of the market data, at a close, priced
as the project prices its option hedges, so that a quoted cost means what a strategy's backtest
(docs/engine.md, "Option hedges") or a deployment's paper hedge (`execution.hedge`) charges:

- **Model.** Black-Scholes-Merton, European, no dividend yield (`quant.options.black_scholes`).
- **Spot.** The underlying's close on the date asked, or on the last session before it (the
  market data's last close by default).
- **Volatility.** By default the project's implied-volatility model (`ImpliedVolModel`, its
  defaults unless another is given): the underlying's realised volatility (sample standard
  deviation, ddof = 1, of its last `realised_window` daily simple returns up to that close, x
  sqrt(252): `HedgeMarket.realised_volatility`), plus a variance risk premium, times
  (strike / spot) ** -skew, clipped to the model's bounds. A volatility the caller states is
  used as it is instead (annualised).
- **Rate.** The safe asset's annual rate r (simple; the backtests' `safe_rate`, 2% by default)
  as 252 ln(1 + r / 252) continuously compounded (`HedgeMarket.rate`).
- **Time.** The tenor in trading sessions / 252 years (a month is 21 sessions).
- **Annualised cost.** The premium as a fraction of the spot x 252 / sessions: what buying it
  again every tenor at the same price costs a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from quant.options.vol_model import ImpliedVolModel
from services.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

OptionKind = Literal["put", "call"]
SESSIONS_PER_YEAR = 252
SESSIONS_PER_MONTH = 21
"""Trading sessions a month (the engine's 63-session hedge is a 3-month one)."""
MAX_SESSIONS = 3 * SESSIONS_PER_YEAR
"""Longest tenor priced: three years of sessions."""
MAX_MONEYNESS = 3.0
"""Largest strike / spot priced."""


@dataclass(frozen=True)
class PricedOption:
    """One option's price and what it was priced with (units in the module docstring).

    `on`: the session whose close is the spot; `spot`, `strike`, `price` in the underlying's
    currency per share (or index point); `sessions` and `years` to expiry; `volatility`
    annualised, `stated_volatility` whether the caller gave it (else the model's, on
    `realised_volatility` over `window_from`..`on`); `rate` continuously compounded a year,
    from the simple annual `safe_rate`; `delta` per unit of spot; `vega` per 1.00 of
    volatility."""

    underlying: str
    kind: OptionKind
    on: date
    spot: float
    strike: float
    sessions: int
    volatility: float
    stated_volatility: bool
    realised_volatility: float | None
    window_from: date | None
    vol_model: ImpliedVolModel
    safe_rate: float
    rate: float
    price: float
    delta: float
    vega: float

    @property
    def moneyness(self) -> float:
        """Strike / spot."""
        return self.strike / self.spot

    @property
    def years(self) -> float:
        """Time to expiry in years (sessions / 252)."""
        return self.sessions / SESSIONS_PER_YEAR

    @property
    def share_of_spot(self) -> float:
        """The premium as a fraction of the spot."""
        return self.price / self.spot

    @property
    def annualised(self) -> float:
        """The premium as a fraction of the spot a year, bought again every tenor at this
        price."""
        return self.share_of_spot * SESSIONS_PER_YEAR / self.sessions


def tenor_sessions(months: float | None, days: int | None) -> int:
    """The tenor in trading sessions from months (21 sessions each, rounded) or trading days;
    `InputError` naming the field when both or neither are given or the tenor is out of
    1..`MAX_SESSIONS` sessions."""
    if months is not None and days is not None:
        raise InputError("tenor_days", "give tenor_months or tenor_days, not both")
    if months is None and days is None:
        raise InputError("tenor_months", "give the tenor: tenor_months or tenor_days")
    field = "tenor_months" if months is not None else "tenor_days"
    sessions = round(months * SESSIONS_PER_MONTH) if months is not None else int(days or 0)
    if not 1 <= sessions <= MAX_SESSIONS:
        raise InputError(
            field,
            f"the tenor is {sessions} sessions; it must be 1 to {MAX_SESSIONS} sessions "
            "(1 trading day to 3 years)",
        )
    return sessions


def close_on(closes: pd.Series, on: date | None, needed: int, underlying: str) -> int:
    """The position in `closes` (ascending, no gaps) of the session priced: the last on or
    before `on` (the last close when None), with at least `needed` closes up to it;
    `InputError` on `date` otherwise."""
    import pandas as pd

    index = pd.DatetimeIndex(closes.index)
    first, last = index[0].date(), index[-1].date()
    if on is not None and on > last:
        raise InputError(
            "date",
            f"{on} is after the market data's last close ({last}); ask for {last} or earlier",
        )
    position = (
        len(index) - 1 if on is None else int(index.searchsorted(pd.Timestamp(on), "right")) - 1
    )
    if position + 1 < needed:
        raise InputError(
            "date",
            f"pricing needs {needed} closes of {underlying} up to the date, and the data holds "
            f"{max(position + 1, 0)} (its closes start {first}); ask for a later date",
        )
    return position


def price_option(
    closes: pd.Series,
    *,
    underlying: str,
    kind: OptionKind,
    sessions: int,
    safe_rate: float,
    moneyness: float | None = None,
    strike: float | None = None,
    on: date | None = None,
    vol_model: ImpliedVolModel | None = None,
    volatility: float | None = None,
) -> PricedOption:
    """One European option on `underlying` (its daily `closes`, ascending) at the close of
    `on` (see `close_on`), struck at `moneyness` x spot or at `strike` (one of them), `sessions`
    to expiry, priced as the module docstring says. `InputError` naming the field for inputs
    it cannot price."""
    from execution.hedge import HedgeMarket

    if (moneyness is None) == (strike is None):
        raise InputError("strike", "give moneyness or strike, one of them")
    if volatility is not None and vol_model is not None:
        raise InputError("volatility", "give volatility or vol_model, not both")
    model = vol_model or ImpliedVolModel()
    needed = 1 if volatility is not None else model.realised_window + 1
    series = closes.dropna().astype(float)
    if series.empty:
        raise InputError("underlying", f"the market data holds no closes of {underlying}")
    position = close_on(series, on, needed, underlying)
    market = HedgeMarket(
        today=series.index[position].date(), closes=series.iloc[: position + 1], safe_rate=safe_rate
    )
    spot = market.price
    struck = float(strike) if strike is not None else float(moneyness or 0.0) * spot
    if not 0 < struck / spot <= MAX_MONEYNESS:
        raise InputError(
            "strike",
            f"{struck:g} is {struck / spot:.2f} x the spot {spot:g}; at most {MAX_MONEYNESS:g} x",
        )
    realised = None if volatility is not None else market.realised_volatility(model.realised_window)
    vol = (
        float(volatility)
        if volatility is not None
        else float(model.volatility(realised, struck / spot))
    )
    from quant.options import black_scholes  # the compiled pricing kernels, on first use

    values = black_scholes(kind, spot, struck, sessions / SESSIONS_PER_YEAR, market.rate, vol)
    window_from = (
        None if realised is None else series.index[position - model.realised_window + 1].date()
    )
    return PricedOption(
        underlying=underlying,
        kind=kind,
        on=market.today,
        spot=spot,
        strike=struck,
        sessions=sessions,
        volatility=vol,
        stated_volatility=volatility is not None,
        realised_volatility=realised,
        window_from=window_from,
        vol_model=model,
        safe_rate=safe_rate,
        rate=market.rate,
        price=float(values.price),
        delta=float(values.delta),
        vega=float(values.vega),
    )
