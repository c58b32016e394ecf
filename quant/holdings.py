"""A portfolio of a stated number of holdings ("a low-risk portfolio of 5 stocks"), chosen from a
universe by backward elimination: the method's portfolio of every name is built; while more
names than asked hold a weight, the names it gives no weight and the smallest-weight half of the
excess (at least one name) are dropped and the portfolio is built again on the rest. Every
build is the method's own on the names kept, so the weights are that method's portfolio of the
names chosen; the choice is a rule, not the best of every subset (which no long-only method
here can search in polynomial time)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from quant.errors import ConstraintError

__all__ = ["HELD_WEIGHT", "HoldingsChoice", "held_count", "with_holdings"]

HELD_WEIGHT = 1e-6
"""The smallest weight (a fraction of the portfolio) that counts as a holding."""


@dataclass(frozen=True)
class HoldingsChoice:
    """The outcome of `with_holdings`: the weights on the names kept (in their universe order),
    and how many builds chose them."""

    weights: pd.Series
    builds: int


def held_count(weights: pd.Series) -> int:
    """How many names hold a weight above `HELD_WEIGHT`."""
    return int((weights > HELD_WEIGHT).sum())


def with_holdings(
    build: Callable[[list[str]], pd.Series], names: Sequence[str], count: int
) -> HoldingsChoice:
    """The weights `build` (the method: names -> weights on them) gives on `count` of `names`
    chosen by backward elimination (see the module docstring), or on fewer when the method
    itself puts weight on fewer. Names of equal weight are dropped in reverse universe order.
    `ConstraintError` when `count` is below 2 or above the number of names."""
    universe = list(dict.fromkeys(names))
    if not 2 <= count <= len(universe):
        raise ConstraintError(
            f"holdings: {count} asked of a universe of {len(universe)}; ask for 2 to "
            f"{len(universe)}"
        )
    kept = universe
    weights = build(kept)
    builds = 1
    while True:
        held = [name for name in kept if weights[name] > HELD_WEIGHT]
        if len(held) <= count:
            break
        dropped = math.ceil((len(held) - count) / 2)
        smallest = sorted(held, key=lambda name: (weights[name], -universe.index(name)))
        gone = set(smallest[:dropped])
        kept = [name for name in held if name not in gone]
        weights = build(kept)
        builds += 1
    if len(held) == 1:  # the method holds one name: all of the portfolio in it
        return HoldingsChoice(pd.Series(1.0, index=held, dtype=float), builds)
    if len(kept) > len(held):  # names the method gives no weight: its portfolio of the rest
        kept = held
        weights = build(kept)
        builds += 1
    return HoldingsChoice(weights.reindex(kept), builds)
