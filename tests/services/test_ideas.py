"""services.ideas: the basket's numbers (weights, direction, lookback), the horizon from a date,
and the optimization request an accepted idea stands for."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graphs.request import DEFAULT_SPACE, OptimizationRequest
from quant.data import sp500_prices
from services.errors import InputError
from services.ideas import (
    IdeaDraft,
    basket_metrics,
    create_idea,
    horizon_from_date,
    optimization_request,
    update_idea,
)
from store.sqlite import SQLiteStore


def test_weights_are_normalised_and_a_short_basket_is_negated() -> None:
    long = basket_metrics(["KO", "PG"], {"KO": 3, "PG": 1}, "long", lookback_days=100)
    short = basket_metrics(["KO", "PG"], {"KO": 0.75, "PG": 0.25}, "short", lookback_days=100)
    assert long["definition"]["weights"] == {"KO": 0.75, "PG": 0.25}
    assert short["definition"]["weights"] == {"KO": -0.75, "PG": -0.25}
    assert short["expected_return"] == pytest.approx(-long["expected_return"])
    assert short["volatility"] == pytest.approx(long["volatility"])
    assert long["definition"]["lookback_days"] == 100
    assert long["definition"]["data_end"] == sp500_prices().index[-1].date().isoformat()
    for weights, lookback, field in (
        ({"KO": -1, "PG": 1}, 100, "weights"),
        ({"KO": 1}, 100, "weights"),
        (None, 5, "lookback_days"),
    ):
        with pytest.raises(InputError) as refused:
            basket_metrics(["KO", "PG"], weights, "long", lookback_days=lookback)
        assert refused.value.field == field


def test_horizon_from_a_date_counts_nyse_sessions() -> None:
    # 2026-11-23 is a Monday; Thanksgiving (26th) is closed: 24, 25, 27, 30 Nov
    assert horizon_from_date(date(2026, 11, 30), date(2026, 11, 23)) == 4
    with pytest.raises(InputError, match="after today"):
        horizon_from_date(date(2026, 11, 23), date(2026, 11, 23))


def test_optimization_request_of_an_idea(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    draft = IdeaDraft(title="t", thesis="x", tickers=["AAPL", "KO"], horizon_days=40)
    idea = create_idea(store, "alice", draft, by="api")
    short = OptimizationRequest.model_validate(optimization_request(idea, DEFAULT_SPACE))
    assert short.universe == ["AAPL", "KO"] and short.horizon == 63
    assert short.search_space["lookback"] == {"low": 21, "high": 42, "step": 21}
    longer = update_idea(store, "alice", idea.id, {"horizon_days": 504})
    fields = optimization_request(longer, DEFAULT_SPACE)
    assert fields["horizon"] == 504 and fields["search_space"] == dict(DEFAULT_SPACE)
    OptimizationRequest.model_validate(fields)
    shorted = update_idea(store, "alice", idea.id, {"direction": "short"})
    assert shorted.metrics["definition"]["weights"] == {"AAPL": -0.5, "KO": -0.5}
    with pytest.raises(InputError) as refused:
        optimization_request(shorted, DEFAULT_SPACE)
    assert refused.value.field == "direction"
