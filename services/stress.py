"""Stress tests and loss probabilities of a portfolio: a market move through each asset's beta,
historical episodes replayed on its weights (`quant.episodes.EPISODES`), and its losses on the
scenario engine's paths (`quant.scenarios`: the bear case and the other regimes).

Conventions: returns are daily simple returns; weights are fractions of capital by asset, used
as given (what they leave uninvested earns nothing); returns over a horizon are total returns
(a fraction, negative for a loss); losses in currency are -return x capital; drawdowns are
positive fractions. Simulated paths hold the weights rebalanced daily, as
`services.monte_carlo` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quant.episodes import Episode
from quant.regime_names import RegimeName
from quant.scenarios import generate_scenarios, max_drawdowns
from quant.statistics import beta
from quant.stress import EpisodeReplay, beta_shock, replay_episode
from services.monte_carlo import ScenarioPaths, horizon_risk

__all__ = [
    "EpisodeOutcome",
    "MarketMove",
    "ScenarioLoss",
    "episode_outcome",
    "market_move",
    "scenario_losses",
]


@dataclass(frozen=True)
class MarketMove:
    """A market move of `move` through beta: the portfolio's return and each asset's beta and
    return, the betas estimated on the window's daily returns against the index."""

    move: float
    portfolio_return: float
    betas: pd.Series
    asset_returns: pd.Series


def market_move(
    returns: pd.DataFrame, market: pd.Series, weights: pd.Series, move: float
) -> MarketMove:
    """The portfolio's return when the market moves by `move` (-0.2: a 20% fall) and each asset
    by its beta x `move` (betas of `returns` against `market`, `quant.statistics.beta`)."""
    betas = beta(returns[list(weights.index)], market)
    total, moves = beta_shock(betas, weights, move)
    return MarketMove(float(move), total, betas, moves)


@dataclass(frozen=True)
class EpisodeOutcome:
    """An episode replayed on the weights (`replay`; None with `missing` saying why when the
    data does not cover it) and the index's total return over the same closes (None without
    an index)."""

    episode: Episode
    replay: EpisodeReplay | None
    index_return: float | None
    missing: str | None = None


def episode_outcome(
    episode: Episode,
    returns: pd.DataFrame,
    market: pd.Series | None,
    weights: pd.Series,
    sessions: pd.DatetimeIndex,
) -> EpisodeOutcome:
    """Replay `weights` over `episode` (`quant.stress.replay_episode`) on `returns`, the assets'
    daily returns from the first session after the episode's first date to its last; `sessions`
    are every date of the market data, to tell an episode the data does not cover (assets
    listed later, data starting later) from one it does."""
    first, last = pd.Timestamp(episode.start), pd.Timestamp(episode.end)
    inside = sessions[(sessions > first) & (sessions <= last)]
    if not (sessions <= first).any() or len(inside) == 0 or sessions[-1] < last:
        return EpisodeOutcome(episode, None, None, "the market data does not cover it")
    if len(returns) != len(inside) or pd.Timestamp(returns.index[0]) != inside[0]:
        return EpisodeOutcome(
            episode, None, None, "some of the assets have no prices over all of it"
        )
    replay = replay_episode(returns, weights)
    index_return = None
    if market is not None:
        moves = market.reindex(inside)
        if moves.notna().all():
            index_return = float(np.prod(1.0 + moves.to_numpy(dtype=float)) - 1.0)
    return EpisodeOutcome(episode, replay, index_return)


@dataclass(frozen=True)
class AssetScenario:
    """One asset held alone on a scenario's paths: the median and 5th-percentile total return
    over the horizon and the probability of any loss (as `ScenarioLoss` defines them)."""

    median_return: float
    p05_return: float
    prob_loss: float


PER_ASSET_MOST = 20
"""The most assets a scenario's loss is also given for one by one (`ScenarioLoss.per_asset`)."""


@dataclass(frozen=True)
class ScenarioLoss:
    """The portfolio over `horizon` days in one scenario, across its paths: the median, mean and
    5th-percentile total return, the probabilities of any loss, of a loss beyond `threshold`
    (P[R < -threshold]) and of a drawdown beyond it at any time (P[max drawdown > threshold]),
    the mean loss beyond it (None when no path breaches it), the median maximum drawdown, the
    number of historical days the scenario's regime holds, and the S&P 500 index's median total
    return over the same paths (`index_median_return`; None without the index): what the case
    means for the market ("bear": the index's worst third of quarters)."""

    scenario: str
    regime_days: int
    n_paths: int
    horizon: int
    threshold: float
    median_return: float
    mean_return: float
    p05_return: float
    prob_loss: float
    prob_loss_beyond: float
    prob_drawdown_beyond: float
    expected_loss_given_breach: float | None
    median_drawdown: float
    index_median_return: float | None = None
    per_asset: dict[str, AssetScenario] = field(default_factory=dict)


def scenario_losses(
    history: pd.DataFrame,
    market: pd.Series | None,
    weights: pd.Series,
    *,
    scenarios: Sequence[RegimeName],
    threshold: float,
    n_paths: int,
    horizon: int,
    seed: int,
    block_size: int = 20,
) -> list[ScenarioLoss]:
    """The `ScenarioLoss` of each scenario for `weights` (by asset of `history`), on paths the
    scenario engine draws by block bootstrap from `history` (regimes of `market`, the index,
    when given) with `seed`; of 2 to `PER_ASSET_MOST` assets, each one held alone on the same
    paths too (`per_asset`)."""
    assets = [str(a) for a in weights.index]
    scenario_set = generate_scenarios(
        history[assets],
        names=list(dict.fromkeys(scenarios)),
        n_paths=n_paths,
        horizon=horizon,
        seed=seed,
        block_size=block_size,
        market=market,
    )
    out = []
    for name in scenario_set.names:
        per_asset = {}
        if 1 < len(assets) <= PER_ASSET_MOST:
            for n, asset in enumerate(assets):
                alone = np.zeros(len(assets))
                alone[n] = 1.0
                held = ScenarioPaths(name, "block_bootstrap", scenario_set.regime_days[name],
                                     scenario_set.risky(name, alone))  # fmt: skip
                its = horizon_risk(held, level=0.95, loss_threshold=threshold)
                per_asset[asset] = AssetScenario(its.median_horizon_return, -its.var, its.prob_loss)
        daily = scenario_set.risky(name, weights.astype(float))
        paths = ScenarioPaths(name, "block_bootstrap", scenario_set.regime_days[name], daily)
        risk = horizon_risk(paths, level=0.95, loss_threshold=threshold)
        drawdowns = max_drawdowns(daily)
        followed = None if scenario_set.market is None else scenario_set.market.get(name)
        out.append(
            ScenarioLoss(
                scenario=name,
                regime_days=paths.regime_days,
                n_paths=daily.shape[0],
                horizon=daily.shape[1],
                threshold=threshold,
                median_return=risk.median_horizon_return,
                mean_return=risk.mean_horizon_return,
                p05_return=-risk.var,
                prob_loss=risk.prob_loss,
                prob_loss_beyond=risk.prob_loss_beyond_threshold,
                prob_drawdown_beyond=float((drawdowns > threshold).mean()),
                expected_loss_given_breach=risk.expected_loss_given_breach,
                median_drawdown=float(np.median(drawdowns)),
                index_median_return=None
                if followed is None
                else float(np.median(np.prod(1.0 + followed, axis=1) - 1.0)),
                per_asset=per_asset,
            )
        )
    return out
