"""The weight limits a portfolio request states, as the optimizers take them: per-asset bounds
(a cap and a floor on every weight, tighter limits on named assets) and group limits on the
total weight of a sector or industry (`quant.optimizers.grouped.GroupLimit`).

A sector term names the classified tickers whose GICS sector or sub-industry it names
(`quant.classification.matching`, with the configured classification file); "tech" is read as
information technology. A term that names none of the portfolio's assets is said in the
portfolio's `limits` (a cap on it holds trivially; a floor on it cannot be met and is refused).
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


@dataclass(frozen=True)
class WeightLimits:
    """The optimizers' `bounds` (per-asset Series) and `groups`, and what the answer says about
    them (`described`: each limit as applied, in words)."""

    bounds: tuple[pd.Series, pd.Series]
    groups: list[GroupLimit] = field(default_factory=list)
    described: list[str] = field(default_factory=list)


def weight_limits(request: LimitRequest, names: Sequence[str]) -> WeightLimits:
    """The limits of `request` on a portfolio of `names` (see the module docstring);
    `ValueError` naming a limit that cannot be applied (an asset outside the portfolio, a
    floor on a sector the portfolio does not hold)."""
    lower = pd.Series(request.min_weight, index=list(names), dtype=float)
    upper = pd.Series(request.max_weight, index=list(names), dtype=float)
    described = []
    if request.max_weight < 1.0:
        described.append(f"at most {request.max_weight:.1%} in any asset")
    if request.min_weight > 0.0:
        described.append(f"at least {request.min_weight:.1%} in every asset")
    for asset, limit in request.asset_limits.items():
        ticker = asset.strip().upper()
        if ticker not in upper.index:
            raise ValueError(f"asset_limits: {ticker} is not in the portfolio ({', '.join(names)})")
        lower[ticker] = max(lower[ticker], limit.min)
        upper[ticker] = min(upper[ticker], limit.max)
        described.append(f"{ticker} within {lower[ticker]:.1%} to {upper[ticker]:.1%}")
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
            described.append(f"{term}: no asset of the portfolio is in it")
            continue
        groups.append(GroupLimit(term, members, limit.min, limit.max))
        described.append(
            f"{term} ({', '.join(members)}) within {limit.min:.1%} to {limit.max:.1%} in all"
        )
    return WeightLimits((lower, upper), groups, described)
