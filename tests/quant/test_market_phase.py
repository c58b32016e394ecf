"""Bull and bear markets by the 20% rule (`quant.market_phase`), against a plain reference of
the rule (`tests.support.bear_market_rule`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quant.errors import DataError
from quant.market_phase import MarketPhase, market_phase
from tests.support.bear_market_rule import phases_by_the_rule

daily = st.lists(
    st.floats(min_value=-0.12, max_value=0.12, allow_nan=False), min_size=1, max_size=300
)


@given(daily, st.sampled_from([0.1, 0.2, 0.3]))
def test_the_phase_and_where_it_began_follow_the_rule(
    values: list[float], threshold: float
) -> None:
    returns = np.array(values)
    found = market_phase(returns, threshold)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + returns)])
    by_the_rule = [(phase, close - 1) for phase, close in phases_by_the_rule(wealth, threshold)]
    phases = [(None, None), (None, None), *by_the_rule]
    assert [(found.before, found.before_began), (found.phase, found.began)] == phases[-2:]
    if found.began is not None:
        assert found.move == pytest.approx(wealth[-1] / wealth[found.began + 1] - 1.0)
    else:
        assert found.move is None


def test_a_fall_of_a_fifth_from_a_peak_is_a_bear_market_until_a_fifth_above_its_low() -> None:
    # up 10%, down to 0.8 of the peak (a bear market from the peak), a low, then up again
    closes = np.array([1.0, 1.1, 1.0, 0.88, 0.85, 0.95, 1.0, 1.03])
    returns = pd.Series(closes[1:] / closes[:-1] - 1.0)
    at_low = market_phase(returns.iloc[:4])
    assert (at_low.phase, at_low.began) == ("bear", 0)  # the peak: the second close
    assert at_low.move == pytest.approx(0.85 / 1.1 - 1.0)
    risen = market_phase(returns)
    assert (risen.phase, risen.began) == ("bull", 3)  # 1.03 is 21% above the low of 0.85
    quiet = market_phase(pd.Series([0.01, -0.02, 0.015]))
    assert quiet == MarketPhase(None, None, None, None, None)
    assert (risen.before, risen.before_began) == ("bear", 0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(DataError, match="threshold"):
        market_phase(np.array([0.01]), 1.5)
    with pytest.raises(DataError, match="at least 1"):
        market_phase(np.array([]))
    with pytest.raises(DataError, match="-100%"):
        market_phase(np.array([0.1, -1.0]))
