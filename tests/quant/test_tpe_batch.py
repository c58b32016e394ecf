"""A batch of TPE proposals (`quant.tuning.tpe`) against Optuna's own sampler: one proposal is
bit for bit what `TPESampler(constant_liar=False).ask()` gives on a study of the same trials
(built here with Optuna's public API), over generated spaces, trials, constraints and seeds; a
batch stays in the space, is reproducible, and searches as well as Optuna's asks one by one."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import optuna
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.tuning.tpe import tpe_proposals

Distributions = dict[str, optuna.distributions.BaseDistribution]


@st.composite
def spaces(draw: st.DrawFn) -> Distributions:
    """A space of 1-6 fields of each kind Stratigos searches (float, log float, stepped int,
    categorical, a categorical of one choice)."""
    kinds = draw(st.lists(st.sampled_from(["float", "log", "int", "cat", "one"]), min_size=1,
                          max_size=6))  # fmt: skip
    out: Distributions = {}
    for i, kind in enumerate(kinds):
        low = draw(st.floats(0.01, 5.0))
        if kind == "float":
            out[f"f{i}"] = optuna.distributions.FloatDistribution(
                low, low + draw(st.floats(0.1, 10))
            )
        elif kind == "log":
            out[f"f{i}"] = optuna.distributions.FloatDistribution(low, low * 50, log=True)
        elif kind == "int":
            step = draw(st.integers(1, 5))
            out[f"f{i}"] = optuna.distributions.IntDistribution(
                1, 1 + step * draw(st.integers(2, 20)), step=step
            )
        elif kind == "cat":
            out[f"f{i}"] = optuna.distributions.CategoricalDistribution(
                ["a", "b", "c"][: draw(st.integers(2, 3))]
            )
        else:
            out[f"f{i}"] = optuna.distributions.CategoricalDistribution(["only"])
    return out


def _rows(space: Distributions, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """`n` trial rows: uniform draws of the space, objectives with some failures (NaN) and
    constraint margins (positive: violated)."""
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {}
        for name, dist in space.items():
            if isinstance(dist, optuna.distributions.CategoricalDistribution):
                row[name] = dist.choices[int(rng.integers(len(dist.choices)))]
            elif isinstance(dist, optuna.distributions.IntDistribution):
                row[name] = int(rng.choice(np.arange(dist.low, dist.high + 1, dist.step)))
            else:
                assert isinstance(dist, optuna.distributions.FloatDistribution)
                row[name] = float(rng.uniform(dist.low, dist.high))
        row["objective"] = float("nan") if rng.random() < 0.05 else float(rng.normal())
        row["violation"] = float(rng.normal(-0.1, 0.2))
        rows.append(row)
    return rows


def optunas_ask(rows: list[dict[str, Any]], space: Distributions, seed: int, constrained: bool,
                *, liar: bool = False, n: int = 1) -> list[dict[str, Any]]:  # fmt: skip
    """`n` asks of Optuna's `TPESampler(seed=seed)` on a study of `rows`, built with its public API."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=liar),
        )
        for row in rows:
            finite = math.isfinite(row["objective"])
            study.add_trial(
                optuna.trial.create_trial(
                    params={name: row[name] for name in space},
                    distributions=space,
                    value=row["objective"] if finite else None,
                    state=optuna.trial.TrialState.COMPLETE
                    if finite
                    else optuna.trial.TrialState.FAIL,
                    constraints={"violation": row["violation"]} if constrained else None,
                )
            )
        return [dict(study.ask(space).params) for _ in range(n)]


@settings(max_examples=40, deadline=None)
@given(space=spaces(), n_rows=st.integers(0, 80), seed=st.integers(0, 2**31 - 1),
       constrained=st.booleans())  # fmt: skip
def test_one_proposal_is_optunas_own_ask(space: Distributions, n_rows: int, seed: int,
                                         constrained: bool) -> None:  # fmt: skip
    rows = _rows(space, n_rows, np.random.default_rng(seed))
    ours = tpe_proposals(rows, space, 1, seed=seed, constrained=constrained)
    assert ours == optunas_ask(rows, space, seed, constrained)


@settings(max_examples=25, deadline=None)
@given(space=spaces(), n_rows=st.integers(10, 80), n=st.integers(1, 60),
       seed=st.integers(0, 2**31 - 1))  # fmt: skip
def test_a_batch_is_in_the_space_and_reproducible(space: Distributions, n_rows: int, n: int,
                                                  seed: int) -> None:  # fmt: skip
    rows = _rows(space, n_rows, np.random.default_rng(seed))
    batch = tpe_proposals(rows, space, n, seed=seed, constrained=True)
    assert len(batch) == n
    for proposal in batch:
        assert list(proposal) == list(space)
        for name, dist in space.items():
            assert dist._contains(dist.to_internal_repr(proposal[name]))
    assert batch == tpe_proposals(rows, space, n, seed=seed, constrained=True)


def _objective(point: dict[str, Any]) -> float:
    """A smooth objective with its best at x = 0.7 y, log z = 1 and kind "b" (maximised)."""
    return float(
        -((point["x"] - 0.7 * point["y"]) ** 2)
        - (math.log(point["z"]) - 1.0) ** 2
        - 0.5 * (point["kind"] != "b")
        - 0.01 * (point["n"] - 12) ** 2
    )


SEARCH_SPACE: Distributions = {
    "x": optuna.distributions.FloatDistribution(0.0, 1.0),
    "y": optuna.distributions.FloatDistribution(0.0, 1.0),
    "z": optuna.distributions.FloatDistribution(0.1, 30.0, log=True),
    "kind": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
    "n": optuna.distributions.IntDistribution(2, 40, step=2),
}


def _searched(propose: Any, seed: int, batches: int = 5, size: int = 20) -> float:
    rows: list[dict[str, Any]] = []
    for batch in range(batches):
        for point in propose(rows, seed * 100 + batch, size):
            rows.append({**point, "objective": _objective(point), "violation": 0.0})
    return max(row["objective"] for row in rows)


def test_a_batch_searches_as_well_as_optunas_asks_one_by_one() -> None:
    seeds = range(12)
    ours = [_searched(lambda rows, s, n: tpe_proposals(rows, SEARCH_SPACE, n, seed=s,
                                                       constrained=False), seed) for seed in seeds]  # fmt: skip
    theirs = [_searched(lambda rows, s, n: optunas_ask(rows, SEARCH_SPACE, s, False, liar=True, n=n),
                        seed) for seed in seeds]  # fmt: skip
    rng = np.random.default_rng(0)
    random = [
        max(_objective(p) for p in _rows(SEARCH_SPACE, 100, rng)) for _ in seeds
    ]  # the same budget drawn at random
    assert np.median(ours) > np.median(random)
    assert np.median(ours) >= np.median(theirs) - 0.05, (ours, theirs)
