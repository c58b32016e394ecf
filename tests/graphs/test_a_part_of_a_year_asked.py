"""A stretch of a year said in it ("how did AAPL do at the start of 2020?", "the market at the end
of 2021"): the year's first quarter or its last, stated in the reply, and not from the year to
the data's end (before: "at the start of 2020" was read as "since 2020", "at the end of 2021" as
the five years to it). The same words as a bound ("since the start of 2019", "by the end of
2019", "from 2012 to the end of 2019", "$50k at the start of 2019 ... worth at the end of 2019")
keep their bound; the ask accounting reads the bound the words fix (the year's first or last
day) and says nothing unused. Checked against the closes of the embedded data (pandas)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()
VOCAB = vocabulary()
STARTS = ("at the start of", "at the beginning of", "in the beginning of", "around the start of")
ENDS = ("at the end of", "in the end of", "around the end of", "during the end of")


def _sessions(first: str, last: str) -> tuple[str, str]:
    """The first and last session of the embedded data within `first`..`last` (ISO)."""
    held = CLOSES.loc[first:last].index  # type: ignore[misc]
    return held[0].date().isoformat(), held[-1].date().isoformat()


@settings(max_examples=10, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(2005, 2021),
    words=st.sampled_from(STARTS + ENDS),
)
def test_a_part_of_a_year_is_its_quarter_and_said(stock: str, year: int, words: str) -> None:
    ends = words in ENDS
    first, last = (f"{year}-10-01", f"{year}-12-31") if ends else (f"{year}-01-01", f"{year}-03-31")
    text = f"how did {stock} do {words} {year}?"
    intent = parse_intent(text, known_tickers())
    assert (intent.start, intent.end) == (first, last), text
    reply = answer_in_new_thread(text)
    held = _sessions(first, last)
    assert reply.startswith(f"Statistics from {held[0]} to {held[1]}"), reply
    closes = CLOSES[stock]
    total = closes.loc[:last].iloc[-1] / closes[closes.index < first].iloc[-1] - 1  # close before
    assert f"{stock}: a total return of {100 * total:.1f}%" in reply, (reply, total)
    assert "Not used" not in reply, reply
    items = {(i.kind, i.value) for i in ask_items(text, VOCAB) if i.kind in ("start", "end")}
    assert items == ({("end", last)} if ends else {("start", first)}), items


@settings(max_examples=10, deadline=None)
@given(year=st.integers(2005, 2019), stock=st.sampled_from(STOCKS_ASKED))
def test_the_same_words_as_a_bound_keep_their_bound(year: int, stock: str) -> None:
    for text, window in (
        (f"{stock} return since the start of {year}", (f"{year}-01-01", None)),
        (f"drawdown of {stock} by the end of {year}", (None, f"{year}-12-31")),
        (f"as of the end of {year} what was {stock} vol", (None, f"{year}-12-31")),
        (f"{stock} from {year - 3} to the end of {year}", (f"{year - 3}-01-01", f"{year}-12-31")),
        (
            f"if I had put $50k into {stock} at the start of {year}, what would it be worth at "
            f"the end of {year}?",
            (f"{year}-01-01", f"{year}-12-31"),
        ),
    ):
        intent = parse_intent(text, known_tickers())
        assert (intent.start, intent.end) == window, text
