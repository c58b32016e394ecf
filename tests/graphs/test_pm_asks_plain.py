"""Plain desk phrasings read as meant, found by asks phrased unlike the tests: a year said by its
last two digits ("since 08", "since '08"), "what did X do" as "how did X do", "how much would
100k in AAPL in 2010 be worth at the end of 2020?" as the money made, "who won?" after two
stocks set side by side as which was better by the measure they were compared on, and "when did
it bottom?" after a drawdown as its dates. Before: the default window since 2018, "What would you
like me to do", a read of the market, the figures again without a verdict. Every figure is
checked against pandas over the embedded prices. Also "how'd KO fare", "how much did BAC fall",
"how did energy hold up" (a strategy search was drafted) as the return, and "which would you
pick?" as which was better."""

from __future__ import annotations

import re
import uuid

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_policies import WORST_NOT_KEPT
from agents.offline.winner_backtests import NO_WINNER
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import (
    STOCKS_ASKED,
    answer_in_new_thread,
    answers_in_one_thread,
    tool_args,
)

CLOSES = load_sp500_prices()
YEARS = st.integers(min_value=2001, max_value=2021)


def _held(stock: str, first_year: int, last_year: int | None = None) -> pd.Series:
    """The stock's closes from the close before the first session of `first_year` (a window's
    base) to the last session of `last_year` (the data's end when None)."""
    closes = CLOSES[stock]
    start = int(closes.index.searchsorted(pd.Timestamp(f"{first_year}-01-01")))
    held = closes.iloc[max(start - 1, 0) :]
    return held if last_year is None else held.loc[: f"{last_year}-12-31"]


@settings(max_examples=5, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=YEARS,
    said=st.sampled_from(("what's the max dd on {s} since {yy}", "{s} drawdown since '{yy}",
                          "max drawdown of {s} since \u2019{yy}?")),
    then=st.sampled_from(("when did it bottom?", "when did it hit the low?")),
)  # fmt: skip
def test_a_year_said_by_two_digits_is_that_year_and_the_drawdown_s_bottom_is_its_trough(
    stock: str, year: int, said: str, then: str
) -> None:
    first, bottom = answers_in_one_thread(said.format(s=stock, yy=f"{year % 100:02d}"), then)
    held = _held(stock, year)
    depths = 1 - held / held.cummax()
    assert f"from {year}-01-0" in first, first  # the year said, not the default window
    depth = re.search(r"maximum drawdown (?:was )?(\d+\.\d+)%", first)  # statistics or risk
    assert depth is not None and abs(float(depth[1]) / 100 - depths.max()) < 6e-4, first
    found = re.search(r"maximum drawdown (\d+\.\d+)% from its peak on \S+ to its trough on "
                      r"(\S+),", bottom)  # fmt: skip
    assert found is not None, (first, bottom)
    assert abs(float(found[1]) / 100 - depths.max()) < 6e-5, (bottom, depths.max())
    assert found[2] == f"{depths.idxmax():%Y-%m-%d}", bottom


@settings(max_examples=5, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    first_year=st.integers(min_value=2001, max_value=2015),
    length=st.integers(min_value=1, max_value=6),
    then=st.sampled_from(
        ("who won?", "so who came out ahead?", "which one won?", "which would you pick?")
    ),
)
def test_who_won_after_two_stocks_side_by_side_is_the_better_by_their_measure(
    pair: list[str], first_year: int, length: int, then: str
) -> None:
    a, b = pair
    last_year = first_year + length
    asked = f"pull up {a} vs {b} total return {first_year}-{last_year}"
    first, judged = answers_in_one_thread(asked, then)
    totals = {s: _held(s, first_year, last_year) for s in pair}
    growth = {s: held.iloc[-1] / held.iloc[0] - 1 for s, held in totals.items()}
    if abs(growth[a] - growth[b]) > 1e-3:
        winner = max(growth, key=lambda s: growth[s])
        assert f"Better by total return: {winner} (the higher)" in judged, (first, judged)
    assert judged.startswith(f"Statistics from {first_year}-01-0"), judged


@settings(max_examples=5, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=YEARS,
    said=st.sampled_from(
        (
            "what did {s} do in {y}?",
            "what has {s} done since {y}?",
            "how'd {s} fare in {y}?",
            "how much did {s} fall in {y}?",
            "how did {s} hold up in {y}?",
        )
    ),
)
def test_what_a_stock_did_asked_in_other_words_is_its_return(
    stock: str, year: int, said: str
) -> None:
    reply = answer_in_new_thread(said.format(s=stock, y=year))
    held = _held(stock, year, None if "since" in said else year)
    found = re.search(rf"{stock}: a total return of (-?\d+\.\d)%", reply)
    assert found is not None, reply
    assert abs(float(found[1]) / 100 - (held.iloc[-1] / held.iloc[0] - 1)) < 6e-4, reply


@settings(max_examples=5, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    first_year=st.integers(min_value=2001, max_value=2015),
    length=st.integers(min_value=1, max_value=6),
    thousands=st.sampled_from((10, 50, 100, 250)),
)
def test_what_money_would_have_become_is_asked_as_worth(
    stock: str, first_year: int, length: int, thousands: int
) -> None:
    last_year = first_year + length
    reply = answer_in_new_thread(
        f"how much would {thousands}k in {stock} in {first_year} be worth at the end of "
        f"{last_year}?"
    )
    held = _held(stock, first_year, last_year)
    found = re.search(r"([\d,]+) would have become ([\d,]+)", reply)
    assert found is not None, reply
    assert int(found[1].replace(",", "")) == thousands * 1000, reply
    expected = thousands * 1000 * held.iloc[-1] / held.iloc[0]
    assert abs(int(found[2].replace(",", "")) / expected - 1) < 1e-3, (reply, expected)


SPLITS = st.sampled_from(((50, 50), (60, 40), (70, 30), (80, 20), (25, 75), (90, 10)))


@settings(max_examples=5, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    year=YEARS,
    first=SPLITS,
    then=SPLITS,
    said=st.sampled_from(("and if I go {a}/{b}?", "what about {a}/{b}?", "and {a}/{b}?")),
)
def test_a_split_said_alone_reweights_the_portfolio_of_the_thread(
    pair: list[str], year: int, first: tuple[int, int], then: tuple[int, int], said: str
) -> None:
    """ "and if I go 70/30?" after a portfolio of given weights: the same names in that split, in
    their order (before: "What would you like me to do"); a split of another length is asked
    again."""
    a, b = pair
    asked = f"what's the vol of a {first[0]}/{first[1]} {a} {b} portfolio since {year}?"
    _, changed, wrong = answers_in_one_thread(
        asked, said.format(a=then[0], b=then[1]), "and if I go 50/30/20?"
    )
    returns = CLOSES[[a, b]].pct_change().loc[f"{year}-01-01" :]
    held = returns @ [then[0] / 100, then[1] / 100]
    found = re.search(r"the portfolio \(([^)]*)\) had volatility (\d+\.\d)% a year", changed)
    assert found is not None, changed
    shown = dict(re.findall(r"([A-Z]+) (\d+\.\d)%", found[1]))
    assert shown == {a: f"{then[0]:.1f}", b: f"{then[1]:.1f}"}, changed  # in the order said
    assert abs(float(found[2]) / 100 - held.std() * 252**0.5) < 6e-4, changed
    assert wrong.startswith(f"Give one weight for each of {a}, {b}"), wrong


@settings(max_examples=4, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=5, unique=True),
    method=st.sampled_from(("risk parity", "hrp", "min var")),
    out=st.sampled_from(("cut {s}", "ditch {s}", "drop {s}")),
)
def test_a_build_s_follow_ups_in_desk_words(stocks: list[str], method: str, out: str) -> None:
    """After a build: "how concentrated is it?" is its risk contributions (a read of the market
    before), a one-day VaR on a capital notes nothing unused (its horizon is the report's one
    day), and "cut XOM" rebuilds without it (a read of XOM before)."""
    left = stocks[-1]
    built, concentrated, var, cut = answers_in_one_thread(
        f"{method} {' '.join(stocks)} since 2015", "how concentrated is it?",
        "what's the 1-day 99% VaR on $5mm?", out.format(s=left),
    )  # fmt: skip
    shares = re.search(r"Risk contributions \([^)]*\): ([^:]*):", concentrated)
    assert shares is not None, concentrated
    weights = re.search(r"portfolio \(pf_\w+\): (.*?)\. Expected", built)
    assert weights is not None, built
    held = {t for t, w in re.findall(r"([A-Z]+) (\d+\.\d)", weights[1]) if float(w) > 0}
    assert {t for t, _ in re.findall(r"([A-Z]+) (\d+(?:\.\d+)?)%", shares[1])} == held, concentrated
    assert "At 99% confidence the one-day VaR" in var and "Not used" not in var, var
    assert cut.startswith(f"Changed from your previous request: {left} left out"), cut
    assert re.search(rf"\b{left}\b", cut.split("Used:")[-1]) is None, cut


@settings(max_examples=4, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    first=st.sampled_from((5, 10, 15)),
    then=st.sampled_from((20, 25, 30)),
    months=st.sampled_from((3, 6)),
)
def test_a_percentage_alone_after_a_loss_probability_is_the_loss_asked(
    stock: str, first: int, then: int, months: int
) -> None:
    """ "and 20%?" after the probability of a 10% loss asks it of a 20% loss (before: "What would
    you like me to do")."""
    asked, again = answers_in_one_thread(
        f"what's the probability {stock} drops {first}% in {months} months?", f"and {then}%?"
    )
    sessions = 21 * months
    assert f"loses more than {first}% over {sessions} sessions" in asked, asked
    assert again.startswith(f"Changed from your previous request: a loss of {then}% instead of "
                            f"{first}%."), again  # fmt: skip
    assert f"loses more than {then}% over {sessions} sessions" in again, again


def test_a_put_said_out_of_the_money_is_backtested_at_its_strike() -> None:
    """ "how would a 10% otm put hedge have helped KO in 2020?" backtests the put at a 90% strike
    over 2020, and says nothing of it unused (before: a strategy search was drafted)."""
    reply = answer_in_new_thread("how would a 10% otm put hedge have helped KO in 2020?")
    assert reply.startswith("Backtest of ") and "protective put (strike 90%" in reply, reply
    assert "2020-01-02 to 2020-12-31" in reply and "Not used" not in reply, reply


def test_backtest_the_winner_backtests_the_search_s_winner_on_its_universe_and_window() -> None:
    """ "backtest the winner" after a finished search backtests the winner as the search stored
    it (by its run id: unrounded, where the chat's text holds six significant digits) on the
    search's universe and window, and says so (before: a default 10% target-vol strategy on the
    default universe since 2018, as if it were the winner)."""
    session = ChatSession(f"winner-{uuid.uuid4().hex}", settings=Settings())
    session.send("optimise a vol target strategy on AAPL MSFT KO since 2012 with 12 trials")
    session.decide("approve")
    run = session.snapshot().values["last_run"]
    reply = session.send("backtest the winner").replies[-1]
    (args,) = tool_args(session, "backtest_strategy")
    assert args == {"run_id": run["run_id"], "universe": ["AAPL", "MSFT", "KO"]}, args
    winner = {k: v for k, v in run["best"]["config"].items() if v is not None}
    said = f"The winner of run {run['run_id']}, as its search stored it, on the market history"
    assert reply.startswith(said), reply
    assert f"{100 * winner['target_vol']:.2f}% target-vol" in reply, reply
    assert "2012-01-03 to 2022-12-28" in reply and "Not used" not in reply, reply


def test_the_worst_drawdown_of_a_winner_is_said_to_be_its_paths_mean() -> None:
    """ "what's its worst drawdown in the bear case?" after a search: the mean of the paths'
    maximum drawdowns, said to be that and not the worst path, with the way to a backtest."""
    session = ChatSession(f"worst-{uuid.uuid4().hex}", settings=Settings())
    session.send("optimise a vol target strategy on AAPL MSFT KO since 2012 with 12 trials")
    session.decide("approve")
    worst = session.send("what's its worst drawdown in the bear case?").replies[-1]
    mean = session.send("what's its average drawdown in the bear case?").replies[-1]
    facts = session.snapshot().values["last_run"]["explanation"]["facts"]
    bear = facts["scenarios"]["bear"]["max_drawdown"]
    assert f"bear {100 * bear:.2f}%" in worst and WORST_NOT_KEPT.strip() in worst, worst
    assert f"bear {100 * bear:.2f}%" in mean and "not its worst path" not in mean, mean


@settings(max_examples=4, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    cadence=st.sampled_from(("monthly", "quarterly", "annually")),
    built=st.booleans(),
)
def test_how_the_thread_s_portfolio_would_do_rebalanced_is_a_backtest_of_it(
    stocks: list[str], cadence: str, built: bool
) -> None:
    """ "how would it do if I rebalance monthly?" after a build backtests the built weights at
    that cadence, and "how would they have done rebalanced quarterly?" after stocks' returns
    their equal weights over the window asked (before: a 10% target-vol strategy since 2018)."""
    session = ChatSession(f"held-{uuid.uuid4().hex}", settings=Settings())
    names = " ".join(stocks)
    first = f"max sharpe on {names}" if built else f"how did {names} do since 2015?"
    session.send(first)
    then = "how would it do if I rebalance" if built else "how would they have done rebalanced"
    session.send(f"{then} {cadence}?")
    assert not tool_args(session, "backtest_strategy")
    (args,) = tool_args(session, "backtest_weights")
    assert args["rebalance"] == cadence
    if built:  # the portfolio the build made, by its id
        assert str(args.get("portfolio_id", "")).startswith("pf_"), args
        assert "universe" not in args and "weights" not in args, args
    else:  # the stocks asked about, held at equal weights, over the window asked
        held = args.get("weights") or args.get("universe") or ()
        assert args["start"] == "2015-01-01" and sorted(held) == sorted(stocks), args


def test_backtest_the_winner_with_no_search_says_so_and_its_examples_work() -> None:
    """With no finished search, "backtest the winner" says there is none (it backtested a
    default strategy as if it were one), and the two asks its reply suggests do what they say."""
    assert answer_in_new_thread("backtest the winner") == NO_WINNER
    search, backtest = re.findall(r"\('([^']+)'\)", NO_WINNER)
    session = ChatSession(f"examples-{uuid.uuid4().hex}", settings=Settings())
    assert session.send(search).pending is not None  # a search drafted for approval
    reply = answer_in_new_thread(backtest)
    assert reply.startswith("Backtest of a 12% target-vol strategy") and "AAPL, KO" in reply
    assert "2015-01-02" in reply, reply
