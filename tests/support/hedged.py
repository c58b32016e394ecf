"""A deployment with a collar overlay whose hedge bought its options near the end of the
embedded market data (2022-12-01; they expire after the data ends, so they are still held at
its last close), for the API and CLI tests of hedges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from execution.brokers.base import AccountState
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from store import Deployment, Store
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.runs.hedge import run_hedge
from trading.runs.outcome import RunOutcome

COLLAR = StrategyConfig(
    overlay="collar", overlay_strike=0.95, overlay_call_strike=1.05, overlay_tenor_days=21
)
HEDGE_FIRE = datetime(2022, 12, 1, 21, 0, tzinfo=UTC)


def hedged_spec(config: StrategyConfig = COLLAR) -> dict[str, Any]:
    """The spec of a rule deployment on AAPL and KO hedged with options on AAPL."""
    return {
        "strategy": {"kind": "rule", "config": config.model_dump(mode="json"), "safe_rate": 0.0},
        "universe": ["AAPL", "KO"],
        "capital": 100_000.0,
        "schedule": {
            "every": "session",
            "on": "first",
            "at": "15:45",
            "cron": None,
            "calendar": "XNYS",
            "catch_up": "latest",
        },
        "limits": {"cash_buffer": 0.02},
        "hedge": {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()},
    }


def hedged_deployment(
    store: Store, owner: str, fire: datetime = HEDGE_FIRE
) -> tuple[Deployment, RunOutcome]:
    """An active hedged deployment of `owner` and the hedge run that bought its collar at
    `fire` (its orders filled at the next close; nothing moves the account after that)."""
    draft = store.create_deployment(owner, "hedged", "draft", hedged_spec())
    deployment = store.update_deployment(owner, draft.id, expected_version=1, status="active")
    closes = sp500_prices()
    outcome = run_hedge(
        store,
        deployment,
        fire,
        "hedge-run-1",
        account=StoredPaperOptionsAccount(store, deployment, closes[["AAPL"]]),
        stock=AccountState(cash=10_000.0, positions={"AAPL": 300.0, "KO": 500.0}),
        closes=closes[["AAPL", "KO"]].loc[: pd.Timestamp(fire.date())],
        sleep=lambda _: None,
    )
    assert outcome.status == "filled", outcome.reason
    return deployment, outcome


def put_overlay_winner(store: Store, owner: str = "alice") -> str:
    """Run a two-trial optimization on AAPL and KO whose winner holds a 21-day put overlay and
    return its job id (for tests of deploying such a winner)."""
    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest

    request = OptimizationRequest.model_validate(
        {
            "universe": ["AAPL", "KO"],
            "n_paths": 10,
            "horizon": 126,
            "search_space": {
                "target_vol": {"low": 0.05, "high": 0.2},
                "lookback": 42,
                "overlay": "put",
                "overlay_tenor_days": 21,
            },
            "budget": {"max_trials": 2, "batch_size": 2},
            "max_risk_rounds": 0,
        }
    )
    job_id, result = run_job_here(store, owner, request)
    assert result["best"]["config"]["overlay"] == "put"
    return job_id
