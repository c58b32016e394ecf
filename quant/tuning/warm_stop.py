"""When a warm search has learnt enough: its exploration and its stopping rule
(docs/strategy-model.md#when-a-warm-search-stops).

A warm search evaluates first the configurations the owner's strategy model picked and `probes`
draws from the whole space (at random, never ranked by the model), each with the objective the
model estimated for it (`predicted`). It then searches as it would have, keeping
`EXPLORATION_SHARE` of every later batch for random draws from the whole space (away from the
model's picks, where TPE would concentrate). It stops, before its budget, after a batch when:

- it has run at least `MIN_BATCHES` batches (the first one and two of its own);
- where it started can be trusted: on the random probes, the model's estimates rank the
  objectives as their evaluations do (Spearman at least `TRUST`). A model that ranks this
  search's random configurations well knows its landscape, so its picks are close to the best;
  one that does not (another window or universe than it learnt, scenarios it never saw) gives
  no reason to stop early, and the search runs as a cold one would;
- and the batch improved the best feasible objective by no more than `STALL_TOLERANCE`
  (relative) over the best before it.

`warm_stop_reason(rows, predicted, probes)` says why it stops (None: it goes on), from the trial
rows so far (`SearchRun.rows`, in order: the first configurations are the first rows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from quant.rank_correlation import spearman

EXPLORATION_SHARE = 0.2
"""Share of each batch after a warm search's first that is drawn at random from the whole space
(rounded up)."""
TRUST = 0.8
"""The least rank correlation of the model's estimates with the evaluated objectives of the
random probes for a warm search to stop early."""
MIN_PROBES = 8
"""The fewest evaluated probes the rank correlation is computed from (fewer: no early stop)."""
MIN_BATCHES = 3
"""Batches a warm search runs at least before it may stop early: the first, and two of its own
(TPE's and the exploration's)."""
STALL_TOLERANCE = 0.005
"""The largest relative improvement of the best objective in a batch that counts as none."""


def probe_trust(
    rows: Sequence[Mapping[str, Any]], predicted: Sequence[float | None], probes: int
) -> float | None:
    """The Spearman rank correlation of the model's estimates (`predicted`, one per first
    configuration) with the evaluated objectives over the random probes (the last `probes` of
    the first configurations) that evaluated to a finite objective; None with fewer than
    `MIN_PROBES` such probes or no spread in either."""
    first = len(predicted)
    pairs = [
        (float(estimate), float(row["objective"]))
        for estimate, row in zip(
            predicted[first - probes :], rows[first - probes : first], strict=False
        )
        if estimate is not None and math.isfinite(estimate) and math.isfinite(row["objective"])
    ]
    if len(pairs) < MIN_PROBES:
        return None
    estimates, actual = np.array(pairs).T
    if np.ptp(estimates) <= 0 or np.ptp(actual) <= 0:
        return None
    return spearman(estimates, actual)


def _best(rows: Sequence[Mapping[str, Any]]) -> float:
    values = [r["objective"] for r in rows if r["feasible"] and math.isfinite(r["objective"])]
    return max(values, default=-math.inf)


def warm_stop_reason(
    rows: Sequence[Mapping[str, Any]], predicted: Sequence[float | None], probes: int
) -> str | None:
    """Why a warm search stops after its last batch (see the module docstring), or None when it
    goes on. `rows`: its trial rows so far (each with `batch`, `objective`, `feasible`)."""
    if not rows or len({r["batch"] for r in rows}) < MIN_BATCHES:
        return None
    trust = probe_trust(rows, predicted, probes)
    if trust is None or not trust >= TRUST:
        return None
    last = rows[-1]["batch"]
    before = _best([r for r in rows if r["batch"] != last])
    now = _best(rows)
    if not math.isfinite(before) or now - before > STALL_TOLERANCE * max(abs(before), 1e-9):
        return None
    return (
        f"it started warm where the owner's strategy model knows the landscape (on {probes} "
        f"random configurations its estimates ranked the objectives at {trust:.2f}, at least "
        f"{TRUST}) and its last batch improved the best objective by no more than "
        f"{STALL_TOLERANCE:.1%}"
    )
