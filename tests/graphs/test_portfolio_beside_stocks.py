"""The conversation's portfolio set beside stocks ("is it riskier than KO and PG?", "does my
portfolio have a better Sharpe ratio than AAPL?") is one table of the portfolio and each stock
held alone, judged on the measure asked (volatility for "riskier"); before, it was a read of the
market of the stocks named, and they became the conversation's subject. The values are checked
against numpy over the build's window."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import load_sp500_index, load_sp500_prices, to_returns
from tests.support.chat_answers import answers_in_one_thread
from tests.support.drawdowns import deepest_fall

RETURNS = to_returns(load_sp500_prices())
INDEX = load_sp500_index().pct_change().dropna()
ASKS = {
    "is it riskier than {s}?": "risk",
    "is my portfolio safer than {s}?": "risk",
    "is it more volatile than {s}?": "volatility",
    "does my portfolio have a better sharpe ratio than {s}?": "sharpe",
}
"""Each ask and what it is judged on: "risk" is volatility and maximum drawdown both."""


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    held=st.lists(
        st.sampled_from(["AAPL", "MSFT", "JNJ", "XOM", "JPM"]), min_size=2, max_size=4, unique=True
    ),
    others=st.lists(st.sampled_from(["KO", "PG", "AMD", "LLY"]), min_size=1, max_size=2, unique=True),
    ask=st.sampled_from(sorted(ASKS)),
)  # fmt: skip
def test_the_portfolio_is_set_beside_each_stock_held_alone(
    offline_data_dir: Path, held: list[str], others: list[str], ask: str
) -> None:
    built, compared, after = answers_in_one_thread(
        f"build an hrp portfolio of {', '.join(held)} since 2019",
        ask.format(s=" and ".join(others)),
        "what's its volatility?",
    )
    weights = pd.Series(
        {t: float(w) / 100 for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", built.split(". Exp")[0])}
    )
    window = RETURNS.loc["2019-01-01":]
    series = {"HRP": window[list(weights.index)] @ weights, **{t: window[t] for t in others}}
    vol = {n: 100 * r.std(ddof=1) * np.sqrt(252) for n, r in series.items()}
    sharpe = {n: r.mean() / r.std(ddof=1) * np.sqrt(252) for n, r in series.items()}
    called = {n: "the HRP portfolio" if n == "HRP" else f"{n} held alone" for n in series}
    if ASKS[ask] == "risk":
        deepest = {n: deepest_fall((1 + r).cumprod()) for n, r in series.items()}
        _risk_verdict_is_numpy_s(compared, called, vol, deepest)
    else:
        _best_is_numpy_s(compared, called, vol if ASKS[ask] == "volatility" else sharpe, ASKS[ask])
    assert "market is in a" not in compared, compared
    assert after.startswith("Statistics") and "the portfolio (" in after, after  # still the build
    assert all(f"{t} " not in after.split("Used:")[0] for t in others), after
    assert "Not used" not in after, after  # the stocks set beside it were not its own


def _risk_verdict_is_numpy_s(
    reply: str, called: dict[str, str], vol: dict[str, float], deepest: dict[str, float]
) -> None:
    """The portfolio against each stock, on both measures, from numpy's values: riskier than
    those above it on both, safer than those below it on both, one each way otherwise."""
    mine = (vol["HRP"], deepest["HRP"])
    said = re.search(r"The HRP portfolio was (.+?)\.(?: |$)", reply)
    assert said is not None, reply
    for name in called:
        if name == "HRP":
            continue
        theirs = (vol[name], deepest[name])
        if any(abs(a - b) < 0.005 * max(a, b) for a, b in zip(mine, theirs, strict=True)):
            continue  # a near tie on a measure: either side may be named
        if mine[0] > theirs[0] and mine[1] > theirs[1]:
            expected = r"riskier than [^.;]*?" + re.escape(called[name]) + r"[^.;]*? on both"
        elif mine[0] < theirs[0] and mine[1] < theirs[1]:
            expected = r"safer than [^.;]*?" + re.escape(called[name]) + r"[^.;]*? on both"
        else:
            expected = re.escape(called[name]) + r"[^.;]*? on one measure and safer on the other"
        assert re.search(expected, said.group(1)), (name, vol, deepest, reply)


def _best_is_numpy_s(
    reply: str, called: dict[str, str], measured: dict[str, float], measure: str
) -> None:
    """The verdict on the measure asked: each value, and the best named."""
    said = re.search(r"you asked about, (.+?) has the (lowest|highest) \((.+?)\)\.", reply)
    assert said is not None, reply
    values = dict(item.rsplit(" ", 1) for item in said.group(3).split(", "))
    assert sorted(values) == sorted(measured), reply
    for name, value in measured.items():
        shown = float(values[name].rstrip("%"))
        assert abs(shown - value) <= (0.02 if measure == "sharpe" else 0.3), reply
    best = (min if said.group(2) == "lowest" else max)(measured, key=measured.__getitem__)
    if sorted(measured.values())[-1] - sorted(measured.values())[0] > 0.3:  # not a near tie
        assert said.group(1) == called[best], reply


def test_weights_or_stocks_of_the_conversation_are_named_as_such(offline_data_dir: Path) -> None:
    _, weighted = answers_in_one_thread(
        "what's the volatility of 60% AAPL 40% KO?", "is it riskier than XOM?"
    )
    assert "Your portfolio was safer than XOM held alone on both measures." in weighted, weighted
    assert "Your portfolio: return" in weighted and "weights AAPL 60.0%, KO 40.0%" in weighted
    _, stocks = answers_in_one_thread(
        "how correlated are AAPL, MSFT and JNJ?", "are they safer than XOM?"
    )
    for name in ("AAPL", "MSFT", "JNJ"):  # each of the conversation's stocks against XOM
        assert f"{name} held alone was safer than XOM held alone on both measures" in stocks


def test_neighbouring_asks_keep_their_readings(offline_data_dir: Path) -> None:
    """What a reviewer found read wrong around the comparison with the portfolio: methods
    compared, a portfolio asked for, the build named after other analyses, each stock of the
    conversation, and the market since a date."""
    [methods] = answers_in_one_thread(
        "is a min vol portfolio riskier than hrp for AAPL, AMD and PG?"
    )
    assert "Which portfolio?" not in methods and "HRP portfolio (pf_" in methods, methods
    [asked] = answers_in_one_thread(
        "I need a portfolio less volatile than AAPL using MSFT, KO and PG"
    )
    assert "Which portfolio?" not in asked, asked
    _, _, mine = answers_in_one_thread(
        "build an hrp portfolio of AAPL, MSFT, JNJ and XOM",
        "what's the volatility of KO and PEP?",
        "is my portfolio riskier than PG?",
    )
    assert "HRP (pf_" in mine and "PG: return" in mine and "KO: return" not in mine, mine
    _, these = answers_in_one_thread(
        "what's the volatility of AAPL and MSFT?", "are these more volatile than KO?"
    )
    for name in ("AAPL", "MSFT", "KO"):
        assert f"{name}: return" in these and f"weights {name} 100.0%" in these, these
    _, since = answers_in_one_thread(
        "build an hrp portfolio of AAPL, MSFT, JNJ and XOM",
        "is it riskier than the market since 2020?",
    )
    assert not since.startswith("Changed") and "the S&P 500 index" in since, since
    assert "from 2020-01-02" in since, since


def test_what_a_second_review_found_keeps_its_reading(offline_data_dir: Path) -> None:
    """The build named after a backtest of the same names; the build beside a stock the
    conversation just measured; a backtest of a build over the default window (its own would
    be in-sample); years asked after another question; the subject after a comparison."""
    built, _, cvar = answers_in_one_thread(
        "build an hrp portfolio of AAPL and MSFT",
        "backtest 50/50 AAPL/MSFT since 2015",
        "what is the cvar of the portfolio we built?",
    )
    pid = re.search(r"\((pf_[0-9a-f]+)\)", built)
    assert pid is not None and f"portfolio {pid.group(1)}" in cvar.split("Used:")[1], cvar
    _, _, same = answers_in_one_thread(
        "build an hrp portfolio of AAPL, MSFT, JNJ and XOM", "how volatile was KO?",
        "is it riskier than KO?",
    )  # fmt: skip
    assert same.startswith("Compared") and "HRP (pf_" in same and "KO: return" in same, same
    _, backtest = answers_in_one_thread(
        "build a max sharpe portfolio of AAPL, JPM, XOM and KO from 2010 to 2014", "backtest it"
    )
    assert "from 2018-01-02 to 2022-12-28" in backtest, backtest  # not the build's own years
    _, _, years = answers_in_one_thread(
        "backtest 60/40 AAPL/KO since 2015", "how volatile was XOM?", "show the yearly returns"
    )
    assert not years.startswith("Backtest"), years
    _, _, after = answers_in_one_thread(
        "build an hrp portfolio of AAPL, MSFT, JNJ and XOM",
        "is my portfolio riskier than PG?",
        "what's its volatility?",
    )
    assert "the portfolio (" in after and "PG:" not in after and "Not used" not in after, after


def _built_weights(built: str) -> pd.Series:
    """The weights a build's reply gives (to 0.1 %)."""
    held = built.split(". Exp")[0]
    return pd.Series({t: float(w) / 100 for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", held)})


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    held=st.lists(st.sampled_from(["AAPL", "MSFT", "JNJ", "JPM"]), min_size=2, max_size=3, unique=True),
    other=st.sampled_from(["KO", "PG", "LLY", "XOM"]),
    ask=st.sampled_from(["did my portfolio outperform {s}?", "did it beat {s}?",
                         "has it lagged {s}?", "did my portfolio do better than {s}?"]),
)  # fmt: skip
def test_did_the_portfolio_beat_a_stock_is_judged_on_the_return(
    offline_data_dir: Path, held: list[str], other: str, ask: str
) -> None:
    """ "Did my portfolio outperform KO?" sets the portfolio beside KO held alone, judged on the
    return (it tried to build an HRP portfolio of KO alone and failed); numpy's arithmetic
    annual return over the build's window."""
    built, compared = answers_in_one_thread(
        f"build an hrp portfolio of {', '.join(held)} since 2019", ask.format(s=other)
    )
    weights = _built_weights(built)
    window = RETURNS.loc["2019-01-01":]
    series = {"HRP": window[list(weights.index)] @ weights, other: window[other]}
    annual = {n: 100 * r.mean() * 252 for n, r in series.items()}
    called = {"HRP": "the HRP portfolio", other: f"{other} held alone"}
    _best_is_numpy_s(compared, called, annual, "return")


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    held=st.lists(st.sampled_from(["AAPL", "MSFT", "JNJ", "JPM", "KO"]), min_size=2, max_size=3,
                  unique=True),
    year=st.integers(2019, 2022),
    ask=st.sampled_from(["did it beat the S&P 500 in {y}?", "did my portfolio lag the market in {y}?",
                         "did it outperform the index in {y}?"]),
)  # fmt: skip
def test_did_the_portfolio_beat_the_index_sets_its_total_return_beside_the_index_s(
    offline_data_dir: Path, held: list[str], year: int, ask: str
) -> None:
    """ "Did it beat the S&P 500 in 2022?" after a build: the portfolio's total return beside
    the index's over that year (it rebuilt the portfolio over 2022, reading the year as a change
    of the build); numpy's compounded returns, the portfolio's rebalanced daily."""
    built, compared = answers_in_one_thread(
        f"build an hrp portfolio of {', '.join(held)} since 2019", ask.format(y=year)
    )
    assert "Changed from your previous request" not in compared, compared
    weights = _built_weights(built)
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    mine = float((1 + window[list(weights.index)] @ weights).prod() - 1)
    index = float((1 + INDEX.reindex(window.index).dropna()).prod() - 1)
    said = re.search(
        r"The portfolio had (a higher|a lower|the same) total return than the S&P 500 index: "
        r"([-\d.]+)% against ([-\d.]+)%\.",
        compared,
    )
    assert said is not None, compared
    assert abs(float(said.group(2)) - 100 * mine) <= 0.3, (mine, compared)  # weights to 0.1 %
    assert abs(float(said.group(3)) - 100 * index) <= 0.056, (index, compared)
    if abs(mine - index) > 0.005:
        assert said.group(1) == ("a higher" if mine > index else "a lower"), compared
