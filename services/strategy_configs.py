"""One validation of a strategy configuration, wherever one is given: an estimate, the full
evaluation it offers, a search's space (`quant.SearchSpace`, which holds each range's ends to the
same rules) and a deployment of a search's winner all refuse the same configurations, naming the
same field (`<where>.<field>`) with the same problem.

The rules are `quant.strategy.StrategyConfig`'s own: each field's range (among them the bounds
the engine can honour, `MAX_LEVERAGE` and `MAX_LOOKBACK`), the weight function's registration,
the option overlay's strikes in order; and, for a configuration evaluated in one of the owner's
searches, a lookback that leaves some of that search's horizon to measure
(`quant.horizons.lookback_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from quant.horizons import lookback_problem
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.problems import validation_problems


def config_fields(values: Any, where: str = "config") -> dict[str, Any]:
    """`values` as a dict of fields, or an `InputError` on `where` when it is not an object."""
    if not isinstance(values, Mapping):
        raise InputError(where, "must be an object of StrategyConfig fields")
    return dict(values)


def strategy_config(values: Any, where: str = "config") -> StrategyConfig:
    """`values` (`StrategyConfig` fields; the others at their defaults) as a `StrategyConfig`,
    or an `InputError` naming the first bad field (`<where>.<field>`, `where` alone for a
    problem of the whole)."""
    try:
        return StrategyConfig(**config_fields(values, where))
    except ValidationError as exc:
        field, problem = validation_problems(exc.errors())[0]
        raise InputError(f"{where}.{field}" if field else where, problem) from None
    except TypeError as exc:
        raise InputError(where, str(exc)) from None


def config_in_horizon(config: StrategyConfig, horizon: int, where: str = "config") -> None:
    """`InputError` on `<where>.lookback` when `config`'s lookback leaves too little of a
    `horizon`-day horizon to measure."""
    problem = lookback_problem(config.lookback, horizon)
    if problem is not None:
        raise InputError(f"{where}.lookback", problem)
