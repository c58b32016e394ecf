"""The weight limits a portfolio request states, as the optimizers take them: per-asset bounds
(a cap and a floor on every weight, tighter limits on named assets) and group limits on the
total weight of a sector or industry (`quant.optimizers.grouped.GroupLimit`).

A sector term names the classified tickers whose GICS sector or sub-industry it names
(`quant.classification.matching`, with the configured classification file); "tech" is read as
information technology. A term that names none of the portfolio's assets is said in the
portfolio's `limits` (a cap on it holds trivially; a floor on it cannot be met and is refused).

What a portfolio's answer says about its limits is checked on the weights the optimizer
returned (`WeightLimits.checked`): each limit with what the portfolio holds against it (the
largest weight against a cap on every weight, a group's total against its limit), and the
limits the weights break, if any (`LIMIT_TOLERANCE`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from quant.classification import matching
from quant.optimizers.grouped import GroupLimit
from settings import get_settings


class Bound(Protocol):
    """A lower and an upper limit, fractions of capital."""

    @property
    def min(self) -> float: ...

    @property
    def max(self) -> float: ...


class LimitRequest(Protocol):
    """What a request says about weights: a cap and a floor on every weight, limits on named
    assets and on sectors."""

    @property
    def max_weight(self) -> float: ...

    @property
    def min_weight(self) -> float: ...

    @property
    def asset_limits(self) -> Mapping[str, Bound]: ...

    @property
    def sector_limits(self) -> Mapping[str, Bound]: ...


LIMIT_TOLERANCE = 5e-4
"""How far a weight (or a group's total) may pass its limit and still keep it: the solvers'
precision, below half the last digit of the 0.1% the answers show."""


@dataclass(frozen=True)
class StatedLimit:
    """One limit as applied: `described` in words, on `members` each (`each`) or on their
    total, within [`low`, `high`]; no members: nothing to check (a group the portfolio holds no
    asset of)."""

    described: str
    members: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    each: bool = False

    def holding(self, weights: pd.Series) -> tuple[str, bool]:
        """What `weights` hold against the limit, in words ("largest KO 30.0%", "holds
        19.8%"; "" for a limit with no members), and whether they keep it."""
        if not self.members:
            return "", True
        values = weights.reindex(list(self.members)).fillna(0.0).astype(float)
        if self.each:
            low, high = float(values.min()), float(values.max())
            shown = (
                f"largest {values.idxmax()} {high:.1%}"
                if self.high < 1.0
                else f"smallest {values.idxmin()} {low:.1%}"
            )
        else:
            low = high = float(values.sum())
            shown = f"holds {high:.1%}"
        kept = low >= self.low - LIMIT_TOLERANCE and high <= self.high + LIMIT_TOLERANCE
        return shown, kept

    def held(self, weights: pd.Series) -> tuple[str, bool]:
        """The limit in words with what `weights` hold against it ("at most 30.0% in any
        asset (largest KO 30.0%)"), and whether they keep it."""
        shown, kept = self.holding(weights)
        return (f"{self.described} ({shown})" if shown else self.described), kept


@dataclass(frozen=True)
class WeightLimits:
    """The optimizers' `bounds` (per-asset Series) and `groups`, and the limits as applied
    (`stated`, each in words: `described`)."""

    bounds: tuple[pd.Series, pd.Series]
    groups: list[GroupLimit] = field(default_factory=list)
    stated: list[StatedLimit] = field(default_factory=list)

    @property
    def described(self) -> list[str]:
        """Each limit as applied, in words."""
        return [limit.described for limit in self.stated]

    def checked(self, weights: pd.Series) -> tuple[list[str], list[str]]:
        """The limits `weights` keep and those they break, each in words with what the weights
        hold against it."""
        kept: list[str] = []
        broken: list[str] = []
        for limit in self.stated:
            text, ok = limit.held(weights)
            (kept if ok else broken).append(text)
        return kept, broken


def weight_limits(request: LimitRequest, names: Sequence[str]) -> WeightLimits:
    """The limits of `request` on a portfolio of `names` (see the module docstring);
    `ValueError` naming a limit that cannot be applied (an asset outside the portfolio, a
    floor on a sector the portfolio does not hold)."""
    lower = pd.Series(request.min_weight, index=list(names), dtype=float)
    upper = pd.Series(request.max_weight, index=list(names), dtype=float)
    every = tuple(upper.index)
    stated = []
    if request.max_weight < 1.0:
        stated.append(
            StatedLimit(
                f"at most {request.max_weight:.1%} in any asset",
                every,
                high=request.max_weight,
                each=True,
            )
        )
    if request.min_weight > 0.0:
        stated.append(
            StatedLimit(
                f"at least {request.min_weight:.1%} in every asset",
                every,
                low=request.min_weight,
                each=True,
            )
        )
    for asset, limit in request.asset_limits.items():
        ticker = asset.strip().upper()
        if ticker not in upper.index:
            raise ValueError(f"asset_limits: {ticker} is not in the portfolio ({', '.join(names)})")
        lower[ticker] = max(lower[ticker], limit.min)
        upper[ticker] = min(upper[ticker], limit.max)
        stated.append(
            StatedLimit(
                f"{ticker} within {lower[ticker]:.1%} to {upper[ticker]:.1%}",
                (ticker,),
                float(lower[ticker]),
                float(upper[ticker]),
            )
        )
    groups = []
    path = get_settings().classification_file
    for term, limit in request.sector_limits.items():
        members = tuple(c.ticker for c in matching(term, path) if c.ticker in upper.index)
        if not members:
            if limit.min > 0.0:
                raise ValueError(
                    f"sector_limits: none of the portfolio's assets is in {term!r}, so it "
                    f"cannot hold at least {limit.min:.1%} there"
                )
            stated.append(StatedLimit(f"{term}: no asset of the portfolio is in it"))
            continue
        groups.append(GroupLimit(term, members, limit.min, limit.max))
        stated.append(
            StatedLimit(
                f"{term} ({', '.join(members)}) within {limit.min:.1%} to {limit.max:.1%} in all",
                members,
                limit.min,
                limit.max,
            )
        )
    return WeightLimits((lower, upper), groups, stated)
