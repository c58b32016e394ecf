"""agents/offline/intent/bars: the bar a ranking question sets ("which stocks fell more than
30%?") is read with its measure, side and value in the measure's units; a bar said of something
to act on ("build a portfolio of stocks with volatility under 20%") is a limit, not a question."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.offline.intent.bars import bar_said
from agents.offline.intent.rankings import bar_asked


@pytest.mark.parametrize(
    ("text", "measure", "above", "inclusive", "value"),
    [
        ("which stocks fell more than 30% in 2022?", "return", False, False, -0.30),
        ("which stocks fell less than 10% in 2022?", "return", True, False, -0.10),
        ("which stocks fell at least 25% in 2022?", "return", False, True, -0.25),
        ("which names were down more than 20%?", "return", False, False, -0.20),
        ("how many stocks gained more than 50% in 2021?", "return", True, False, 0.50),
        ("which stocks returned less than 5% in 2019?", "return", False, False, 0.05),
        ("stocks with a return above -10% in 2022", "return", True, False, -0.10),
        ("which stocks had volatility above 40% in 2020?", "volatility", True, False, 0.40),
        ("stocks with vol under 25%", "volatility", False, False, 0.25),
        ("which had more than 40% volatility?", "volatility", True, False, 0.40),
        ("a max drawdown deeper than 50% in 2020?", "drawdown_dates", True, False, 0.50),
        ("which had drawdowns worse than -30%?", "drawdown_dates", True, False, 0.30),
        ("names with a sharpe ratio above 1 in 2021", "sharpe_ratio", True, False, 1.0),
        ("is KO's beta below 1?", "beta", False, False, 1.0),
        ("any stocks with a beta above 1.2 since 2019?", "beta", True, False, 1.2),
        ("how many names had negative returns in 2022?", "return", False, False, 0.0),
        ("which stocks were up in 2022?", "return", True, False, 0.0),
        ("did ko end higher in 2022?", "return", True, False, 0.0),
        ("did aapl go down in 2022?", "return", False, False, 0.0),
        ("any stocks down more than 40% in 2022?", "return", False, False, -0.40),
        ("which names are up more than 50% since 2020?", "return", True, False, 0.50),
        ("are any of my holdings down over 10% this year?", "return", False, False, -0.10),
        ("did my portfolio fall more than 10% in 2022?", "return", False, False, -0.10),
        ("was it down in 2022?", "return", False, False, 0.0),
        ("were they up since 2020?", "return", True, False, 0.0),
        ("was aapl up in 2022?", "return", True, False, 0.0),
        ("was my portfolio down more than 5% in 2008?", "return", False, False, -0.05),
        ("was it up over 20% since 2019?", "return", True, False, 0.20),
        ("which stocks beat the market by more than 10% in 2021?", "return", True, False, 0.10),
        ("did aapl outperform the s&p 500 by 20%?", "return", True, True, 0.20),
        ("which names lagged the index by over 5%?", "return", False, False, -0.05),
    ],
)
def test_a_bar_is_read_in_the_measure_s_units(
    text: str, measure: str, above: bool, inclusive: bool, value: float
) -> None:
    bar = bar_said(text.lower())
    assert bar is not None
    assert (bar.measure, bar.above, bar.inclusive) == (measure, above, inclusive)
    assert bar.value == pytest.approx(value)
    assert bar.beside_index == any(w in text for w in ("market by", "s&p 500 by", "index by"))


@pytest.mark.parametrize(
    "text",
    [
        "which stock fell the most in 2022?",  # an end, not a bar
        "how many days did AAPL fall more than 3%?",  # days beyond a move
        "which stocks had a sharpe above 1.5 years ago",  # not a bar on the Sharpe ratio
        "top 5 stocks by volatility in 2020",
        "how many days was aapl up in 2022?",  # days counted, not names
        "which stocks were down more than usual?",  # no size said after "down more"
    ],
)
def test_no_bar_is_asked_where_none_is_set(text: str) -> None:
    assert bar_asked(text.lower()) is None


@pytest.mark.parametrize(
    "text",
    [
        "build a portfolio of stocks with volatility below 20%",
        "search strategies with a sharpe above 1 for aapl msft",
        "backtest the stocks that fell more than 30% in 2022",
    ],
)
def test_a_bar_beside_an_action_is_not_a_question(text: str) -> None:
    assert bar_said(text) is not None and bar_asked(text) is None


@given(value=st.floats(-0.9, 3.0, allow_nan=False), bar_value=st.integers(1, 90))
def test_holds_puts_a_value_on_the_side_the_words_say(value: float, bar_value: int) -> None:
    fell = bar_said(f"which stocks fell more than {bar_value}% in 2022?")
    gained = bar_said(f"which stocks gained more than {bar_value}% in 2022?")
    assert fell is not None and gained is not None
    assert fell.holds(value) == (value < -bar_value / 100)
    assert gained.holds(value) == (value > bar_value / 100)
