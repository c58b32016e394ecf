"""`stress_test`'s `sector_move`: a sector's move through each asset's beta to the sector's
equal-weight average of its stocks in the data, checked against numpy (betas as the slope of
each asset's daily returns on that average over the window); a word that names no sector is
refused naming `sector_move.sector`, and a sector move asked alone stresses nothing else."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.classification import matching
from quant.data import load_sp500_prices
from tools import ToolContext, build_tools

RETURNS = load_sp500_prices().pct_change()
HELD = ("AAPL", "MSFT", "KO", "PEP", "JNJ", "XOM", "JPM", "PG")
SECTORS = ("tech", "technology", "banks", "energy", "health care", "financials")


@pytest.fixture(scope="module")
def tools() -> dict[str, Any]:
    return {t.name: t for t in build_tools(ToolContext())}


def _expected(weights: dict[str, float], sector: str, move: float, start: str) -> float:
    """Σ w_i β_i move, β_i the slope of asset i's daily returns on the sector's average."""
    members = [c.ticker for c in matching(sector) if c.ticker in RETURNS.columns]
    window = RETURNS.loc[start:"2022-12-28"]
    average = window[members].mean(axis=1).to_numpy()
    total = 0.0
    for name, weight in weights.items():
        held = window[name].to_numpy()
        beta = np.cov(held, average, ddof=1)[0, 1] / np.var(average, ddof=1)
        total += weight * beta * move
    return total


@settings(max_examples=8, deadline=None)
@given(
    held=st.lists(st.sampled_from(HELD), min_size=1, max_size=4, unique=True),
    sector=st.sampled_from(SECTORS),
    move=st.integers(min_value=-60, max_value=60).filter(lambda m: m != 0),
    year=st.integers(min_value=2006, max_value=2020),
)
def test_a_sector_move_goes_through_each_asset_s_beta_to_the_sector(
    tools: dict[str, Any], held: list[str], sector: str, move: int, year: int
) -> None:
    weights = {t: 1 / len(held) for t in held}
    out = tools["stress_test"].invoke(
        {
            "weights": weights,
            "sector_move": {"sector": sector, "move": move / 100},
            "start": f"{year}-01-01",
            "end": "2022-12-28",
        }
    )
    assert isinstance(out, dict), out
    assert set(out) >= {"sector_move"} and not {"market_move", "episodes", "scenarios"} & set(out)
    shocked = out["sector_move"]
    assert shocked["members"] == [c.ticker for c in matching(sector) if c.ticker in RETURNS.columns]
    expected = _expected(weights, sector, move / 100, f"{year}-01-01")
    assert abs(shocked["portfolio_return"] - expected) <= 6e-4 * abs(expected) + 1e-9


def test_a_word_that_names_no_sector_is_refused_by_name(tools: dict[str, Any]) -> None:
    refused = tools["stress_test"].invoke(
        {"universe": ["AAPL", "KO"], "sector_move": {"sector": "widgets", "move": -0.3}}
    )
    assert isinstance(refused, str) and "sector_move.sector" in refused and "widgets" in refused
    beyond = tools["stress_test"].invoke(
        {"universe": ["AAPL"], "sector_move": {"sector": "tech", "move": -1.5}}
    )
    assert isinstance(beyond, str) and "sector_move.move" in beyond
