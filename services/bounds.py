"""The bounds of the numbers a request may hold, one definition each, as annotated types the
request models use (so the OpenAPI schema states them and `api.contract` enforces them before a
route runs). Every number and integer of a request has a finite minimum and maximum: an amount a
broker account could hold, a return a market could make, a count a store could reach
(docs/security.md, "Numbers and text").

- `Weight`: a portfolio weight (a fraction of its value), -10 to 10: a portfolio's gross
  leverage is at most `MAX_GROSS_LEVERAGE` (10), so no single weight of a valid one is beyond.
- `PeriodReturn`: a simple return over one period (a day), above -1 (a price cannot fall to 0
  or below) and at most 10 (a gain of 1,000 % in a day).
- `RelativeWeight`: a share that is normalised with its siblings to sum 1 (risk budgets,
  scenario weights, an idea's basket weights): 0 to `MAX_RELATIVE_WEIGHT`; the models say
  whether 0 is allowed.
- `ObjectiveWeight`: the weight of a metric in a search's objective, -1,000 to 1,000 (only
  ratios between them matter).
- `Money`: an amount in the account's currency, 0 to `MAX_MONEY` (1e12, a deployment's most
  capital).
- `Percentile`: 0 to 100.
- `Count`: an offset into a list, an ordinal, a trial number: 0 to `MAX_COUNT` (1,000,000).
- `EventSequence`, `Version`: event sequence numbers and stored versions, 0 to `MAX_SEQUENCE`
  (2**53 - 1: the integers every JSON reader, JavaScript's included, holds exactly).
- `RequestVolModel`: the implied-volatility model with every bound stated.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from execution.deployment import MAX_CAPITAL
from quant.options import ImpliedVolModel

MAX_GROSS_LEVERAGE = 10.0
"""Most gross leverage (sum of |weight|) a portfolio may have: 10 means, for example, 550% long
and 450% short. Beyond it a day's loss of a few percent in the assets wipes the portfolio out
many times over, and the numbers stop meaning anything."""
MAX_RELATIVE_WEIGHT = 1e6
"""Largest relative weight (the smallest non-zero one next to it is then one millionth)."""
MAX_OBJECTIVE_WEIGHT = 1_000.0
"""Largest weight of a metric in a search's objective, either sign."""
MAX_PERIOD_RETURN = 10.0
"""Largest simple return of one period (+1,000 %)."""
MAX_MONEY = MAX_CAPITAL
"""Largest amount of money a request may name (1e12)."""
MAX_COUNT = 1_000_000
"""Largest offset, ordinal or trial number a request may name."""
MAX_SEQUENCE = 2**53 - 1
"""Largest event sequence number or version a request may name."""

Weight = Annotated[float, Field(ge=-MAX_GROSS_LEVERAGE, le=MAX_GROSS_LEVERAGE)]
PeriodReturn = Annotated[float, Field(gt=-1.0, le=MAX_PERIOD_RETURN)]
RelativeWeight = Annotated[float, Field(ge=0.0, le=MAX_RELATIVE_WEIGHT)]
PositiveRelativeWeight = Annotated[float, Field(gt=0.0, le=MAX_RELATIVE_WEIGHT)]
ObjectiveWeight = Annotated[float, Field(ge=-MAX_OBJECTIVE_WEIGHT, le=MAX_OBJECTIVE_WEIGHT)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
Percentile = Annotated[float, Field(ge=0.0, le=100.0)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
EventSequence = Annotated[int, Field(ge=0, le=MAX_SEQUENCE)]
Version = Annotated[int, Field(ge=1, le=MAX_SEQUENCE)]
"""A stored version being changed (1 for the first save); `VersionFromZero` where 0 means
none was saved yet."""
VersionFromZero = Annotated[int, Field(ge=0, le=MAX_SEQUENCE)]


class RequestVolModel(ImpliedVolModel):
    """`ImpliedVolModel` as a request gives it, with `min_volatility`'s maximum stated: below 100
    (the model's rule, `min_volatility` < `max_volatility` <= 100, holds it there already; the
    model itself leaves it to the rule, as the chat tools' definitions show it). An
    `ImpliedVolModel` is taken as it is."""

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)

    min_volatility: float = Field(default=0.05, gt=0, lt=100, allow_inf_nan=False)
