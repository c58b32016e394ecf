"""Parameter importance of a search: Stratigos' fANOVA (`quant.fanova`) against Optuna's
`FanovaImportanceEvaluator` on the same trials and seed (the numbers it replaces).

Work: a random search of 200 and 1,000 trials over the kinds of fields `stratigos optimize`
searches (floats, a log float, stepped integers, a categorical) on simulated returns; both fit
the same seeded scikit-learn forest on the same inputs (rounded as `parameter_importance` rounds
them), so the importances must agree (the difference column: the
largest difference in a parameter's share, and whether the three most important parameters come
in the same order).
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import optuna
import pandas as pd

from benchmarks.harness import Row, Table, median_time
from graphs.request import DEFAULT_SPACE
from quant import search
from quant.sensitivity import _stable, parameter_importance
from quant.tuning.result import SearchResult, native_value


def _optuna(result: SearchResult) -> pd.Series:
    names = result.space.names
    distributions = result.space.distributions()
    study = optuna.create_study(direction="maximize")
    study.add_trials(
        [
            optuna.trial.create_trial(
                params={n: _stable(native_value(row[n])) for n in names},
                distributions=distributions,
                value=_stable(float(row["objective"])),
            )
            for _, row in result.trials.iterrows()
        ]
    )
    raw = optuna.importance.get_param_importances(
        study,
        evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
        params=names,
        normalize=False,
    )
    series = pd.Series({n: max(float(raw.get(n, 0.0)), 0.0) for n in names})
    return (series / series.sum()).sort_values(ascending=False)


def run(table: Table) -> None:
    """Time both on 200 and 1,000 trials and add the rows to `table`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(2)
    scenarios = {
        "calm": 0.0005 + 0.008 * rng.standard_normal((40, 300)),
        "storm": -0.0003 + 0.02 * rng.standard_normal((40, 300)),
    }
    for trials in (200, 1000):
        result = search(
            DEFAULT_SPACE, scenarios, method="random", budget=trials, batch_size=100, seed=1
        )
        ours = parameter_importance(result, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _optuna(result)
            peer = median_time(partial(_optuna, result), repeat=1, warmup=0)
        mine = median_time(partial(parameter_importance, result, seed=0), repeat=5)
        worst = float((ours.sort_index() - theirs.sort_index()).abs().max())
        same = list(ours.index[:3]) == list(theirs.index[:3])
        table.add(
            Row(
                "parameter importance (fANOVA)",
                f"{trials} trials, 7 parameters",
                "Optuna FanovaImportanceEvaluator",
                mine * 1000,
                peer * 1000,
                f"shares {worst:.1e}; top 3 in the same order: {'yes' if same else 'NO'}",
            )
        )
