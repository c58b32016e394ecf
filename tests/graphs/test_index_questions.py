"""A question about the index itself ("what was the return of the S&P 500 in 2022?", "how did
the market do in 2008?", "what's the max drawdown of the S&P since 2018?") is answered with the
index's own figures first; they asked what to do, backtested a 10% target-volatility strategy,
or asked which portfolio. The figures are recomputed with numpy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import load_sp500_index, to_returns
from tests.support.chat_answers import answer_in_new_thread

INDEX = to_returns(load_sp500_index()).iloc[:, 0]
ASKS = (
    "what was the return of the S&P 500 in {y}?",
    "how did the market do in {y}?",
    "How volatile was the market in {y}",
    "what's the max drawdown of the S&P in {y}?",
    "how did the S&P 500 perform in {y}?",
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ask=st.sampled_from(ASKS), year=st.integers(1995, 2022))
def test_a_question_about_the_index_is_answered_with_its_figures(
    offline_data_dir: Path, ask: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(y=year))
    said = re.match(
        r"The S&P 500 index from (\S+) to (\S+): a total return of (-?[\d.]+)% \(annualised mean "
        r"return (-?[\d.]+)%\), volatility ([\d.]+)% a year, maximum drawdown ([\d.]+)%",
        reply,
    )
    assert said is not None, reply
    window = INDEX.loc[f"{year}-01-01" : f"{year}-12-31"].to_numpy()
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + window)])
    expected = {
        3: (np.prod(1.0 + window) - 1.0) * 100,
        4: window.mean() * 252 * 100,
        5: window.std(ddof=1) * np.sqrt(252) * 100,
        6: np.max(1.0 - wealth / np.maximum.accumulate(wealth)) * 100,
    }
    for group, value in expected.items():
        assert abs(float(said.group(group)) - value) <= 0.06, (group, value, reply)
    assert "target-vol" not in reply and "Which portfolio" not in reply
