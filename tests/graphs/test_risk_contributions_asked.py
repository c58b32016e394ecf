"""A question about where a portfolio's risk comes from ("risk contributions of ...", "which
holding drives the risk in ...", "what's my biggest risk if I hold ...") is answered with each
holding's share of the portfolio's volatility, largest first, before the rest of its risk
report; the shares are checked against numpy's (w_i (Σw)_i / w'Σw over the window said).
Before, the reply was the risk report alone: the contributions were computed and not said; "my
portfolio is 40% AAPL 30% MSFT 30% KO. where is my risk coming from?" built an HRP portfolio of
the three, and "I run a defensive book: ... How concentrated is my risk?" a min-volatility one;
"which name contributes the most?" after the contributions was help text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
ASKS = (
    "what are the risk contributions of {p}?",
    "which holding drives the risk in {p}?",
    "what's my biggest risk if I hold {p}?",
    "where's the risk in {p}?",
    "where is my risk coming from in {p}?",
    "how concentrated is the risk in {p}?",
    "my portfolio is {p}. where is my risk coming from?",
    "I run a defensive book: {p}. How concentrated is my risk?",
    "which holdings add the most risk in {p}?",
)
SHARE = re.compile(r"([A-Z]+) (\d+\.\d+)%")


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tickers=st.lists(
        st.sampled_from(["AAPL", "AMD", "KO", "XOM", "JPM", "PG", "MSFT"]),
        min_size=2, max_size=4, unique=True,
    ),
    cuts=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    ask=st.sampled_from(ASKS),
)  # fmt: skip
def test_the_risk_contributions_asked_are_said_first_and_are_numpy_s(
    offline_data_dir: Path, tickers: list[str], cuts: list[int], ask: str
) -> None:
    raw = np.array(cuts[: len(tickers)], dtype=float)
    percents = np.floor(1000 * raw / raw.sum()) / 10
    percents[0] = round(100 - percents[1:].sum(), 1)
    held = ", ".join(f"{p:g}% {t}" for p, t in zip(percents, tickers, strict=True))
    _check_contributions(answer_in_new_thread(ask.format(p=held)), tickers, percents / 100)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tickers=st.lists(
        st.sampled_from(["AAPL", "AMD", "KO", "XOM", "JPM", "PG", "MSFT", "JNJ", "WMT"]),
        min_size=2, max_size=4, unique=True,
    ),
    ask=st.sampled_from(ASKS),
    again=st.sampled_from(("which name contributes the most?", "which one drives the risk?")),
)  # fmt: skip
def test_names_without_weights_are_held_equally_and_a_follow_up_says_them_again(
    offline_data_dir: Path, tickers: list[str], ask: str, again: str
) -> None:
    session = ChatSession(f"contributions-{'-'.join(tickers)}", settings=Settings())
    first = session.send(ask.format(p=", ".join(tickers))).replies[-1]
    equal = np.full(len(tickers), 1.0 / len(tickers))
    _check_contributions(first, tickers, equal)
    _check_contributions(session.send(again).replies[-1], tickers, equal)


def _check_contributions(reply: str, tickers: list[str], w: np.ndarray) -> None:
    """The reply starts with the contributions of weights `w` of `tickers`, numpy's over the
    window it says, largest first, and names the largest as carrying the most."""
    assert reply.startswith("Risk contributions"), reply
    head, rest = reply.split(" carries the most. ", 1)
    said = {t: float(v) for t, v in SHARE.findall(head)}
    assert list(said) == sorted(said, key=lambda t: -said[t])  # largest first
    start, end = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", rest).groups()  # type: ignore[union-attr]
    window = RETURNS.loc[start:end, tickers].to_numpy()
    cov = np.cov(window, rowvar=False, ddof=1)
    shares = w * (cov @ w) / (w @ cov @ w)
    for ticker, share in zip(tickers, shares, strict=True):
        assert abs(said[ticker] - 100 * share) <= 0.051, (ticker, said, shares)
    assert head.endswith(max(said, key=said.__getitem__))
