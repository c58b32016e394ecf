""" "Why?" after a stock's or a sector's return says what the figure is made of, from the
results given (nothing computed), and that prices alone do not say why: a stock's best and worst
month and day and its beta beside the index's return, a sector's stocks' returns; each figure
checked against pandas over the embedded closes. With nothing to decompose it says what it
can show (it said "There is no finished run to explain yet")."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.why_asked import NOTHING_TO_EXPLAIN, PRICES_ONLY
from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SECTORS = {"energy": ("XOM", "CVX", "RRC"), "tech": ("AAPL", "MSFT", "AMD"),
           "the banks": ("JPM", "BAC")}  # fmt: skip


def _closes(year: int, frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Closes of `year`, from the close before it."""
    closes = frame.loc[: f"{year}-12-31"]
    return closes.loc[closes.loc[: f"{year - 1}-12-31"].index[-1] :]


def _percent(said: str) -> float:
    return float(said.rstrip("%")) / 100


@SLOW
@given(stock=st.sampled_from(("AAPL", "KO", "XOM", "JPM")), year=st.integers(2008, 2022),
       why=st.sampled_from(("why?", "how come?", "and why is that?")))  # fmt: skip
def test_why_after_a_stock_s_return_is_what_it_is_made_of(
    offline_data_dir: Path, stock: str, year: int, why: str
) -> None:
    session = ChatSession(f"why-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"how did {stock} do in {year}?")
    reply, calls, _ = turn_calls(session, why)
    assert calls == [] and reply.endswith(PRICES_ONLY), reply
    said = re.search(
        rf"{stock}'s total return of (\S+) from \S+ to \S+: its best month (\S+) \((\S+)\), its "
        r"worst (\S+) \((\S+)\); its best day (\S+) \((\S+)\), its worst (\S+) \((\S+)\); it "
        r"moved with the S&P 500 index at a beta of (\S+), and the index returned (\S+) over",
        reply,
    )
    assert said is not None, reply
    closes = _closes(year, PRICES[stock])
    daily = closes.pct_change().iloc[1:]
    monthly = closes.resample("ME").last()
    monthly = pd.concat([closes.iloc[:1], monthly]).pct_change().iloc[1:]
    assert abs(_percent(said[1]) - (closes.iloc[-1] / closes.iloc[0] - 1)) < 0.0006
    assert said[2] == monthly.idxmax().strftime("%Y-%m") and said[4] == monthly.idxmin().strftime(
        "%Y-%m"
    )
    assert abs(_percent(said[3]) - monthly.max()) < 0.0006
    assert said[6] == daily.idxmax().strftime("%Y-%m-%d") and said[8] == daily.idxmin().strftime(
        "%Y-%m-%d"
    )
    index = _closes(year, load_sp500_index()).pct_change().iloc[1:].reindex(daily.index).dropna()
    beta = daily.loc[index.index].cov(index) / index.var()
    assert abs(float(said[10]) - beta) < 0.006, (said[10], beta)


@SLOW
@given(year=st.integers(2008, 2022), sector=st.sampled_from(sorted(SECTORS)),
       why=st.sampled_from(("why did {s} do that?", "and why did {s} move so much?")))  # fmt: skip
def test_why_after_a_sector_ranking_is_its_stocks(
    offline_data_dir: Path, year: int, sector: str, why: str
) -> None:
    session = ChatSession(f"why-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"which sector did best in {year}?")
    reply, calls, _ = turn_calls(session, why.format(s=sector))
    assert calls == [], reply
    listed = re.search(r"is its stocks held at equal weights \(rebalanced daily\): (.+?)\. ", reply)
    assert listed is not None, reply
    shown = {t: _percent(v) for t, v in re.findall(r"([A-Z]+) (-?[\d.]+%)", listed[1])}
    assert set(shown) == set(SECTORS[sector]), reply
    closes = _closes(year, PRICES[list(shown)])
    total = closes.iloc[-1] / closes.iloc[0] - 1
    for name, value in shown.items():
        assert abs(value - total[name]) < 0.0006, (name, value, total[name])


def test_why_with_nothing_to_decompose_says_what_it_can_show(offline_data_dir: Path) -> None:
    session = ChatSession(f"why-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "why?")
    assert calls == [] and reply == NOTHING_TO_EXPLAIN


@settings(max_examples=6, deadline=None)
@given(
    pair=st.sampled_from((("XOM", "CVX"), ("KO", "PEP"), ("AAPL", "MSFT"), ("JPM", "BAC"))),
    year=st.integers(2015, 2022),
    why=st.sampled_from(("why?", "why so high?", "how come?", "and why?")),
    again=st.sampled_from(("and {t}?", "what about {t}?")),
)
def test_after_why_another_stock_is_asked_the_question_before_it(
    pair: tuple[str, str], year: int, why: str, again: str
) -> None:
    """ "And CVX?" after "how did XOM do in 2022?" and "why?" is CVX's return over 2022 (it was
    a market read of CVX over the default window): a "why?" answered from the results is no
    request of its own to change."""
    session = ChatSession(f"why-{uuid.uuid4().hex}", settings=Settings())
    _, first, _ = turn_calls(session, f"how did {pair[0]} do in {year}?")
    turn_calls(session, why)
    reply, calls, _ = turn_calls(session, again.format(t=pair[1]))
    assert [c["name"] for c in calls] == ["asset_statistics"], calls
    args = {**first[0]["args"], "universe": [pair[1]]}
    assert calls[0]["args"] == args, (first, calls)
    total = PRICES[pair[1]].loc[f"{year - 1}-12-01" : f"{year}-12-31"]
    before = total.loc[: f"{year - 1}-12-31"].iloc[-1]
    said = re.search(rf"{pair[1]}: a total return of (-?[\d.]+)%", reply)
    assert said is not None, reply
    assert abs(float(said[1]) / 100 - (total.iloc[-1] / before - 1)) <= 0.0006, reply
