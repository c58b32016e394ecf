"""The strategy model: what a strategy configuration does in a scenario, learnt from the trials
of earlier searches, with an interval around each estimate.

A row is one trial in one scenario: the features of the configuration (every `StrategyConfig`
field; a choice as its index in the field's choices; a field it does not read at its
default), of the universe and window the scenarios
were drawn from (`search_context`: assets, years, the equal-weight portfolio's annual return
and volatility, the assets' mean volatility and correlation), and of the scenario (its name,
the share of the window's days in its regime and the equal-weight portfolio's annual return and
volatility on those days, the horizon, the simulation method, the safe rate). The targets are
the trial's path means of `METRICS` in that scenario (Sharpe over the safe rate, CAGR and
volatility annualised, maximum drawdown and daily 95% CVaR as positive losses).

`fit_strategy_model(X, Y, held_out)` grows extremely randomized trees (`quant.extra_trees`) on
the rows not held out, one ensemble per group of `TREE_GROUPS` (Sharpe alone, CAGR alone, the
three risk metrics together), and measures them on the held-out rows: per metric the R², and the rank
correlation (Spearman) within each scenario, averaged over the scenarios. The held-out rows also
calibrate the interval (split conformal prediction, normalised by the trees' spread): for a new
row exchangeable with them, the interval holds its value with probability `coverage`.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
import pandas as pd

from quant.extra_trees import TreeEnsemble, fit_extra_trees, mean_trees, predict_trees
from quant.rank_correlation import spearman
from quant.regime_names import REGIME_NAMES
from quant.regimes import identify_regimes
from quant.strategy import (
    BUILTIN_WEIGHT_FUNCTIONS,
    HedgeKind,
    OverlayRoll,
    SleeveName,
    StrategyConfig,
)

METRICS: tuple[str, ...] = ("sharpe", "cagr", "volatility", "max_drawdown", "cvar_95")
"""What the model estimates, per scenario (path means)."""
TREE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("sharpe",),
    ("cagr",),
    ("volatility", "max_drawdown", "cvar_95"),
)
"""The metrics each ensemble predicts together. Trees split on the summed error of their
outputs, so the three risk metrics, which move together, would outweigh Sharpe in one ensemble
of all five (docs/strategy-model.md#why-extremely-randomized-trees)."""
CHOICES: dict[str, tuple[str, ...]] = {
    "weight_function": BUILTIN_WEIGHT_FUNCTIONS,
    "sleeve": get_args(SleeveName),
    "overlay": get_args(HedgeKind),
    "overlay_roll": get_args(OverlayRoll),
}
"""The fields whose values are names, and their names (a feature is the name's index)."""
CONFIG_FEATURES: tuple[str, ...] = tuple(StrategyConfig.model_fields)
UNIVERSE_FEATURES = (
    "n_assets",
    "window_years",
    "window_return",
    "window_volatility",
    "asset_volatility",
    "asset_correlation",
)
SCENARIO_FEATURES = ("regime_share", "regime_return", "regime_volatility")
RUN_FEATURES = ("scenario", "horizon", "scenario_method", "safe_rate")
FEATURES: tuple[str, ...] = CONFIG_FEATURES + UNIVERSE_FEATURES + SCENARIO_FEATURES + RUN_FEATURES
SCENARIO_COLUMN = FEATURES.index("scenario")
METHODS = ("block_bootstrap", "gbm")
PERIODS = 252


# --------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------
def search_context(
    returns: pd.DataFrame,
    market: pd.Series | None,
    scenarios: Sequence[str],
    *,
    horizon: int,
    scenario_method: str,
    safe_rate: float,
) -> dict[str, Any]:
    """The features of a search's universe, window and scenarios (plain JSON), and its assets'
    names: computed from the daily returns the scenarios are drawn from and their regimes
    (`identify_regimes`, as `generate_scenarios` identifies them)."""
    values = returns.to_numpy(dtype=np.float64)
    equal = values.mean(axis=1)
    correlation = np.corrcoef(values, rowvar=False) if values.shape[1] > 1 else np.ones((1, 1))
    upper = correlation[np.triu_indices(values.shape[1], 1)]
    universe = {
        "n_assets": values.shape[1],
        "window_years": len(values) / PERIODS,
        "window_return": float(equal.mean() * PERIODS),
        "window_volatility": float(equal.std(ddof=1) * math.sqrt(PERIODS)),
        "asset_volatility": float(values.std(axis=0, ddof=1).mean() * math.sqrt(PERIODS)),
        "asset_correlation": float(upper.mean()) if upper.size else 1.0,
    }
    regimes = identify_regimes(returns, market=market)
    by_scenario = {}
    for name in scenarios:
        days = regimes[name].to_numpy(dtype=bool)
        sample = equal[days]
        by_scenario[str(name)] = {
            "regime_share": float(days.mean()),
            "regime_return": float(sample.mean() * PERIODS) if sample.size else 0.0,
            "regime_volatility": float(sample.std(ddof=1) * math.sqrt(PERIODS))
            if sample.size > 1
            else 0.0,
        }
    return {
        "assets": [str(name) for name in returns.columns],
        "universe": universe,
        "scenarios": by_scenario,
        "horizon": int(horizon),
        "scenario_method": scenario_method,
        "safe_rate": float(safe_rate),
    }


def _code(field_name: str, value: Any) -> float:
    if value is None:
        return -1.0
    names = CHOICES.get(field_name)
    if names is not None:
        return float(names.index(value)) if value in names else -1.0
    return float(value)


_DEFAULTS = StrategyConfig()


def config_features(config: StrategyConfig) -> list[float]:
    """The configuration's features, in `CONFIG_FEATURES` order. A field the configuration does
    not read (`StrategyConfig.unused_parameters`: a merton rule's target volatility, an inverse
    volatility rule's steepness, the overlay fields without an overlay) takes its default value,
    so configurations that give the same results have the same features; the default, not a
    value outside the field's range, so the trees' thresholds, drawn between a node's smallest
    and largest value, still fall among the values the field takes."""
    unused = config.unused_parameters()
    return [
        _code(name, getattr(_DEFAULTS if name in unused else config, name))
        for name in CONFIG_FEATURES
    ]


def feature_rows(
    configs: Sequence[StrategyConfig], context: Mapping[str, Any], scenarios: Sequence[str]
) -> np.ndarray:
    """The rows of `configs` in `scenarios` of a search `context` (`search_context`): [configs
    x scenarios, features], each config's scenarios together, in order."""
    universe = [float(context["universe"][k]) for k in UNIVERSE_FEATURES]
    method = (
        METHODS.index(context["scenario_method"]) if context["scenario_method"] in METHODS else -1
    )
    tails = []
    for name in scenarios:
        regime = context["scenarios"][name]
        code = REGIME_NAMES.index(name) if name in REGIME_NAMES else -1
        tails.append(
            universe
            + [float(regime[k]) for k in SCENARIO_FEATURES]
            + [float(code), float(context["horizon"]), float(method), float(context["safe_rate"])]
        )
    heads = np.asarray([config_features(c) for c in configs], dtype=np.float64)
    rows = np.empty((len(configs), len(scenarios), len(FEATURES)))
    rows[:, :, : len(CONFIG_FEATURES)] = heads.reshape(len(configs), 1, len(CONFIG_FEATURES))
    rows[:, :, len(CONFIG_FEATURES) :] = np.asarray(tails, dtype=np.float64).reshape(
        1, len(scenarios), len(FEATURES) - len(CONFIG_FEATURES)
    )
    return rows.reshape(len(configs) * len(scenarios), len(FEATURES))


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """Estimates [rows, metrics] and the interval around them (`low`, `high`)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class StrategyModel:
    """Fitted trees, their interval calibration and their accuracy on held-out rows.

    `ensembles[g]` predicts the metrics `groups[g]` (each a tuple of `METRICS` names; every
    ensemble has as many trees). `interval_scale[m]` and `interval_floor[m]`: the interval is
    the estimate +/- scale x (the trees' standard deviation + floor). `accuracy[metric]`: ``{"r2",
    "rank_correlation"}`` on the held-out rows (None with fewer than 3 in a scenario);
    `coverage`: the interval's probability; `n_train`, `n_held_out`: rows."""

    ensembles: tuple[TreeEnsemble, ...]
    interval_scale: np.ndarray
    interval_floor: np.ndarray
    accuracy: dict[str, dict[str, float | None]]
    coverage: float
    n_train: int
    n_held_out: int
    features: tuple[str, ...] = FEATURES
    metrics: tuple[str, ...] = METRICS
    groups: tuple[tuple[str, ...], ...] = TREE_GROUPS
    learner: dict[str, Any] = field(default_factory=dict)

    def mean(self, X: np.ndarray, metrics: Sequence[str] | None = None) -> np.ndarray:
        """The estimates of rows X [rows, features] without their intervals, [rows, metrics]
        (what ranking configurations needs): of `metrics` in that order (default: every metric
        the model estimates, `self.metrics`), each exactly `predict`'s estimate. Only the
        ensembles of the groups holding one of `metrics` walk the rows (`mean_trees`: no
        [trees, rows] array). `ValueError` for a metric the model does not estimate."""
        wanted = self.metrics if metrics is None else tuple(metrics)
        unknown = [name for name in wanted if name not in self.metrics]
        if unknown:
            raise ValueError(f"the model does not estimate {unknown}; it does {self.metrics}")
        rows = np.ascontiguousarray(X, dtype=np.float64)
        out = np.empty((len(rows), len(wanted)))
        for ensemble, group in zip(self.ensembles, self.groups, strict=True):
            columns = [(i, group.index(name)) for i, name in enumerate(wanted) if name in group]
            if columns:
                estimate = mean_trees(ensemble, rows)
                for i, output in columns:
                    out[:, i] = estimate[:, output]
        return out

    def predict(self, X: np.ndarray) -> Estimate:
        """The estimates of rows X [rows, features] and their intervals."""
        trees = _predict_groups(self.ensembles, self.groups, self.metrics, X)
        value = trees.mean(axis=0)
        spread = trees.std(axis=0) + self.interval_floor
        half = self.interval_scale * spread
        return Estimate(value=value, low=value - half, high=value + half)

    def arrays(self) -> dict[str, np.ndarray]:
        """The model as named arrays (`from_arrays` reads them back exactly)."""
        meta = {
            "accuracy": self.accuracy,
            "coverage": self.coverage,
            "n_train": self.n_train,
            "n_held_out": self.n_held_out,
            "features": list(self.features),
            "metrics": list(self.metrics),
            "groups": [list(g) for g in self.groups],
            "learner": self.learner,
        }
        trees = {
            f"{part}{g}": getattr(ensemble, part)
            for g, ensemble in enumerate(self.ensembles)
            for part in _TREE_PARTS
        }
        return {
            **trees,
            "interval_scale": self.interval_scale,
            "interval_floor": self.interval_floor,
            "meta": json_array(meta),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> StrategyModel:
        """Inverse of `arrays`; also reads a version stored before `TREE_GROUPS` (one ensemble
        of every metric, its arrays unnumbered)."""
        meta = from_json_array(arrays["meta"])
        metrics = tuple(meta["metrics"])
        groups = tuple(tuple(g) for g in meta.get("groups", [metrics]))
        suffixes = [""] if "groups" not in meta else [str(g) for g in range(len(groups))]
        ensembles = tuple(
            TreeEnsemble(*(np.asarray(arrays[f"{part}{suffix}"]) for part in _TREE_PARTS))
            for suffix in suffixes
        )
        return cls(
            ensembles=ensembles,
            interval_scale=np.asarray(arrays["interval_scale"]),
            interval_floor=np.asarray(arrays["interval_floor"]),
            accuracy=meta["accuracy"],
            coverage=float(meta["coverage"]),
            n_train=int(meta["n_train"]),
            n_held_out=int(meta["n_held_out"]),
            features=tuple(meta["features"]),
            metrics=metrics,
            groups=groups,
            learner=dict(meta["learner"]),
        )


_TREE_PARTS = ("left", "right", "feature", "threshold", "value", "roots")


def _predict_groups(
    ensembles: Sequence[TreeEnsemble],
    groups: Sequence[Sequence[str]],
    metrics: Sequence[str],
    X: np.ndarray,
) -> np.ndarray:
    """Every tree's predictions of rows X, [trees, rows, metrics] in `metrics` order, from the
    ensembles of `groups` (the same number of trees each)."""
    parts = [predict_trees(ensemble, X) for ensemble in ensembles]
    trees = np.empty((parts[0].shape[0], len(X), len(metrics)))
    for part, group in zip(parts, groups, strict=True):
        trees[:, :, [metrics.index(name) for name in group]] = part
    return trees


def json_array(document: Any) -> np.ndarray:
    """A JSON document as a byte array (an `.npz` member)."""
    return np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)


def from_json_array(array: np.ndarray) -> Any:
    """Inverse of `json_array`."""
    return json.loads(np.asarray(array, dtype=np.uint8).tobytes().decode())


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Named arrays as one `.npz` file (`numpy.load` reads it), deflated at the fastest level:
    a model of thousands of rows packs in milliseconds, not the tenths of a second of
    `numpy.savez_compressed`'s default level."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def unpack_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Inverse of `pack_arrays`."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


ACCURACY_MEASURE = (
    "on held-out trials: a fifth of the configurations of each search the model learnt, never "
    "fitted, against their full evaluations (path means) in that search's scenarios; r2 over "
    "every held-out row; rank_correlation the Spearman correlation within each scenario, "
    "averaged over the scenarios. Held-out trials lie near the searches' best configurations; "
    "a configuration far from them is ranked less well, and a full evaluation's own path noise "
    "caps any rank correlation with it (docs/strategy-model.md#instant-estimates)"
)
"""What a model's `accuracy` measures, in the words shown with every estimate."""
LEARNER: dict[str, Any] = {
    "kind": "extremely randomized trees (quant.extra_trees)",
    "n_trees": 64,
    "min_samples_leaf": 3,
    "max_samples": 4096,
    "groups": [list(g) for g in TREE_GROUPS],
}
"""The learner's settings (docs/strategy-model.md says why)."""


def _accuracy(
    actual: np.ndarray, estimate: np.ndarray, scenario: np.ndarray
) -> dict[str, float | None]:
    residual = float(((actual - estimate) ** 2).sum())
    total = float(((actual - actual.mean()) ** 2).sum())
    ranks = []
    for code in np.unique(scenario):
        inside = scenario == code
        if inside.sum() >= 3 and np.ptp(actual[inside]) > 0 and np.ptp(estimate[inside]) > 0:
            ranks.append(spearman(actual[inside], estimate[inside]))
    return {
        "r2": 1.0 - residual / total if total > 0 else None,
        "rank_correlation": float(np.mean(ranks)) if ranks else None,
    }


def fit_strategy_model(
    X: np.ndarray,
    Y: np.ndarray,
    held_out: np.ndarray,
    *,
    coverage: float = 0.9,
    seed: int = 0,
) -> StrategyModel:
    """Fit on the rows not `held_out`, measure and calibrate on the others (see the module
    docstring). X [rows, `FEATURES`], Y [rows, `METRICS`]; `ValueError` with fewer than 4
    rows to fit or none held out."""
    features, targets = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    held = np.asarray(held_out, dtype=bool)
    finite = np.isfinite(targets).all(axis=1) & np.isfinite(features).all(axis=1)
    train, test = finite & ~held, finite & held
    if train.sum() < 4 or not test.any():
        raise ValueError(
            f"the strategy model needs at least 4 rows to fit and 1 held out, got "
            f"{int(train.sum())} and {int(test.sum())}"
        )
    ensembles = tuple(
        fit_extra_trees(
            features[train],
            targets[train][:, [METRICS.index(name) for name in group]],
            n_trees=LEARNER["n_trees"],
            min_samples_leaf=LEARNER["min_samples_leaf"],
            max_samples=LEARNER["max_samples"],
            seed=seed + g,
        )
        for g, group in enumerate(TREE_GROUPS)
    )
    trees = _predict_groups(ensembles, TREE_GROUPS, METRICS, features[test])
    estimate, spread = trees.mean(axis=0), trees.std(axis=0)
    floor = np.median(spread, axis=0) + 1e-12
    scores = np.abs(targets[test] - estimate) / (spread + floor)
    n = len(scores)
    rank = min(n, math.ceil((n + 1) * coverage))
    scale = np.sort(scores, axis=0)[rank - 1]
    scenario = features[test][:, SCENARIO_COLUMN]
    accuracy = {
        metric: _accuracy(targets[test][:, m], estimate[:, m], scenario)
        for m, metric in enumerate(METRICS)
    }
    return StrategyModel(
        ensembles=ensembles,
        interval_scale=scale,
        interval_floor=floor,
        accuracy=accuracy,
        coverage=coverage,
        n_train=int(train.sum()),
        n_held_out=int(test.sum()),
        learner=dict(LEARNER),
    )
