"""Search spaces over `StrategyConfig` fields: numeric ranges, categorical choices, fixed values.

A space maps each `StrategyConfig` field to one of

- `FloatRange(low, high, log=False, step=None, grid_points=None)`: a real range [low, high];
  `log=True` samples log-uniformly (needs low > 0); `step` restricts values to low + k * step.
- `IntRange(low, high, step=1, log=False, grid_points=None)`: an integer range on low + k * step.
- `Choices([...])`: categorical values.
- `FixedValue(value)`: not searched.

A plain mapping is accepted too: a `(low, high)` tuple becomes `IntRange` if both ends are integers and
`FloatRange` otherwise, a list becomes `Choices`, anything else `FixedValue`. Fields that `StrategyConfig`
gives a default may be left out (the default is used); every other field must be present.

Grid values: a range with `grid_points` uses that many evenly spaced points (geometrically spaced
when `log=True`; integers rounded onto the step lattice and deduplicated); without `grid_points`,
an `IntRange` or a `FloatRange` with an explicit `step` uses every lattice value, and any other range uses
`DEFAULT_GRID_POINTS` (5) points.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from quant.errors import SearchSpaceError
from quant.problems import field_of, problem_of
from quant.strategy import ROLL_BANDS, StrategyConfig
from quant.validation import finite_number

if TYPE_CHECKING:
    import optuna

DEFAULT_GRID_POINTS = 5
"""Grid points per range that has neither `grid_points` nor an explicit step."""

MAX_GRID_SIZE = 1_000_000
"""Largest Cartesian product the grid search will enumerate."""


def _finite(name: str, what: str, value: Any) -> float:
    return finite_number(value, f"{name}: {what}", SearchSpaceError)


@dataclass(frozen=True)
class FloatRange:
    """A real range [low, high] (log-uniform with `log=True`; on low + k*step with `step`)."""

    low: float
    high: float
    log: bool = False
    step: float | None = None
    grid_points: int | None = None

    def validate(self, name: str) -> None:
        """Raise `SearchSpaceError` naming `name` when the range is empty or malformed."""
        low = _finite(name, "low", self.low)
        high = _finite(name, "high", self.high)
        if low >= high:
            raise SearchSpaceError(
                f"{name}: low ({low!r}) must be < high ({high!r}); use FixedValue({low!r}) for one value"
            )
        if self.log and low <= 0:
            raise SearchSpaceError(f"{name}: a log-scale range needs low > 0, got low={low!r}")
        if self.step is not None:
            step = _finite(name, "step", self.step)
            if step <= 0:
                raise SearchSpaceError(f"{name}: step must be > 0, got {step!r}")
            if self.log:
                raise SearchSpaceError(f"{name}: step and log=True cannot be combined")
            k = (high - low) / step
            if abs(k - round(k)) > 1e-9 * max(1.0, abs(k)):
                raise SearchSpaceError(
                    f"{name}: high ({high!r}) must equal low + k * step (low {low!r}, step {step!r})"
                )
        _check_grid_points(name, self.grid_points)

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The equivalent Optuna distribution."""
        import optuna

        return optuna.distributions.FloatDistribution(
            float(self.low), float(self.high), log=self.log, step=self.step
        )

    def sample(self, rng: np.random.Generator, n: int) -> list[Any]:
        """`n` seeded draws: uniform, log-uniform, or uniform over the step lattice."""
        if self.step is not None:
            count = round((self.high - self.low) / self.step) + 1
            return [float(self.low + k * self.step) for k in rng.integers(0, count, n)]
        if self.log:
            draws = np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))
        else:
            draws = rng.uniform(self.low, self.high, n)
        return [float(v) for v in draws]

    def points(self, n: int) -> list[Any]:
        """`n` evenly spaced values over the range (geometric when log; snapped to the step)."""
        values = (
            np.geomspace(self.low, self.high, n)
            if self.log
            else np.linspace(self.low, self.high, n)
        )
        if self.step is not None:
            values = self.low + np.round((values - self.low) / self.step) * self.step
        return _unique([float(v) for v in values])

    def grid(self) -> list[Any]:
        """Grid values (see the module docstring)."""
        if self.grid_points is None and self.step is not None:
            count = round((self.high - self.low) / self.step) + 1
            return [float(self.low + k * self.step) for k in range(count)]
        return self.points(self.grid_points or DEFAULT_GRID_POINTS)

    def contains(self, value: Any) -> bool:
        """True when `value` lies in [low, high] (and on its steps when it has one)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if not self.low <= float(value) <= self.high:
            return False
        if self.step is None:
            return True
        steps = (float(value) - self.low) / self.step
        return bool(abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


@dataclass(frozen=True)
class IntRange:
    """An integer range on low, low + step, ..., high (log-uniform with `log=True`, step 1)."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    grid_points: int | None = None

    def validate(self, name: str) -> None:
        """Raise `SearchSpaceError` naming `name` when the range is empty or malformed."""
        for what, value in (("low", self.low), ("high", self.high), ("step", self.step)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise SearchSpaceError(f"{name}: {what} must be an integer, got {value!r}")
        if self.low >= self.high:
            raise SearchSpaceError(
                f"{name}: low ({self.low!r}) must be < high ({self.high!r}); "
                f"use FixedValue({self.low!r}) for one value"
            )
        if self.step < 1:
            raise SearchSpaceError(f"{name}: step must be >= 1, got {self.step!r}")
        if (self.high - self.low) % self.step:
            raise SearchSpaceError(
                f"{name}: high ({self.high}) must equal low + k * step (low {self.low}, "
                f"step {self.step}); e.g. high={self.low + (self.high - self.low) // self.step * self.step}"
            )
        if self.log and (self.low < 1 or self.step != 1):
            raise SearchSpaceError(f"{name}: a log-scale integer range needs low >= 1 and step 1")
        _check_grid_points(name, self.grid_points)

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The equivalent Optuna distribution."""
        import optuna

        return optuna.distributions.IntDistribution(
            int(self.low), int(self.high), log=self.log, step=int(self.step)
        )

    def sample(self, rng: np.random.Generator, n: int) -> list[Any]:
        """`n` seeded draws, uniform over the lattice (log-uniform, then rounded, with `log`)."""
        if self.log:
            draws = np.exp(rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5), n))
            return [int(min(max(round(v), self.low), self.high)) for v in draws]
        count = (self.high - self.low) // self.step + 1
        return [int(self.low + k * self.step) for k in rng.integers(0, count, n)]

    def points(self, n: int) -> list[Any]:
        """Up to `n` evenly spaced lattice values (geometric when log), deduplicated."""
        values = (
            np.geomspace(self.low, self.high, n)
            if self.log
            else np.linspace(self.low, self.high, n)
        )
        snapped = self.low + np.round((values - self.low) / self.step) * self.step
        return _unique([int(v) for v in snapped])

    def grid(self) -> list[Any]:
        """Every lattice value, or `grid_points` evenly spaced ones when given."""
        if self.grid_points is None:
            return list(range(int(self.low), int(self.high) + 1, int(self.step)))
        return self.points(self.grid_points)

    def contains(self, value: Any) -> bool:
        """True when `value` is an integer on low, low + step, ..., high."""
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return False
        number = int(value)
        return bool(self.low <= number <= self.high and (number - self.low) % self.step == 0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {
            "type": "int",
            "low": int(self.low),
            "high": int(self.high),
            "step": int(self.step),
            "log": self.log,
        }


@dataclass(frozen=True)
class Choices:
    """Categorical values (strings, numbers or booleans)."""

    choices: Sequence[Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(self.choices))

    def validate(self, name: str) -> None:
        """Raise `SearchSpaceError` for no choices, duplicates or unsupported value types."""
        if len(self.choices) == 0:
            raise SearchSpaceError(f"{name}: Choices needs at least one value")
        if len(set(self.choices)) != len(self.choices):
            raise SearchSpaceError(f"{name}: duplicate choices in {list(self.choices)!r}")
        for value in self.choices:
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise SearchSpaceError(f"{name}: choice {value!r} must be a string, number or bool")

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The equivalent Optuna distribution."""
        import optuna

        return optuna.distributions.CategoricalDistribution(list(self.choices))

    def sample(self, rng: np.random.Generator, n: int) -> list[Any]:
        """`n` seeded uniform draws among the choices."""
        return [self.choices[k] for k in rng.integers(0, len(self.choices), n)]

    def points(self, n: int) -> list[Any]:
        """Every choice (`n` is ignored)."""
        return list(self.choices)

    def grid(self) -> list[Any]:
        """Every choice."""
        return list(self.choices)

    def contains(self, value: Any) -> bool:
        """True when `value` is one of the choices."""
        return value in self.choices

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {"type": "choice", "choices": list(self.choices)}


@dataclass(frozen=True)
class FixedValue:
    """A field held at one value (not searched)."""

    value: Any

    def validate(self, name: str) -> None:
        """FixedValue values are checked when the space builds its reference config."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {"type": "fixed", "value": self.value}


Range = FloatRange | IntRange | Choices
Param = FloatRange | IntRange | Choices | FixedValue


def _check_grid_points(name: str, grid_points: int | None) -> None:
    if grid_points is not None and (
        isinstance(grid_points, bool) or not isinstance(grid_points, int) or grid_points < 2
    ):
        raise SearchSpaceError(f"{name}: grid_points must be an integer >= 2, got {grid_points!r}")


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _coerce(name: str, spec: Any) -> Param:
    if isinstance(spec, (FloatRange, IntRange, Choices, FixedValue)):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        low, high = spec
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in spec):
            return IntRange(int(low), int(high))
        return FloatRange(_finite(name, "low", low), _finite(name, "high", high))
    if isinstance(spec, Mapping):
        return _from_json(name, spec)
    if isinstance(spec, (list, set, frozenset)):
        return Choices(list(spec))
    if isinstance(spec, tuple):
        raise SearchSpaceError(
            f"{name}: a tuple range must be (low, high), got {len(spec)} values; use a list for choices"
        )
    return FixedValue(spec)


_JSON_KEYS = {"low", "high", "step", "log", "grid_points", "choices", "value"}


def _from_json(name: str, spec: Mapping[str, Any]) -> Param:
    """A parameter from its JSON form: {"low", "high", "step"?, "log"?, "grid_points"?} (an
    integer range when low, high and step are whole numbers), {"choices": [...]} or {"value": v}."""
    unknown = sorted(set(spec) - _JSON_KEYS)
    if unknown:
        raise SearchSpaceError(
            f"{name}: unknown key(s) {', '.join(unknown)}; use low/high (with step, log, "
            "grid_points), choices, or value"
        )
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, (list, tuple)):
            raise SearchSpaceError(f"{name}: choices must be a list, got {choices!r}")
        return Choices(list(choices))
    if "value" in spec:
        return FixedValue(spec["value"])
    if "low" not in spec or "high" not in spec:
        raise SearchSpaceError(f"{name}: a range needs both low and high, got {dict(spec)!r}")
    low, high, step = spec["low"], spec["high"], spec.get("step")
    log = bool(spec.get("log", False))
    points = spec.get("grid_points")
    whole = all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        for v in (low, high, *(() if step is None else (step,)))
    )
    if whole and name in _INTEGER_FIELDS:
        return IntRange(int(low), int(high), step=int(step or 1), log=log, grid_points=points)
    return FloatRange(
        _finite(name, "low", low),
        _finite(name, "high", high),
        log=log,
        step=None if step is None else _finite(name, "step", step),
        grid_points=points,
    )


_INTEGER_FIELDS = frozenset({"lookback", "rebalance_every"})


def strategy_fields() -> list[str]:
    """Names of every `StrategyConfig` field (the fields a search space may cover)."""
    return [name for name in StrategyConfig.model_fields if name != "config_id"]


def _required_fields() -> list[str]:
    return [
        name
        for name, info in StrategyConfig.model_fields.items()
        if info.is_required() and name != "config_id"
    ]


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = field_of(err) or "config"
        parts.append(f"{where}={err.get('input')!r}: {problem_of(err)}")
    return "; ".join(parts)


@dataclass(frozen=True)
class SearchSpace:
    """A validated mapping from `StrategyConfig` field names to `FloatRange`/`IntRange`/`Choices`/`FixedValue`.

    Raises `SearchSpaceError` for an empty space, unknown fields (listing the valid ones),
    missing required fields, empty or malformed ranges, and bounds or choices that
    `StrategyConfig` itself rejects (naming the field and value).
    """

    params: Mapping[str, Any] = field(default_factory=dict)
    """Field -> `Param` after construction (plain values are coerced, see the module docs)."""

    def __post_init__(self) -> None:
        if not isinstance(self.params, Mapping):
            raise SearchSpaceError(
                f"a search space must be a mapping of field -> range, got {type(self.params).__name__}"
            )
        if len(self.params) == 0:
            raise SearchSpaceError(
                f"the search space is empty; give ranges for some of: {', '.join(strategy_fields())}"
            )
        valid = strategy_fields()
        unknown = [str(name) for name in self.params if name not in valid]
        if unknown:
            raise SearchSpaceError(
                f"unknown StrategyConfig field(s) {', '.join(unknown)}; valid fields: {', '.join(valid)}"
            )
        coerced = {name: _coerce(name, spec) for name, spec in self.params.items()}
        for name, param in coerced.items():
            param.validate(name)
        missing = [name for name in _required_fields() if name not in coerced]
        if missing:
            raise SearchSpaceError(
                f"the search space must give a range or FixedValue value for {', '.join(missing)} "
                "(StrategyConfig has no default for them)"
            )
        # StrategyConfig's field order, whatever the mapping's order: a space written or stored
        # with its keys in another order (JSON with sorted keys) gives the same search.
        ordered = {name: coerced[name] for name in valid if name in coerced}
        object.__setattr__(self, "params", ordered)
        self._check_against_config()

    # -- views ---------------------------------------------------------------------------------
    @property
    def searched(self) -> dict[str, Range]:
        """The fields that vary (everything except `FixedValue`)."""
        return {n: p for n, p in self.params.items() if not isinstance(p, FixedValue)}

    @property
    def fixed(self) -> dict[str, Any]:
        """The fields held fixed, with their values."""
        return {n: p.value for n, p in self.params.items() if isinstance(p, FixedValue)}

    @property
    def names(self) -> list[str]:
        """Names of the searched fields, in the space's order."""
        return list(self.searched)

    @property
    def defaults(self) -> dict[str, Any]:
        """The fields the space does not name, at the `StrategyConfig` defaults they take (the
        option overlay's settings only when an overlay can be held)."""
        hedged = set(self.values_of("overlay")) - {"none"}
        return {
            name: StrategyConfig.model_fields[name].default
            for name in strategy_fields()
            if name not in self.params and (hedged or not name.startswith("overlay_"))
        }

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Optuna distributions of the searched fields."""
        return {n: p.distribution() for n, p in self.searched.items()}

    def values_of(self, name: str) -> list[Any]:
        """Extreme values a field can take: its fixed value, [low, high], or every choice."""
        param = self.params.get(name)
        if param is None:
            default = StrategyConfig.model_fields[name].default
            return [default]
        if isinstance(param, FixedValue):
            return [param.value]
        if isinstance(param, Choices):
            return list(param.choices)
        return [param.low, param.high]

    # -- configs -------------------------------------------------------------------------------
    def reference(self) -> dict[str, Any]:
        """One point of the space: the first choice and the low end of each range."""
        point: dict[str, Any] = {}
        for name, param in self.searched.items():
            point[name] = param.choices[0] if isinstance(param, Choices) else param.low
        return point

    def config(self, params: Mapping[str, Any]) -> StrategyConfig:
        """The `StrategyConfig` for searched-field values `params` plus the fixed values."""
        values = {**self.fixed, **dict(params)}
        try:
            return StrategyConfig(**values)
        except ValidationError as exc:
            fields = [str(err["loc"][0]) for err in exc.errors() if err.get("loc")]
            named = f"{fields[0]}: " if len(set(fields)) == 1 else ""
            raise SearchSpaceError(
                f"{named}StrategyConfig rejects {values!r}: {_validation_message(exc)}"
            ) from exc

    def params_of(self, config: StrategyConfig) -> dict[str, Any]:
        """The searched-field values of `config`."""
        return {name: getattr(config, name) for name in self.searched}

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
        """`n` seeded independent draws (one dict of searched-field values each)."""
        columns = {name: param.sample(rng, n) for name, param in self.searched.items()}
        return [{name: columns[name][i] for name in columns} for i in range(n)]

    def grid_size(self) -> int:
        """Number of points in the Cartesian grid."""
        return math.prod(len(p.grid()) for p in self.searched.values())

    def grid(self) -> list[dict[str, Any]]:
        """The Cartesian product of every searched field's grid values (last field fastest)."""
        size = self.grid_size()
        if size > MAX_GRID_SIZE:
            raise SearchSpaceError(
                f"the grid has {size} points (> {MAX_GRID_SIZE}); lower grid_points or use "
                "method='random' or 'tpe'"
            )
        names = self.names
        axes = [self.searched[n].grid() for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description of every field."""
        return {name: param.to_dict() for name, param in self.params.items()}

    def _check_against_config(self) -> None:
        self.config({})  # the fixed values, other fields at their defaults
        for name, param in self.searched.items():
            extremes = param.choices if isinstance(param, Choices) else (param.low, param.high)
            for value in extremes:
                try:
                    StrategyConfig(**{**self.fixed, name: value})
                except ValidationError as exc:
                    raise SearchSpaceError(
                        f"{name}: value {value!r} is not allowed by StrategyConfig: "
                        f"{_validation_message(exc)}"
                    ) from exc
        self.config(self.reference())
        self._check_hedge()

    def _check_hedge(self) -> None:
        """Refuse overlay fields that the space searches in vain (no overlay kind reads them)
        and strike ranges that would make some of its points invalid strategies."""
        kinds = set(self.values_of("overlay")) - {"none"}
        readers = {
            "overlay_lower_strike": {"put_spread"},
            "overlay_call_strike": {"collar"},
        }
        for name in self.searched:
            if not name.startswith("overlay_"):
                continue
            needed = readers.get(name, {"put", "put_spread", "collar"})
            if not kinds & needed:
                raise SearchSpaceError(
                    f"{name}: searched, but no overlay in the space reads it (overlay can be "
                    f"{', '.join(map(repr, self.values_of('overlay')))}; {name} is read by "
                    f"{', '.join(sorted(needed))}); give it a fixed value or add an overlay"
                )
            rule = next((r for r, band in ROLL_BANDS.items() if band == name), None)
            if rule is not None and rule not in self.values_of("overlay_roll"):
                raise SearchSpaceError(
                    f"{name}: searched, but overlay_roll is never {rule!r} in this space, so the "
                    "band is never read"
                )
        strikes = [float(v) for v in self.values_of("overlay_strike")]
        if "put_spread" in kinds:
            lower = max(float(v) for v in self.values_of("overlay_lower_strike"))
            if lower >= min(strikes):
                raise SearchSpaceError(
                    f"overlay_lower_strike: up to {lower:g}, not below the lowest overlay_strike "
                    f"({min(strikes):g}); a put spread sells its lower put below the bought one, "
                    "so every overlay_lower_strike must be < every overlay_strike"
                )
        if "collar" in kinds:
            call = min(float(v) for v in self.values_of("overlay_call_strike"))
            if call <= max(strikes):
                raise SearchSpaceError(
                    f"overlay_call_strike: from {call:g}, not above the highest overlay_strike "
                    f"({max(strikes):g}); a collar sells its call above the bought put, so every "
                    "overlay_call_strike must be > every overlay_strike"
                )


def as_search_space(space: SearchSpace | Mapping[str, Any]) -> SearchSpace:
    """Return `space` as a validated `SearchSpace` (a plain mapping is converted)."""
    if isinstance(space, SearchSpace):
        return space
    if not isinstance(space, Mapping):
        raise SearchSpaceError(
            f"a search space must be a SearchSpace or a mapping, got {type(space).__name__}"
        )
    return SearchSpace(dict(space))
