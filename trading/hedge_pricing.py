"""How a deployment's hedge is priced: at the implied volatility its broker's option quotes gave,
when the implied-volatility history has it (`trading.day.iv_history`), else on realised
volatility, the stated fallback.

On Alpaca, a hedge is priced at the latest recorded at-the-money level of its underlying on or
before the close it prices, when that record is at most `settings.trading_day.iv_max_age_days`
older (`ImpliedVolModel.with_observed_atm`: the observed level replaces the realised estimate,
the hedge's skew and bounds stay); otherwise, and always on the paper broker (it has no option
quotes), on the hedge's realised-volatility model. What priced it (`VolSource`) is said in the
hedge run's plan (`volatility`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from quant.options import ImpliedVolModel
from store import IVRecord, Store


@dataclass(frozen=True)
class VolSource:
    """What priced a hedge: the `model` and its `source` (`observed`: the implied-volatility
    history's level of `recorded_on`; `realised`: the model on realised volatility) and why."""

    model: ImpliedVolModel
    source: str
    reason: str
    atm_volatility: float | None = None
    recorded_on: date | None = None

    @property
    def words(self) -> str:
        """The source in a sentence, as the views print it."""
        if self.source == "observed" and self.atm_volatility is not None:
            return f"priced at {self.atm_volatility:.2%} implied volatility: {self.reason}"
        return self.reason

    def to_json(self) -> dict[str, Any]:
        """What a hedge run's plan, and every hedge view and summary, says of its pricing."""
        return {
            "source": self.source,
            "atm_volatility": self.atm_volatility,
            "recorded_on": None if self.recorded_on is None else self.recorded_on.isoformat(),
            "reason": self.reason,
            "words": self.words,
        }


def hedge_vol_model(
    store: Store,
    owner: str,
    underlying: str,
    today: date,
    model: ImpliedVolModel,
    *,
    max_age_days: int,
) -> VolSource:
    """How a hedge on Alpaca of `underlying` is priced at the close of `today` (see the module
    docstring): `model` at the observed level, or `model` itself."""
    record = store.latest_iv(owner, underlying, today, max_age_days=max_age_days)
    return recorded_pricing(model, underlying, today, record, max_age_days=max_age_days)


def recorded_pricing(
    model: ImpliedVolModel,
    underlying: str,
    today: date,
    record: IVRecord | None,
    *,
    max_age_days: int,
) -> VolSource:
    """`model` at the level of `record` (the latest of the history on or before `today`, at
    most `max_age_days` older; None: there is none), or `model` itself saying so."""
    if record is None:
        since = today - timedelta(days=max_age_days)
        return realised_pricing(
            model, f"no implied volatility of {underlying} was recorded from {since} to {today}"
        )
    return VolSource(
        model.with_observed_atm(record.atm_volatility),
        "observed",
        f"the at-the-money implied volatility of {underlying} Alpaca's quotes gave on {record.day}",
        record.atm_volatility,
        record.day,
    )


def realised_pricing(model: ImpliedVolModel, why: str) -> VolSource:
    """`model` on realised volatility, `why` no observed level prices it."""
    return VolSource(model, "realised", f"{why}: priced on realised volatility")


def paper_pricing(model: ImpliedVolModel) -> VolSource:
    """The paper broker's pricing: `model` on realised volatility (it has no option quotes)."""
    return realised_pricing(model, "the paper broker has no option quotes")
