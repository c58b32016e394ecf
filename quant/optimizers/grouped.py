"""Mean-variance portfolios under group limits: the weights of a group of assets (a sector, say)
summing to at least `min` and at most `max`, beside each asset's bounds.

The parametric active-set method of `quant.optimizers.mean_variance` handles bounds on single
weights only; a group limit is a linear inequality over several, so these problems are solved
as convex programs with cvxpy and its CLARABEL interior-point solver, to its default tolerances
(about 1e-8 on the weights), each checked after solving: the weights sum to 1 and meet every
bound and group limit to 1e-7, else `SolverError`. The problems, with Σ the annualised
covariance, μ the annualised expected returns and G the groups' membership matrix:

- `min_volatility`: minimise w'Σw subject to 1'w = 1, lo <= w <= hi, gmin <= G w <= gmax;
- `max_sharpe`: the same feasible set, maximising (μ'w - rf) / sqrt(w'Σw), solved in the usual
  homogenised form (y = κ w: minimise y'Σy subject to (μ - rf)'y = 1, 1'y = κ >= 0 and the
  limits times κ); `ConstraintError` when no feasible portfolio earns more than rf;
- `efficient_return`: minimise w'Σw subject to μ'w >= target and the limits;
- `efficient_risk`: maximise μ'w subject to w'Σw <= target² and the limits.

Limits no portfolio meets raise `ConstraintError` naming them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, InfeasibleTargetError, SolverError
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.validation import as_covariance, check_vector

TOLERANCE = 1e-7
"""How far from a limit a solved weight may lie (CLARABEL's default accuracy is about 1e-8)."""


@dataclass(frozen=True)
class GroupLimit:
    """The weights of `members` (asset names) summing to within [`min`, `max`]; `name` says
    which group it is in messages (a sector's name, say)."""

    name: str
    members: tuple[str, ...]
    min: float = 0.0
    max: float = 1.0

    def __post_init__(self) -> None:
        if not self.members:
            raise ConstraintError(f"group {self.name!r} has no assets")
        if not (0.0 <= self.min <= self.max <= 1.0):
            raise ConstraintError(
                f"group {self.name!r}: limits must satisfy 0 <= min <= max <= 1, got "
                f"{self.min:g} and {self.max:g}"
            )


def min_volatility(
    cov: pd.DataFrame, groups: Sequence[GroupLimit], *, bounds: Bounds = (0.0, 1.0)
) -> pd.Series:
    """The minimum-volatility fully invested portfolio within `bounds` and the group limits."""
    problem = _Problem.build(None, cov, groups, bounds)
    return problem.solve("min_volatility", 0.0)


def max_sharpe(
    mu: pd.Series,
    cov: pd.DataFrame,
    groups: Sequence[GroupLimit],
    *,
    risk_free_rate: float = 0.0,
    bounds: Bounds = (0.0, 1.0),
) -> pd.Series:
    """The largest-Sharpe portfolio within `bounds` and the group limits (`risk_free_rate`
    annual, like `mu`)."""
    return _Problem.build(mu, cov, groups, bounds).solve("max_sharpe", risk_free_rate)


def efficient_return(
    mu: pd.Series,
    cov: pd.DataFrame,
    groups: Sequence[GroupLimit],
    target_return: float,
    *,
    bounds: Bounds = (0.0, 1.0),
) -> pd.Series:
    """The minimum-volatility portfolio within the limits whose expected return is at least
    `target_return` (`InfeasibleTargetError` when none reaches it)."""
    return _Problem.build(mu, cov, groups, bounds).solve("efficient_return", target_return)


def efficient_risk(
    mu: pd.Series,
    cov: pd.DataFrame,
    groups: Sequence[GroupLimit],
    target_volatility: float,
    *,
    bounds: Bounds = (0.0, 1.0),
) -> pd.Series:
    """The largest-return portfolio within the limits whose volatility is at most
    `target_volatility` (`InfeasibleTargetError` when none is that calm)."""
    return _Problem.build(mu, cov, groups, bounds).solve("efficient_risk", target_volatility)


@dataclass(frozen=True)
class _Problem:
    names: list[str]
    mu: np.ndarray | None
    root: np.ndarray  # R with R'R = Σ
    lo: np.ndarray
    hi: np.ndarray
    membership: np.ndarray  # groups x assets, 0/1
    gmin: np.ndarray
    gmax: np.ndarray
    groups: tuple[GroupLimit, ...]

    @classmethod
    def build(
        cls,
        mu: pd.Series | None,
        cov: pd.DataFrame,
        groups: Sequence[GroupLimit],
        bounds: Bounds,
    ) -> _Problem:
        frame = as_covariance(cov)
        names = [str(c) for c in frame.columns]
        lo, hi = weight_bounds(bounds, names)
        membership = np.zeros((len(groups), len(names)))
        for row, group in enumerate(groups):
            unknown = [m for m in group.members if m not in names]
            if unknown:
                raise ConstraintError(
                    f"group {group.name!r} names assets not in the covariance: {unknown}"
                )
            membership[row, [names.index(m) for m in group.members]] = 1.0
        values = np.linalg.eigh(frame.to_numpy())
        root = (values.eigenvectors * np.sqrt(np.clip(values.eigenvalues, 0.0, None))).T
        vector = None if mu is None else check_vector(mu, names, "mu")
        return cls(
            names,
            vector,
            root,
            lo,
            hi,
            membership,
            np.array([g.min for g in groups]),
            np.array([g.max for g in groups]),
            tuple(groups),
        )

    def solve(self, kind: str, value: float) -> pd.Series:
        cp = cvxpy()
        n = len(self.names)
        w = cp.Variable(n)
        if kind == "max_sharpe":
            return self._max_sharpe(value)
        limits = self._limits(w)
        risk = cp.sum_squares(self.root @ w)
        if kind == "min_volatility":
            objective, extra = cp.Minimize(risk), []
        elif kind == "efficient_return":
            assert self.mu is not None
            objective, extra = cp.Minimize(risk), [self.mu @ w >= value]
        else:  # efficient_risk
            assert self.mu is not None
            objective, extra = cp.Maximize(self.mu @ w), [risk <= value**2]
        problem = cp.Problem(objective, limits + extra)
        problem.solve(solver=cp.CLARABEL)
        if problem.status in ("infeasible", "infeasible_inaccurate"):
            self._check_feasible()
            low, high = self._achievable(kind)
            what = "expected return" if kind == "efficient_return" else "volatility"
            raise InfeasibleTargetError(
                f"no portfolio within the limits has the target {what} {value:g}: within them "
                f"the {what} ranges from {low:.4g} to {high:.4g}",
                achievable=(low, high),
            )
        return self._checked(w.value, problem.status)

    def _achievable(self, kind: str) -> tuple[float, float]:
        """The range of expected return (efficient_return) or volatility (efficient_risk) the
        limits allow: from the minimum-volatility portfolio to the largest-return one."""
        cp = cvxpy()
        assert self.mu is not None
        w = cp.Variable(len(self.names))
        cp.Problem(cp.Minimize(cp.sum_squares(self.root @ w)), self._limits(w)).solve(
            solver=cp.CLARABEL
        )
        calm = np.asarray(w.value, dtype=float)
        cp.Problem(cp.Maximize(self.mu @ w), self._limits(w)).solve(solver=cp.CLARABEL)
        rich = np.asarray(w.value, dtype=float)
        if kind == "efficient_return":
            return float(self.mu @ calm), float(self.mu @ rich)
        return float(np.linalg.norm(self.root @ calm)), float(np.linalg.norm(self.root @ rich))

    def _limits(self, w: Any, scale: Any = 1.0) -> list[Any]:
        """The limits on the cvxpy weights `w` (on `scale` times a portfolio's weights: the
        homogenised form of max_sharpe)."""
        return [
            cvxpy().sum(w) == scale,
            w >= self.lo * scale,
            w <= self.hi * scale,
            self.membership @ w >= self.gmin * scale,
            self.membership @ w <= self.gmax * scale,
        ]

    def _max_sharpe(self, risk_free_rate: float) -> pd.Series:
        cp = cvxpy()

        assert self.mu is not None
        n = len(self.names)
        y, kappa = cp.Variable(n), cp.Variable(nonneg=True)
        problem = cp.Problem(
            cp.Minimize(cp.sum_squares(self.root @ y)),
            [(self.mu - risk_free_rate) @ y == 1, *self._limits(y, kappa)],
        )
        problem.solve(solver=cp.CLARABEL)
        if problem.status in ("infeasible", "infeasible_inaccurate") or kappa.value is None:
            self._check_feasible()
            raise ConstraintError(
                f"no portfolio within the limits earns more than the risk-free rate "
                f"{risk_free_rate:g}: the Sharpe ratio has no positive maximum"
            )
        if not kappa.value > 0:
            raise SolverError("max_sharpe: the homogenised problem returned no portfolio")
        return self._checked(y.value / kappa.value, problem.status)

    def _check_feasible(self) -> None:
        """`ConstraintError` naming the limits when no fully invested portfolio meets them."""
        cp = cvxpy()
        w = cp.Variable(len(self.names))
        problem = cp.Problem(cp.Minimize(0), self._limits(w))
        problem.solve(solver=cp.CLARABEL)
        if problem.status in ("infeasible", "infeasible_inaccurate"):
            described = "; ".join(
                f"{g.name} within [{g.min:.0%}, {g.max:.0%}]" for g in self.groups
            )
            raise ConstraintError(
                f"no fully invested portfolio meets the group limits ({described}) with each "
                "weight within its bounds"
            )

    def _checked(self, values: np.ndarray | None, status: str) -> pd.Series:
        if values is None or status not in ("optimal", "optimal_inaccurate"):
            raise SolverError(f"the group-limited problem was not solved (status {status})")
        w = np.asarray(values, dtype=float)
        sums = self.membership @ w
        worst = max(
            abs(float(w.sum()) - 1.0),
            float(np.max(self.lo - w, initial=0.0)),
            float(np.max(w - self.hi, initial=0.0)),
            float(np.max(self.gmin - sums, initial=0.0)),
            float(np.max(sums - self.gmax, initial=0.0)),
        )
        if worst > TOLERANCE:
            raise SolverError(f"the solved weights miss a limit by {worst:.2g}")
        w = np.clip(w, self.lo, self.hi)
        return pd.Series(w / w.sum(), index=self.names, name="weight")


def cvxpy() -> Any:
    """The cvxpy module, imported when a group-limited problem is first solved (it takes a
    second to import)."""
    import cvxpy as cp

    return cp


def sector_groups(
    sectors: Mapping[str, str], limits: Mapping[str, tuple[float, float]]
) -> list[GroupLimit]:
    """Group limits of sectors: `sectors` maps each asset to its sector, `limits` a sector
    name to (min, max); a sector no asset is in raises `ConstraintError` naming it."""
    groups = []
    for sector, (low, high) in limits.items():
        members = tuple(asset for asset, name in sectors.items() if name == sector)
        if not members:
            raise ConstraintError(f"no asset of the portfolio is in {sector!r}")
        groups.append(GroupLimit(sector, members, low, high))
    return groups
