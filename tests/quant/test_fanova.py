"""fANOVA importance against Optuna's `FanovaImportanceEvaluator` (the peer it replaces) on the
same trials and seed: the same numbers to 1e-9, on the default search space's kinds of fields
(floats, log floats, stepped ints, a categorical) and on real searches."""

from __future__ import annotations

import warnings

import numpy as np
import optuna
import pandas as pd
import pytest

from graphs.request import DEFAULT_SPACE
from quant import search
from quant.sensitivity import _stable, parameter_importance
from quant.tuning.result import SearchResult, native_value
from quant.tuning.space import as_search_space


def optuna_importance(result: SearchResult, seed: int) -> pd.Series:
    """What `parameter_importance` computed before: Optuna's fANOVA on a rebuilt study."""
    space, names = result.space, result.space.names
    trials = result.trials[np.isfinite(result.trials["objective"].to_numpy(dtype=float))]
    distributions = space.distributions()
    frozen = [
        optuna.trial.create_trial(
            params={n: _stable(native_value(row[n])) for n in names},
            distributions=distributions,
            value=_stable(float(row["objective"])),
        )
        for _, row in trials.iterrows()
    ]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(direction="maximize")
        study.add_trials(frozen)
        raw = optuna.importance.get_param_importances(
            study,
            evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed),
            params=names,
            normalize=False,
        )
    series = pd.Series({n: max(float(raw.get(n, 0.0)), 0.0) for n in names})
    return series / series.sum()


def synthetic_result(seed: int, trials: int) -> SearchResult:
    """A search result over the default kinds of fields, with an objective that depends on
    some of them (plus noise), sampled at random."""
    space = as_search_space(DEFAULT_SPACE)  # the fields `stratigos optimize` searches
    rng = np.random.default_rng(seed)
    rows = []
    for trial in range(trials):
        point = {
            "target_vol": rng.uniform(0.05, 0.25),
            "weight_function": ["inverse_vol", "sigmoid", "merton"][rng.integers(3)],
            "lookback": int(rng.choice([21, 42, 63, 84, 105, 126])),
            "rebalance_every": int(rng.integers(5, 64)),
            "max_leverage": rng.uniform(1.0, 2.0),
            "risk_aversion": float(np.exp(rng.uniform(0.0, np.log(10.0)))),
            "steepness": rng.uniform(2.0, 20.0),
        }
        objective = (
            3.0 * point["target_vol"]
            + 0.3 * (point["weight_function"] == "sigmoid")
            - 0.002 * point["lookback"]
            + 0.05 * np.sin(point["steepness"])
            + rng.normal(0.0, 0.02)
        )
        rows.append({"trial": trial, **point, "objective": objective})
    frame = pd.DataFrame(rows)

    class Result:  # the two attributes parameter_importance reads
        pass

    result = Result()
    result.space = space  # type: ignore[attr-defined]
    result.trials = frame  # type: ignore[attr-defined]
    return result  # type: ignore[return-value]


@pytest.mark.parametrize(("seed", "trials"), [(0, 200), (1, 60), (7, 120)])
def test_equal_to_optunas_fanova_on_the_default_kinds_of_fields(seed: int, trials: int) -> None:
    result = synthetic_result(seed, trials)
    ours = parameter_importance(result, seed=seed)
    theirs = optuna_importance(result, seed=seed)
    pd.testing.assert_series_equal(
        ours.sort_index(), theirs.sort_index(), check_names=False, rtol=1e-9, atol=1e-12
    )
    assert list(ours.index[:3]) == list(theirs.sort_values(ascending=False).index[:3])


def test_equal_to_optunas_fanova_on_a_real_search() -> None:
    rng = np.random.default_rng(5)
    scenarios = {
        "calm": 0.0005 + 0.008 * rng.standard_normal((20, 300)),
        "storm": -0.0003 + 0.02 * rng.standard_normal((20, 300)),
    }
    space = {
        "target_vol": {"low": 0.05, "high": 0.3},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 84, "step": 21},
        "rebalance_every": {"low": 5, "high": 30, "step": 5},
    }
    result = search(space, scenarios, method="tpe", budget=60, batch_size=20, seed=3)
    ours = parameter_importance(result, seed=3)
    theirs = optuna_importance(result, seed=3)
    pd.testing.assert_series_equal(
        ours.sort_index(), theirs.sort_index(), check_names=False, rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_default_search_ranks_its_parameters_as_optunas_fanova(seed: int) -> None:
    """The search `stratigos optimize` runs (its default space, TPE) on simulated paths, seeded:
    the three most important parameters, in order, and every share as Optuna's fANOVA gives."""
    rng = np.random.default_rng(100 + seed)
    scenarios = {
        "calm": 0.0005 + 0.008 * rng.standard_normal((10, 260)),
        "storm": -0.0003 + 0.02 * rng.standard_normal((10, 260)),
    }
    result = search(DEFAULT_SPACE, scenarios, method="tpe", budget=80, batch_size=40, seed=seed)
    ours = parameter_importance(result, seed=seed)
    theirs = optuna_importance(result, seed=seed).sort_values(ascending=False, kind="stable")
    assert list(ours.index[:3]) == list(theirs.index[:3])
    assert float((ours - theirs.reindex(ours.index)).abs().max()) < 1e-9
