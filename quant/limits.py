"""The risk limits a strategy must keep, and the statistic of the simulated paths each is
checked on.

A limit is an upper bound on a loss metric (`max_drawdown`, a fraction of peak wealth;
`cvar_95` and `var_95`, daily losses; positive = loss) checked on a stated statistic of that
metric's distribution over the simulated paths of a scenario (`STATISTICS`): by default its
95th percentile (`DEFAULT_STATISTIC`, "in 95% of paths"), so "max drawdown at most 25%" means
that 95% of the paths draw down by at most 25%. `mean` checks the average over the paths,
`worst` the largest loss of any path.

A limit is written as a bare number (the default statistic) or as
``{"limit": 0.25, "statistic": "p95"}``; `LimitValues` reads both and writes the bare number
when the statistic is the default (so a request's JSON, and its hash, stay those of the bare
form).

One definition shared by the optimization request (`graphs.request.RiskLimits`, which adds the
scenarios where the limits apply), the search (`path_statistic`, `statistic_key`), the risk
gate, the results, the forward test and the user profile's default limits
(`services.profiles`).

Importing this module loads no array library (numpy is imported by `path_statistic`), so
schemas and requests can name limits cheaply. The vocabulary (the statistics, their words, the
metrics a limit bounds) is defined in `quant.limit_names`, which loads no pydantic either, and
re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from quant.limit_names import (
    DEFAULT_STATISTIC,
    LIMIT_METRICS,
    STATISTIC_WORDS,
    STATISTICS,
    Statistic,
    statistic_words,
)

if TYPE_CHECKING:
    import numpy as np

QUANTILES: dict[str, float] = {"median": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "worst": 1.0}
"""The quantile of the loss distribution each statistic is (numpy's default, linear
interpolation; `worst` is the largest loss); `mean` is the average."""


def statistic_key(metric: str, statistic: str) -> str:
    """The column of a trial's per-scenario values that holds `statistic` of `metric`: the
    metric itself for the mean (a trial's ``<scenario>.<metric>`` path means), else
    ``<metric>@<statistic>`` (e.g. ``max_drawdown@p95``)."""
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; statistics: {', '.join(STATISTICS)}")
    return metric if statistic == "mean" else f"{metric}@{statistic}"


def path_statistic(values: np.ndarray, statistic: str) -> np.ndarray:
    """`statistic` of a loss metric over the paths: ``values`` is [C, P] (configs x paths),
    the answer [C]. Quantiles are numpy's (linear interpolation); a NaN path makes the
    statistic NaN (a limit on it is then broken)."""
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    if statistic == "mean":
        return np.asarray(array.mean(axis=1))
    if statistic not in QUANTILES:
        raise ValueError(f"unknown statistic {statistic!r}; statistics: {', '.join(STATISTICS)}")
    return np.asarray(np.quantile(array, QUANTILES[statistic], axis=1))


class Limit(BaseModel):
    """One risk limit: an upper bound `limit` in (0, 1] on the `statistic` of a loss metric
    over the simulated paths (`STATISTICS`; default `DEFAULT_STATISTIC`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: float = Field(gt=0, le=1, allow_inf_nan=False)
    statistic: Statistic = DEFAULT_STATISTIC

    def key(self, metric: str) -> str:
        """The trial column that holds this limit's statistic of `metric` (`statistic_key`)."""
        return statistic_key(metric, self.statistic)


LimitNumber = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
"""A limit given as a bare number: a fraction in (0, 1] on the default statistic."""
_LIMIT_NUMBER: TypeAdapter[float] = TypeAdapter(LimitNumber)


def _bare_number(value: Any) -> Any:
    """A bare number as a limit on the default statistic (checked as one, so a bad number is
    named on the metric's own field)."""
    if not _is_number(value):
        return value
    try:
        return {"limit": _LIMIT_NUMBER.validate_python(value)}
    except ValidationError as exc:
        error = exc.errors()[0]
        raise PydanticCustomError(error["type"], error["msg"], error.get("ctx")) from None


LimitField = Annotated[
    Limit | None,
    BeforeValidator(_bare_number, json_schema_input_type=LimitNumber | Limit | None),
]
"""A limit: a bare number (the default statistic) or a `Limit`; None: no limit."""


class LimitValues(BaseModel):
    """Upper limits on `max_drawdown` (fraction of peak wealth), `cvar_95` and `var_95` (daily
    losses), each a `Limit` (or a bare number in (0, 1]: the default statistic); None leaves
    the metric unlimited."""

    model_config = ConfigDict(extra="forbid")

    max_drawdown: LimitField = None
    cvar_95: LimitField = None
    var_95: LimitField = None

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A limit on the default statistic is written as its bare number."""
        data = handler(self)
        if not isinstance(data, dict):
            return data
        for metric in LIMIT_METRICS:
            value = data.get(metric)
            if isinstance(value, dict) and value.get("statistic") == DEFAULT_STATISTIC:
                data[metric] = value["limit"]
        return data

    def limits(self) -> dict[str, Limit]:
        """Metric -> its `Limit`, for the limits that are set."""
        values = {"max_drawdown": self.max_drawdown, "cvar_95": self.cvar_95, "var_95": self.var_95}
        return {k: v for k, v in values.items() if v is not None}

    def keys(self) -> tuple[str, ...]:
        """The trial columns the set limits are checked on (`statistic_key`), in field order."""
        return tuple(limit.key(metric) for metric, limit in self.limits().items())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def statistics_of(keys: Any) -> dict[str, tuple[str, str]]:
    """Key -> (metric, statistic) of ``<metric>@<statistic>`` keys (`statistic_key`); the mean
    keys (bare metrics) are left out. Raises `ValueError` naming a malformed key."""
    out: dict[str, tuple[str, str]] = {}
    for key in keys:
        metric, _, statistic = str(key).partition("@")
        if not statistic:
            continue
        if statistic not in QUANTILES:
            raise ValueError(f"unknown statistic in {key!r}; statistics: {', '.join(STATISTICS)}")
        out[str(key)] = (metric, statistic)
    return out


__all__ = [
    "DEFAULT_STATISTIC",
    "LIMIT_METRICS",
    "QUANTILES",
    "STATISTICS",
    "STATISTIC_WORDS",
    "Limit",
    "LimitValues",
    "Statistic",
    "path_statistic",
    "statistic_key",
    "statistic_words",
    "statistics_of",
]
