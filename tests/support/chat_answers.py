"""One question asked in a new chat thread of the offline model, for tests of how a question
is read and answered."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pandas as pd

from graphs.chat import ChatSession
from quant.data import sp500_prices
from settings import Settings

STOCKS_ASKED = ("AAPL", "MSFT", "KO", "PEP", "JNJ", "XOM", "JPM", "PG", "WMT", "CVX")
"""Stocks of the embedded data a property test of chat answers draws from: large, liquid,
of several sectors."""


def closes_from(year: int, end: str | None = None) -> pd.DataFrame:
    """The embedded data's closes from the last close before `year` (a window's base, as the
    tools count from it) to `end` (default: the end of the data)."""
    prices = sp500_prices()
    return prices.loc[prices.loc[: f"{year - 1}-12-31"].index[-1] : end]


def total_returns(year: int, end: str | None = None) -> pd.Series:
    """Each stock's total return over `closes_from(year, end)` (fractions)."""
    closes = closes_from(year, end)
    return closes.iloc[-1] / closes.iloc[0] - 1


def answer_in_new_thread(text: str) -> str:
    """The reply to `text` as the first message of a new thread (no run left to approve)."""
    turn = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings()).send(text)
    assert turn.pending is None, (text, turn.pending)
    return turn.replies[-1]


def answers_in_one_thread(*messages: str) -> list[str]:
    """The last reply to each message, sent in order in one new thread."""
    session = ChatSession(f"thread-{uuid.uuid4().hex}", settings=Settings())
    return [session.send(text).replies[-1] for text in messages]


def turn_calls(session: ChatSession, text: str) -> tuple[str, list[dict[str, Any]], bool]:
    """The last reply to `text` sent in `session` ("" when none), the tool calls of that turn
    (each `name`, `args`, `id`), and whether a run waits for approval after it."""
    before = len(session.history())
    turn = session.send(text)
    calls = [
        dict(call)
        for message in session.history()[before:]
        for call in getattr(message, "tool_calls", [])
    ]
    return (turn.replies[-1] if turn.replies else ""), calls, turn.pending is not None


def tool_args(session: ChatSession, name: str) -> list[dict[str, Any]]:
    """The arguments of each call of the tool `name` in the thread, oldest first."""
    return [
        call["args"]
        for message in session.history()
        for call in getattr(message, "tool_calls", [])
        if call["name"] == name
    ]


def built_portfolio(reply: str) -> tuple[str, dict[str, float]]:
    """The id and the weights (fractions, as the reply rounds them: 0.1%) of the portfolio a
    build's reply describes ("HRP portfolio (pf_8d8265): KO 69.4%, AAPL 30.6%. Expected ...")."""
    built = re.search(r"\((pf_[0-9a-f]+)\): (.+?)\. Expected", reply)
    assert built is not None, reply
    weights = re.findall(r"([A-Z]{2,5}) (\d+\.\d)%", built[2])
    return built[1], {name: float(share) / 100 for name, share in weights}
