"""Stocks set side by side with no measure named ("compare AAPL and MSFT since 2019", "KO vs PEP
in 2022") are their total return, volatility, Sharpe ratio, deepest drawdown and correlation
over the window (it was a read of the market), each checked against pandas over the embedded
closes; "which is better?" after it judges them on those measures over the same window (it read
the market over the default window)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
NAMES = ("AAPL", "MSFT", "KO", "PEP", "XOM", "JPM", "JNJ")
ASKS = ("compare {a} and {b} since {y}", "{a} vs {b} since {y}", "how did {a} and {b} compare since {y}?",
        "compare {a} and {b} side by side since {y}")  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair=st.permutations(NAMES).map(lambda n: n[:2]),
    year=st.integers(2008, 2021),
    ask=st.sampled_from(ASKS),
)
def test_names_side_by_side_are_their_summary_and_judged_on_it_after(
    offline_data_dir: Path, pair: tuple[str, str], year: int, ask: str
) -> None:
    a, b = pair
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(a=a, b=b, y=year))
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    assert set(calls[0]["args"]["universe"]) == {a, b}
    assert calls[0]["args"]["start"] == f"{year}-01-01"
    closes = PRICES[[a, b]].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] :]
    returns = closes.pct_change().iloc[1:]
    for name in (a, b):
        said = re.search(rf"{name}: a total return of (-?[\d.]+)%", reply)
        assert said is not None, reply
        total = closes[name].iloc[-1] / closes[name].iloc[0] - 1
        held = max(0.0006, 6e-4 * abs(total))  # the tool's four significant digits, then 0.1%
        assert abs(float(said[1]) / 100 - total) < held, (name, said[1], total)
        assert re.search(
            rf"{name}: a total return of [^;]+; volatility [\d.]+% a year; Sharpe ratio -?[\d.]+ "
            r"\(risk-free rate 0%\); maximum drawdown [\d.]+% from its peak",
            reply,
        ), reply
    correlation = re.search(r"Correlation of daily returns: \w+ and \w+ (-?\d\.\d+)", reply)
    assert correlation is not None, reply
    assert abs(float(correlation[1]) - returns[a].corr(returns[b])) <= 0.0051
    judged, calls, _ = turn_calls(session, "which is better?")
    assert [c["args"].get("start") for c in calls] == [f"{year}-01-01"], (calls, judged)
    for words in ("volatility", "Sharpe ratio", "total return", "maximum drawdown"):
        assert re.search(rf"(?:Better by {words}[^:]*: (?:{a}|{b})|tie as the better by {words})",
                         judged), (words, judged)  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.permutations(NAMES).map(lambda n: n[:3]),
    count=st.integers(2, 3),
    measure=st.sampled_from(("VaR", "CVaR")),
    ask=st.sampled_from(("what's the {m} of {s} since 2019?", "compare the {m} of {s} since 2019")),
)
def test_a_risk_measure_of_stocks_set_side_by_side_is_each_one_s(
    offline_data_dir: Path, names: tuple[str, ...], count: int, measure: str, ask: str
) -> None:
    stocks = names[:count]
    said = " vs ".join(stocks) if ask.startswith("what") else ", ".join(stocks)
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(m=measure, s=said))
    assert [c["args"]["weights"] for c in calls] == [{s: 1.0} for s in stocks], (calls, reply)
    key = "VaR is" if measure == "VaR" else "CVaR"
    each = {s: re.search(rf"{s} held alone: .*?{key} (\d+\.\d+%)", reply) for s in stocks}
    assert all(each.values()), reply
    side = ", ".join(f"{s} {found[1]}" for s, found in each.items() if found)
    assert f"Side by side, each held alone: {measure} {side}." in reply, reply
