"""A valuation asked ("is MSFT overvalued?", "what's the P/E of AAPL?", "is KO cheap right
now?", "what's the fair value of JNJ?") is answered with what the data cannot say (prices only:
no earnings, book values or dividends) and what its prices can, naming the stock asked, with
nothing computed (the market was read and statistics given as if they answered it); a value at
risk is still a risk report."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, answers_in_one_thread

VALUATION_ASKED = (
    "is {t} overvalued?",
    "is {t} undervalued at these levels",
    "what's the P/E of {t}?",
    "what's {t}'s price to earnings ratio",
    "is {t} cheap right now?",
    "what's the fair value of {t}?",
    "how has {t}'s valuation changed since 2020?",
)


@settings(max_examples=10, deadline=None)
@given(ticker=st.sampled_from(STOCKS_ASKED), asked=st.sampled_from(VALUATION_ASKED))
def test_a_valuation_asked_is_said_to_be_out_of_the_data_s_reach(ticker: str, asked: str) -> None:
    reply = answer_in_new_thread(asked.format(t=ticker))
    assert reply.startswith("I can't judge valuation: the market data holds prices only"), reply
    assert f"'how has {ticker} done since 2018?'" in reply, reply
    assert reply.endswith("Nothing was computed."), reply


@settings(max_examples=4, deadline=None)
@given(ticker=st.sampled_from(STOCKS_ASKED))
def test_a_value_at_risk_is_still_a_risk_report(ticker: str) -> None:
    reply = answer_in_new_thread(f"what is the 95% value at risk of {ticker}?")
    assert reply.startswith("At 95% confidence the one-day VaR is"), reply


DIVIDENDS_ASKED = (
    "what's the dividend yield of {t}?",
    "how much does {t} pay in dividends?",
    "what is {t}'s payout ratio",
    "dividend income of {t} on $1m?",
)


@settings(max_examples=6, deadline=None)
@given(ticker=st.sampled_from(STOCKS_ASKED), asked=st.sampled_from(DIVIDENDS_ASKED))
def test_dividends_asked_are_said_to_be_out_of_the_data_s_reach(ticker: str, asked: str) -> None:
    """Dividends asked: no dividend records, the returns include them reinvested in adjusted
    closes, nothing computed (before: a market read of the stock, as if it answered)."""
    reply = answer_in_new_thread(asked.format(t=ticker))
    assert reply.startswith("I can't give dividends: the market data holds daily closing"), reply
    assert f"'how has {ticker} done since 2018?'" in reply, reply
    assert reply.endswith("Nothing was computed."), reply


def test_a_worst_case_loss_after_a_build_is_its_risk_report() -> None:
    """ "What's the worst case loss?" and "what's the most I could lose?" after a build are the
    build's risk report, its deepest drawdown said (before: "what would you like me to do?")."""
    built, *answers = answers_in_one_thread(
        "build an HRP portfolio of AAPL, MSFT, JNJ, KO",
        "what's the worst case loss?",
        "what's the most I could lose?",
    )
    portfolio = built.split("(")[1].split(")")[0]
    for reply in answers:
        assert reply.startswith(f"{portfolio}: At 95% confidence the one-day VaR is"), reply
        assert "the maximum drawdown was" in reply, reply
