"""A scenario case says what it means for the market: the S&P 500 index's median return over the
same paths (`ScenarioLoss.index_median_return`), beside the stocks' own. Before, "how much would
KO lose in a bear market?" answered a median gain of 8.9% in the bear case, with nothing to say
the index fell 23% on the same paths (KO held up on the index's worst quarters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.data import load_sp500_prices, sp500_index_returns, to_returns
from services.stress import scenario_losses
from tests.support.chat_answers import answer_in_new_thread

SCENARIOS = ("bull", "bear", "high_vol", "low_vol", "base")


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**16), start=st.sampled_from(["2005", "2010", "2015", "2018"]))
def test_the_index_held_alone_returns_what_the_index_does_on_the_same_paths(
    seed: int, start: str
) -> None:
    """A portfolio holding only the index (its history the index's own returns) is the
    reference: its median over the paths is the index's median, scenario by scenario."""
    index = sp500_index_returns().loc[start:"2022"]
    history = index.to_frame("SP500")
    losses = scenario_losses(
        history, index, pd.Series({"SP500": 1.0}), scenarios=SCENARIOS, threshold=0.1,
        n_paths=200, horizon=126, seed=seed,
    )  # fmt: skip
    by_name = {loss.scenario: loss for loss in losses}
    for loss in losses:
        assert loss.index_median_return is not None
        assert np.isclose(loss.index_median_return, loss.median_return, rtol=0, atol=1e-12)
    bear, bull = by_name["bear"].index_median_return, by_name["bull"].index_median_return
    assert bear is not None and bull is not None and bear < 0 < bull


def test_without_the_index_the_case_says_nothing_of_it() -> None:
    history = to_returns(load_sp500_prices()[["KO", "PEP"]].loc["2015":"2022"])
    losses = scenario_losses(
        history, None, pd.Series({"KO": 0.5, "PEP": 0.5}), scenarios=["bear"], threshold=0.1,
        n_paths=100, horizon=63, seed=1,
    )  # fmt: skip
    assert losses[0].index_median_return is None


def test_the_bear_case_answer_sets_the_index_beside_the_stock() -> None:
    reply = answer_in_new_thread("how much would KO lose in a bear market?")
    assert "the S&P 500 index's median on the same paths -" in reply, reply
