"""`stress_test` and `loss_probability`: what a portfolio loses in a market move (through each
asset's beta), in the historical episodes (`quant.episodes.EPISODES`: 2008, 2020, 2022) replayed
on its weights and in the scenario engine's bear case; and the probability of losing more than
a threshold over a horizon in each scenario (`services.stress`). Losses are shown as fractions
and, given a capital, in currency; every answer names the window its betas and paths come from
and where the market data ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import Field

from quant.episodes import EPISODES
from services.stress import (
    PER_ASSET_MOST,
    EpisodeOutcome,
    MarketMove,
    ScenarioLoss,
    episode_outcome,
    market_move,
    scenario_losses,
)
from tools.context import ToolContext
from tools.market import ScenarioName
from tools.sector_moves import SECTOR_MOVE_DESCRIPTION, SectorMove, sector_shock
from tools.summaries import iso_date, sig
from tools.tool_factory import make_tool
from tools.windows import (
    SubjectArgs,
    subject_json,
    subject_weights,
    window_info,
    window_returns,
)

__all__ = ["LossProbabilityArgs", "StressArgs", "loss_probability", "stress_test", "stress_tools"]

EpisodeKey = Literal["gfc_2008", "covid_2020", "rates_2022"]

DEFAULT_MOVE = -0.2
"""The market move a stress test applies when it is asked for none in particular."""

CAPITAL_DESCRIPTION = (
    "Capital in currency (e.g. 1000000); the losses are then also given as amounts. Optional."
)
SEED_DESCRIPTION = "Random seed of the scenario paths (default: the run's seed)."


class StressArgs(SubjectArgs):
    """Arguments of `stress_test` (none of market_move, sector_move, episodes, scenarios: a 20%
    market fall, every episode and the bear case)."""

    market_move: float | None = Field(
        default=None,
        ge=-0.95,
        le=0.95,
        description="A market move as a fraction, -0.2 for a 20% fall; each asset moves by its "
        "beta to the S&P 500 index (estimated over the window) times it.",
    )
    sector_move: SectorMove | None = Field(default=None, description=SECTOR_MOVE_DESCRIPTION)
    episodes: list[EpisodeKey] | None = Field(
        default=None,
        max_length=3,
        description="Historical episodes to replay on the weights, each from the S&P 500's "
        "closing peak to its trough: gfc_2008 (the 2008 financial crisis, 2007-10-09 to "
        "2009-03-09), covid_2020 (the Covid crash, 2020-02-19 to 2020-03-23), rates_2022 (the "
        "2022 rate shock, 2022-01-03 to 2022-10-12).",
    )
    scenarios: list[ScenarioName] | None = Field(
        default=None,
        max_length=5,
        description="Scenarios of the scenario engine to lose in over `horizon`, e.g. ['bear'] "
        "for the bear case (paths drawn from the window's history).",
    )
    horizon: int = Field(
        default=252, ge=21, le=1260, description="Trading days of the scenario paths."
    )
    n_paths: int = Field(default=1000, ge=100, le=5000, description="Paths per scenario.")
    seed: int | None = Field(default=None, ge=0, description=SEED_DESCRIPTION)
    capital: float | None = Field(default=None, gt=0, le=1e13, description=CAPITAL_DESCRIPTION)


class LossProbabilityArgs(SubjectArgs):
    """Arguments of `loss_probability`."""

    threshold: float = Field(
        default=0.1,
        gt=0.0,
        lt=1.0,
        description="The loss, a positive fraction: 0.15 asks for P[losing more than 15%].",
    )
    horizon: int = Field(
        default=252,
        ge=21,
        le=1260,
        description="Trading days ahead: 252 a year, 126 six months, 63 three months.",
    )
    scenarios: list[ScenarioName] | None = Field(
        default=None,
        max_length=5,
        description="Scenarios (bull, bear, high_vol, low_vol, base); default all five.",
    )
    n_paths: int = Field(default=1000, ge=100, le=5000, description="Paths per scenario.")
    seed: int | None = Field(default=None, ge=0, description=SEED_DESCRIPTION)
    capital: float | None = Field(default=None, gt=0, le=1e13, description=CAPITAL_DESCRIPTION)


def _amount(value: float, capital: float | None) -> dict[str, float | None]:
    """`{"amount": the return as a currency amount of capital}` (a loss is negative), or {}
    without a capital."""
    return {} if capital is None else {"amount": sig(value * capital)}


def _shock_json(shock: MarketMove, capital: float | None) -> dict[str, Any]:
    """A move through betas (of the market or a sector): the move, the portfolio's return (and
    amount on a capital), and each asset's beta and return."""
    return {
        "move": shock.move,
        "portfolio_return": sig(shock.portfolio_return),
        **_amount(shock.portfolio_return, capital),
        "per_asset": {
            str(t): {"beta": sig(shock.betas[t]), "return": sig(shock.asset_returns[t])}
            for t in shock.asset_returns.index
        },
    }


def _episode_json(outcome: EpisodeOutcome, capital: float | None) -> dict[str, Any]:
    episode = outcome.episode
    out: dict[str, Any] = {
        "key": episode.key,
        "name": episode.name,
        "start": episode.start,
        "end": episode.end,
    }
    replay = outcome.replay
    if replay is None:
        return {**out, "not_replayed": outcome.missing}
    return {
        **out,
        "portfolio_return": sig(replay.total_return),
        **_amount(replay.total_return, capital),
        "max_drawdown": sig(replay.drawdown),
        "worst_day": {"date": iso_date(replay.worst_day_date), "return": sig(replay.worst_day)},
        "index_return": None if outcome.index_return is None else sig(outcome.index_return),
        "per_asset": {str(k): sig(v) for k, v in replay.asset_returns.items()},
    }


def _scenario_json(
    loss: ScenarioLoss, capital: float | None, *, beyond: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "regime_days": loss.regime_days,
        "median_return": sig(loss.median_return),
        "p05_return": sig(loss.p05_return),
        "prob_loss": sig(loss.prob_loss),
    }
    if loss.index_median_return is not None:
        out["index_median_return"] = sig(loss.index_median_return)
    if loss.per_asset:
        out["per_asset"] = {
            asset: {
                "median_return": sig(its.median_return),
                "p05_return": sig(its.p05_return),
                "prob_loss": sig(its.prob_loss),
            }
            for asset, its in loss.per_asset.items()
        }
    if beyond:
        given_breach = loss.expected_loss_given_breach
        out.update(
            prob_loss_beyond=sig(loss.prob_loss_beyond),
            prob_drawdown_beyond=sig(loss.prob_drawdown_beyond),
            expected_loss_given_breach=None if given_breach is None else sig(given_breach),
        )
    if capital is not None:
        out.update(
            median_amount=sig(loss.median_return * capital),
            p05_amount=sig(loss.p05_return * capital),
        )
    return out


def _history(
    context: ToolContext, args: SubjectArgs, weights: pd.Series
) -> tuple[pd.DataFrame, pd.Series | None, dict[str, Any]]:
    tickers = [str(t) for t in weights.index]
    returns = window_returns(context, tickers, args.start, args.end, args.last_sessions)
    info = window_info(context, returns)
    market = context.market(info["window"]["start"], info["window"]["end"])
    if market is not None:
        market = market.reindex(returns.index)
        market = None if market.isna().any() else market
    return returns, market, info


def _episodes(
    context: ToolContext, keys: Sequence[str], weights: pd.Series, capital: float | None
) -> list[dict[str, Any]]:
    tickers = [str(t) for t in weights.index]
    out = []
    for key in keys:
        episode = EPISODES[key]
        after = pd.Timestamp(episode.start) + pd.Timedelta(days=1)
        end = pd.Timestamp(episode.end)
        returns = context.data.returns(tickers, after, end)
        market = context.data.market(after, end)
        outcome = episode_outcome(episode, returns, market, weights, context.data.dates)
        out.append(_episode_json(outcome, capital))
    return out


def stress_test(context: ToolContext, args: StressArgs) -> dict[str, Any]:
    """A market move through beta, historical episodes and scenario losses of a portfolio."""
    weights, label = subject_weights(context, args)
    returns, market, info = _history(context, args, weights)
    asked = (args.market_move, args.sector_move, args.episodes, args.scenarios)
    everything = all(one is None for one in asked)
    move = DEFAULT_MOVE if everything else args.market_move
    episodes = list(EPISODES) if everything else list(dict.fromkeys(args.episodes or []))
    scenarios = ["bear"] if everything else list(dict.fromkeys(args.scenarios or []))
    if move is None and not scenarios and args.sector_move is None:  # episodes: their own prices
        info = {key: value for key, value in info.items() if key != "window"}
    out: dict[str, Any] = {
        "portfolio": subject_json(weights, label, args),
        "capital": args.capital,
        **info,
        **({"index": "S&P 500 index"} if market is not None else {}),
    }
    if move is not None:
        if market is None:
            out["market_move"] = {"move": move, "not_computed": "no market index in this data"}
        else:
            shock = market_move(returns, market, weights, move)
            out["market_move"] = _shock_json(shock, args.capital)
    if args.sector_move is not None:
        members, shock = sector_shock(context, args.sector_move, returns, weights)
        out["sector_move"] = {
            "sector": args.sector_move.sector,
            "members": members,
            **_shock_json(shock, args.capital),
        }
    if episodes:
        out["episodes"] = _episodes(context, episodes, weights, args.capital)
    if scenarios:
        losses = scenario_losses(
            returns,
            market,
            weights,
            scenarios=scenarios,  # type: ignore[arg-type]
            threshold=1.0,
            n_paths=args.n_paths,
            horizon=args.horizon,
            seed=context.seed if args.seed is None else args.seed,
        )
        out["scenarios"] = {
            "horizon": args.horizon,
            "n_paths": args.n_paths,
            **{loss.scenario: _scenario_json(loss, args.capital) for loss in losses},
        }
    out["units"] = (
        "returns over the move, episode or horizon as fractions (negative = loss); amounts in "
        "the capital's currency (negative = loss); betas on the window's daily returns; "
        "episodes buy the weights at the close of their start and hold them to their end; "
        "scenario median_return and p05_return: the median and 5th percentile of the return "
        "over the horizon across the paths; prob_loss: the share of paths ending below the start; "
        "index_median_return: the S&P 500 index's median return over the same paths; "
        f"per_asset (2 to {PER_ASSET_MOST} stocks): each stock held alone on the same paths"
    )
    return out


def loss_probability(context: ToolContext, args: LossProbabilityArgs) -> dict[str, Any]:
    """P[losing more than the threshold over the horizon] in each scenario, from the paths."""
    weights, label = subject_weights(context, args)
    returns, market, info = _history(context, args, weights)
    scenarios = list(
        dict.fromkeys(args.scenarios or ["bull", "bear", "high_vol", "low_vol", "base"])
    )
    losses = scenario_losses(
        returns,
        market,
        weights,
        scenarios=scenarios,  # type: ignore[arg-type]
        threshold=args.threshold,
        n_paths=args.n_paths,
        horizon=args.horizon,
        seed=context.seed if args.seed is None else args.seed,
    )
    return {
        "portfolio": subject_json(weights, label, args),
        "threshold": args.threshold,
        "horizon": args.horizon,
        "n_paths": args.n_paths,
        "capital": args.capital,
        **info,
        "scenarios": {
            loss.scenario: _scenario_json(loss, args.capital, beyond=True) for loss in losses
        },
        "units": "prob_loss_beyond: share of paths whose total return over the horizon is below "
        "-threshold; prob_drawdown_beyond: share whose drawdown exceeds the threshold at any "
        "time; prob_loss: share ending below the start; returns as fractions; amounts in the "
        "capital's currency (negative = loss); paths drawn by block bootstrap from the window's "
        "history, regimes defined by the S&P 500 index",
    }


def stress_tools(context: ToolContext) -> list[BaseTool]:
    """The stress tools bound to `context`."""
    return [
        make_tool(
            name="stress_test",
            description=(
                "Stress-test a portfolio (portfolio_id, weights, or a universe at equal weights): "
                "a market move of X% through each stock's beta to the S&P 500 ('what would a 20% "
                "market drop do to it?': market_move -0.2); a sector's move through each stock's "
                "beta to that sector ('what if tech falls 30%?': sector_move {'sector': 'tech', "
                "'move': -0.3}); historical episodes replayed on its weights (gfc_2008, "
                "covid_2020, rates_2022); the scenario engine's bear case (scenarios ['bear']). "
                "Losses as fractions and, given a capital, in currency. With none of "
                "market_move, sector_move, episodes or scenarios: a 20% market fall, every "
                "episode and the bear case."
            ),
            args_schema=StressArgs,
            run=lambda args: stress_test(context, args),
        ),
        make_tool(
            name="loss_probability",
            description=(
                "Probability that a portfolio (portfolio_id, weights, or a universe at equal "
                "weights) loses more than a threshold over a horizon, in each scenario of the "
                "scenario engine (bull, bear, high_vol, low_vol, base), from its simulated paths: "
                "'probability of losing more than 15% in a bear market over a year' is threshold "
                "0.15, scenarios ['bear'], horizon 252. Also the probability of a drawdown beyond "
                "the threshold at any time, the median and 5th-percentile return."
            ),
            args_schema=LossProbabilityArgs,
            run=lambda args: loss_probability(context, args),
        ),
    ]
