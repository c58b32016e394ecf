"""A question about what the market data holds ("which stocks are in the data?", "what tickers
do you have?", "list the stocks", "how far back does the data go?", "which banks do you
cover?") is answered with the data's stocks by sector, their names and its dates
(`market_data_coverage`); it asked what to do, or read "what's in the system?" as Microsoft
(its sub-industry is Systems Software). A question ranking the stocks is still a ranking."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_prices, to_returns
from quant.classification import classifications
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
EVERY = (
    "which stocks are in the data?", "What tickers do you have?", "list the stocks",
    "how far back does the data go?", "what's in the system?", "hi, what stocks can I look at?",
    "what names are available?", "Which companies does the data cover?",
    "what sectors are covered?", "list all the tickers please",
)  # fmt: skip
SECTOR = {
    "which banks do you have?": "banks",
    "which energy stocks are in the data?": "energy",
    "which health care names do you cover?": "health care",
    "what tech stocks are available?": "tech",
}
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(text=st.sampled_from(EVERY))
def test_what_the_data_holds_is_every_stock_by_sector_with_its_dates(
    offline_data_dir: Path, text: str
) -> None:
    reply = answer_in_new_thread(text)
    assert reply.startswith(f"The market data holds {RETURNS.shape[1]} stocks"), reply
    start, end = (d.date().isoformat() for d in RETURNS.index[[0, -1]])
    assert f"daily returns from {start} to {end} ({len(RETURNS):,} sessions)" in reply, reply
    for ticker, known in classifications().items():
        assert f"{ticker} ({known.name})" in reply, (ticker, reply)
        assert f"{known.sector}:" in reply


@SETTINGS
@given(text=st.sampled_from(sorted(SECTOR)))
def test_what_the_data_holds_of_a_sector_is_its_stocks_only(
    offline_data_dir: Path, text: str
) -> None:
    reply = answer_in_new_thread(text)
    members = sector_tickers([SECTOR[text]])
    assert f"{len(members)} are classified in '{SECTOR[text]}'" in reply, reply
    for ticker, known in classifications().items():
        assert (f"{ticker} ({known.name})" in reply) == (ticker in members), (ticker, reply)


def test_questions_that_rank_build_or_ask_about_own_holdings_are_not_about_the_data(
    offline_data_dir: Path,
) -> None:
    assert "By volatility, highest first" in answer_in_new_thread(
        "which stocks are the most volatile?"
    )
    assert "market data holds" not in answer_in_new_thread(
        "what ideas do you have for a defensive portfolio?"
    )
    for text in ("which stocks are in my portfolio?", "what information do you have?",
                 "list the stocks in my portfolio"):  # fmt: skip
        assert "market data holds" not in answer_in_new_thread(text), text
    built = answer_in_new_thread(
        "my universe includes AAPL, MSFT, KO and XOM; build an hrp portfolio"
    )
    assert built.startswith("HRP portfolio (pf_"), built


NAMED = {
    "is AAPL in the data?": ("AAPL",),
    "do you have KO and PEP?": ("KO", "PEP"),
    "how far back does XOM go?": ("XOM",),
    "are JPM and BAC covered by your data": ("JPM", "BAC"),
    "Do you cover data on msft?": ("MSFT",),
    "do you have the price history for AAPL": ("AAPL",),
    "is there data on KO?": ("KO",),
}


@SETTINGS
@given(text=st.sampled_from(sorted(NAMED)))
def test_whether_named_stocks_are_in_the_data_is_each_with_its_dates(
    offline_data_dir: Path, text: str
) -> None:
    reply = answer_in_new_thread(text)
    shipped = classifications()
    for ticker in NAMED[text]:
        held = RETURNS[ticker].dropna()
        dates = f"from {held.index[0].date()} to {held.index[-1].date()} ({len(held):,} sessions)"
        said = f"{ticker} ({shipped[ticker].name}, {shipped[ticker].sector}) is in the market data"
        assert f"{said}, with daily returns {dates}" in reply, reply
    assert f"The market data holds {RETURNS.shape[1]} stocks" in reply
    assert "Nothing was computed" not in reply and "not used" not in reply.lower(), reply
    others = set(RETURNS.columns) - set(NAMED[text])
    assert not any(f"{t} (" in reply for t in others), reply  # the names asked alone


def test_a_question_naming_a_stock_about_something_else_is_not_about_the_data(
    offline_data_dir: Path,
) -> None:
    for text in (
        "do you have a view on AAPL?",
        "what is the volatility of KO since 2019?",
        "how far back should I backtest AAPL",
        "is XOM the top stock in your universe this year?",
        "do you have KO in my portfolio?",
    ):
        assert "in the market data" not in answer_in_new_thread(text), text


def test_a_stock_the_data_lacks_is_said_to_be_missing_beside_those_it_holds(
    offline_data_dir: Path,
) -> None:
    reply = answer_in_new_thread("are AAPL and TSLA in the data?")
    assert reply.startswith("AAPL (Apple Inc., Information Technology) is in the market data")
    assert "TSLA is not in the market data." in reply, reply
    assert answer_in_new_thread("is TSLA in the data?").startswith(
        "TSLA is not in the market data."
    )
