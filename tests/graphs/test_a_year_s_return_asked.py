"""What stocks or weights "would have returned" in a year ("what would a 60/40 KO PEP portfolio
have returned in 2022?") is that calendar year's return, not the replay of the historical
episode of that year: before, "in 2022" was the 2022 rate shock (2022-01-03 to 2022-10-12) and
"in 2020" the covid crash, because "what would" read as a stress question. A loss asked in a
crisis ("what would KO have lost in 2008?") stays its replay. "What would ... have made" was
a read of the market ("Not used: your weights") and of a strategy a search drafted; a
strategy's is now its backtest over the year, as "backtest ..." asks it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

ASKS = (
    "what would {x} have returned in {y}?",
    "What would {x} have returned over {y}",
    "so what would {x} have gained in {y}?",
    "what would {x} have made in {y}?",
    "what would {x} have earned in {y}",
)


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    weighted=st.booleans(),
    year=st.sampled_from((2008, 2015, 2020, 2021, 2022)),
    ask=st.sampled_from(ASKS),
)
def test_a_year_s_return_is_that_calendar_year(
    stocks: list[str], weighted: bool, year: int, ask: str
) -> None:
    said = " and ".join(stocks)
    if weighted and len(stocks) == 2:
        said = f"60% {stocks[0]} 40% {stocks[1]}"
    reply = answer_in_new_thread(ask.format(x=said, y=year))
    assert reply.startswith(f"Statistics from {year}-01-"), reply
    assert "a total return of" in reply and "Stress test" not in reply, reply
    assert "Not used" not in reply, reply


def test_a_loss_asked_in_a_crisis_stays_its_replay() -> None:
    reply = answer_in_new_thread("what would KO have lost in 2008?")
    assert reply.startswith("Stress test of KO"), reply
    assert "The 2008 financial crisis" in reply, reply


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    target=st.sampled_from((8, 10, 12, 15)),
    year=st.sampled_from((2015, 2019, 2021)),
    verb=st.sampled_from(("made", "returned", "earned")),
)
def test_what_a_strategy_would_have_made_is_its_backtest(
    stocks: list[str], target: int, year: int, verb: str
) -> None:
    strategy = f"a {target}% target vol strategy on {' and '.join(stocks)}"
    reply = answer_in_new_thread(f"what would {strategy} have {verb} in {year}?")
    asked = answer_in_new_thread(f"backtest {strategy} in {year}")
    assert reply.startswith("Backtest of a"), reply
    assert reply == asked
