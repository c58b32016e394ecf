"""What a portfolio manager writes, in other words than the shipped eval cases, through the chat
with the offline model (issue 34): the weights, windows, limits, saved portfolios and thread
edits the words state reach the tools, and the numbers in the replies equal a plain numpy or
scipy computation from the embedded closes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from graphs.chat import ChatSession
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.graphs.test_assistant_analysis import CLOSES, INDEX, _calls


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("pm-phrasings", settings=Settings())


def _shown(reply: str, label: str) -> tuple[float, int]:
    """The percentage after `label` in `reply`, and its decimals."""
    match = re.search(rf"{label} (-?\d+\.(\d+))%", reply)
    assert match, (label, reply)
    return float(match.group(1)), len(match.group(2))


def _quoted(reply: str, label: str, value: float) -> None:
    """`reply` quotes `value` (a fraction) after `label`, at the precision it shows."""
    shown, decimals = _shown(reply, label)
    assert abs(shown - 100 * value) <= 0.5 * 10**-decimals + 1e-9, (label, shown, value)


def _tail_loss(returns: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Historical one-day VaR and CVaR (losses as positive numbers)."""
    losses = -returns
    var = float(np.quantile(losses, level))
    return var, float(losses[losses >= var].mean())


def _min_variance(returns: pd.DataFrame, cap: float = 1.0) -> np.ndarray:
    """Long-only, fully invested minimum variance under a cap on every weight (scipy SLSQP)."""
    cov = np.cov(returns.to_numpy().T)
    n = cov.shape[0]
    found = minimize(
        lambda w: w @ cov @ w,
        np.full(n, 1 / n),
        jac=lambda w: 2 * cov @ w,
        bounds=[(0.0, cap)] * n,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return np.asarray(found.x)


def _built_weights(session: ChatSession, tickers: list[str]) -> np.ndarray:
    """The weights of the latest portfolio built in the thread (the tool's result)."""
    built = [m for m in session.history() if getattr(m, "name", None) == "optimize_portfolio"]
    weights = json.loads(built[-1].text)["weights"]
    return np.array([weights[t] for t in tickers])


def test_given_weights_over_the_last_12_months(session: ChatSession) -> None:
    reply = session.send(
        "what's the 95% CVaR of 40% KO, 30% PG and 30% PEP over the last 12 months?"
    ).replies[-1]
    assert _calls(session) == [
        (
            "portfolio_risk_report",
            {"weights": {"KO": 0.4, "PG": 0.3, "PEP": 0.3}, "level": 0.95, "start": "2021-12-29"},
        )
    ]
    returns = CLOSES[["KO", "PG", "PEP"]].pct_change().iloc[-252:]
    var, cvar = _tail_loss(returns.to_numpy() @ np.array([0.4, 0.3, 0.3]))
    _quoted(reply, "VaR is", var)
    _quoted(reply, "CVaR", cvar)
    assert (
        f"from {returns.index[0]:%Y-%m-%d} to 2022-12-28 (252 sessions; the market data " in reply
    )


def test_a_cap_in_words_and_a_swap_in_the_thread_build_what_scipy_finds(
    session: ChatSession,
) -> None:
    reply = session.send("min vol of AAPL MSFT JPM XOM, weights capped at thirty percent")
    tickers = ["AAPL", "MSFT", "JPM", "XOM"]
    assert _calls(session)[0][1]["max_weight"] == 0.3
    assert "Limits kept: at most 30.0% in any asset" in reply.replies[-1]
    returns = CLOSES[tickers].loc["2017-12-29":].pct_change().dropna()
    expected = _min_variance(returns, cap=0.3)
    assert _built_weights(session, tickers) == pytest.approx(expected, abs=1e-3)
    before = len(session.history())
    session.send("swap XOM for WMT")
    tickers = ["AAPL", "MSFT", "JPM", "WMT"]
    (call,) = _calls(session, before)
    assert call == ("optimize_portfolio", {"universe": tickers, "method": "min_volatility",
                                           "max_weight": 0.3})  # fmt: skip
    returns = CLOSES[tickers].loc["2017-12-29":].pct_change().dropna()
    expected = _min_variance(returns, cap=0.3)
    assert _built_weights(session, tickers) == pytest.approx(expected, abs=1e-3)


def test_the_worst_day_of_the_thread_s_portfolio_in_a_year(session: ChatSession) -> None:
    session.send("hrp of AAPL MSFT JPM XOM")
    (built,) = [m for m in session.history() if getattr(m, "name", None) == "optimize_portfolio"]
    weights = pd.Series(json.loads(built.text)["weights"])
    before = len(session.history())
    reply = session.send("what was the worst day for that portfolio in 2020?").replies[-1]
    (call,) = _calls(session, before)  # no new build: the thread's portfolio
    assert call[0] == "asset_statistics" and call[1]["portfolio_id"].startswith("pf_")
    assert (call[1]["start"], call[1]["end"]) == ("2020-01-01", "2020-12-31")
    closes = CLOSES[list(weights.index)]
    returns = closes.pct_change().loc["2020-01-01":"2020-12-31"]
    daily = returns.to_numpy() @ weights.to_numpy()
    worst = int(np.argmin(daily))
    assert f"worst day {returns.index[worst]:%Y-%m-%d} ({daily[worst]:.2%})" in reply


def test_a_market_move_on_the_index_named_spx_in_currency(session: ChatSession) -> None:
    reply = session.send("if SPX drops 20% what happens to 60% JPM 40% BAC on $5m?").replies[-1]
    ((name, args),) = _calls(session)
    assert name == "stress_test"
    assert (args["market_move"], args["weights"], args["capital"]) == (
        -0.2,
        {"JPM": 0.6, "BAC": 0.4},
        5_000_000,
    )
    stocks = CLOSES[["JPM", "BAC"]].pct_change().loc["2018-01-01":].dropna()
    market = INDEX.pct_change().loc[stocks.index].to_numpy()
    betas = [np.cov(stocks[t].to_numpy(), market)[0, 1] / market.var(ddof=1) for t in stocks]
    loss = -0.2 * np.array([0.6, 0.4]) @ np.array(betas)
    shown = re.search(r"the portfolio loses (\d+\.\d)% \((-[\d,]+)\)", reply)
    assert shown and shown.group(1) == f"{abs(loss) * 100:.1f}"
    assert float(shown.group(2).replace(",", "")) == pytest.approx(5_000_000 * loss, rel=1e-3)


def test_a_saved_portfolio_named_by_the_user_is_the_one_measured(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    weights = {"KO": 0.4, "PEP": 0.3, "PG": 0.2, "WMT": 0.1}
    rows = [{"asset": t, "weight": w} for t, w in weights.items()]
    saved = store.create_portfolio("alice", "Staples", {"weights": rows})
    session = ChatSession("pm-saved", settings=Settings(), owner="alice", store=store)
    reply = session.send("what's the 95% CVaR of my Staples portfolio?").replies[-1]
    assert _calls(session) == [("portfolio_risk_report", {"portfolio_id": saved.id, "level": 0.95})]
    returns = CLOSES[list(weights)].pct_change().loc["2018-01-01":]
    _, cvar = _tail_loss(returns.to_numpy() @ np.array(list(weights.values())))
    _quoted(reply, "CVaR", cvar)
    # the sector named alone is still the sector, at equal weights
    before = len(session.history())
    session.send("what's the CVaR of the staples?")
    assert _calls(session, before)[0][1]["weights"] == dict.fromkeys(
        ["KO", "PEP", "PG", "WMT"], 0.25
    )


MY_PORTFOLIO_ASKS = (
    "how volatile has my portfolio been since 2020?",
    "what has my portfolio returned since 2019?",
    "how much would my portfolio lose if the market fell 20%?",
    "how volatile was my portfolio in 2022?",
    "how is my portfolio holding up?",
    "what's the CVaR of my portfolio?",
    "what's the max drawdown on my book since 2021?",
)


def _saved(store: Store, name: str, weights: dict[str, float]) -> str:
    rows = [{"asset": t, "weight": w} for t, w in weights.items()]
    return str(store.create_portfolio("alice", name, {"weights": rows}).id)


@pytest.mark.parametrize("saved", [0, 2])
def test_my_portfolio_unsaid_is_asked_for_not_built(
    offline_data_dir: Path, tmp_path: Path, saved: int
) -> None:
    """With no portfolio saved, or several, "my portfolio" is asked about: "how volatile has my
    portfolio been since 2020?" built and saved an HRP portfolio of every stock."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    for n in range(saved):
        _saved(store, f"Book {n}", {"KO": 0.5, "PEP": 0.5})
    session = ChatSession("pm-mine", settings=Settings(), owner="alice", store=store)
    for ask in MY_PORTFOLIO_ASKS:
        before = len(session.history())
        reply = session.send(ask).replies[-1]
        asked = "Which portfolio: Book 0 or Book 1?" if saved else "Which portfolio or stocks?"
        assert reply.startswith(asked), (ask, reply)
        assert _calls(session, before) == [], ask
    assert len(store.list_portfolios("alice")) == saved


SAVED_NAMES = {"Core": {"KO": 0.5, "PEP": 0.5}, "income (2024)": {"XOM": 0.6, "JNJ": 0.4}}
"""Saved portfolios, one name with characters a pattern would read otherwise."""


@pytest.mark.parametrize(
    "answer", ["income (2024)", "Income (2024).", "the income (2024) one", "my INCOME (2024) book"]
)
def test_with_several_saved_the_question_names_them_and_a_name_answers_it(
    offline_data_dir: Path, tmp_path: Path, answer: str
) -> None:
    """With several portfolios saved, "my portfolio" is asked about by their names; a reply
    that is one of the names runs the question asked on that portfolio."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    extra = {f"Book {n}": {"AAPL": 1.0} for n in range(8)}  # ten saved: eight named, two counted
    ids = {name: _saved(store, name, w) for name, w in {**SAVED_NAMES, **extra}.items()}
    unread = MY_PORTFOLIO_ASKS[4]  # "holding up": no statistic read, of a portfolio or not
    for number, ask in enumerate(
        (*MY_PORTFOLIO_ASKS, "stress test it", "is it riskier than the market?")
    ):
        session = ChatSession(f"pm-which-{number}", settings=Settings(), owner="alice", store=store)
        reply = session.send(ask).replies[-1]
        listed = "Book 0, Book 1, Book 2, Book 3, Book 4, Book 5, Book 6, Book 7 or 2 more?"
        assert reply.startswith(f"Which portfolio: {listed}"), reply
        before = len(session.history())
        reply = session.send(answer).replies[-1]
        calls = _calls(session, before)
        if ask == unread:  # said, not asked again: a name given twice would loop
            assert reply.startswith("I could not tell what to measure of income (2024)"), reply
            assert calls == []
            continue
        assert {args.get("portfolio_id") for _, args in calls} == {ids["income (2024)"]}, ask
    session = ChatSession("pm-which-other", settings=Settings(), owner="alice", store=store)
    session.send(MY_PORTFOLIO_ASKS[0])
    before = len(session.history())
    session.send("Growth")  # a name not saved: nothing runs on another portfolio
    assert all(args.get("portfolio_id") is None for _, args in _calls(session, before))


def test_my_portfolio_is_never_another_owner_s(offline_data_dir: Path, tmp_path: Path) -> None:
    """Two owners, each with one saved portfolio under the same name: each one's "my portfolio"
    is their own; an owner with none is asked which, never given the other's."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    mine = {"alice": {"KO": 0.5, "XOM": 0.5}, "bob": {"AAPL": 0.7, "MSFT": 0.3}}
    ids = {}
    for owner, weights in mine.items():
        rows = [{"asset": t, "weight": w} for t, w in weights.items()]
        ids[owner] = store.create_portfolio(owner, "Core", {"weights": rows}).id
    for owner in mine:
        session = ChatSession(f"pm-{owner}", settings=Settings(), owner=owner, store=store)
        session.send(MY_PORTFOLIO_ASKS[2])
        assert [a.get("portfolio_id") for _, a in _calls(session)] == [ids[owner]], owner
    carol = ChatSession("pm-carol", settings=Settings(), owner="carol", store=store)
    reply = carol.send(MY_PORTFOLIO_ASKS[2]).replies[-1]
    assert reply.startswith("Which portfolio or stocks?") and _calls(carol) == [], reply


def test_my_portfolio_is_the_one_the_owner_saved(offline_data_dir: Path, tmp_path: Path) -> None:
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    weights = {"KO": 0.5, "AAPL": 0.3, "XOM": 0.2}
    saved = _saved(store, "Core", weights)
    session = ChatSession("pm-mine", settings=Settings(), owner="alice", store=store)
    reply = session.send(MY_PORTFOLIO_ASKS[2]).replies[-1]
    [(name, args)] = _calls(session)
    assert args["portfolio_id"] == saved and "weights" not in args, (name, args)
    window = re.search(r"estimated from (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})", reply)
    loss = re.search(r"the portfolio loses (\d+\.\d)%", reply)
    assert window is not None and loss is not None, reply
    returns = CLOSES[list(weights)].pct_change().loc[window[1] : window[2]]
    market = INDEX.pct_change().loc[window[1] : window[2]]
    betas = [np.cov(returns[t], market)[0, 1] / np.var(market, ddof=1) for t in weights]
    expected = 0.2 * float(np.array(betas) @ np.array(list(weights.values())))
    assert float(loss[1]) / 100 == pytest.approx(expected, abs=0.0006), reply
    for ask in (*MY_PORTFOLIO_ASKS[:2], MY_PORTFOLIO_ASKS[3], *MY_PORTFOLIO_ASKS[5:]):
        before = len(session.history())
        session.send(ask)
        assert [args.get("portfolio_id") for _, args in _calls(session, before)] == [saved], ask


def test_my_portfolio_in_a_conversation_that_built_one_is_that_one(offline_data_dir: Path) -> None:
    """After a build, "my portfolio" is the portfolio built, not every stock of the market."""
    session = ChatSession("pm-built", settings=Settings())
    built = session.send("build a min vol portfolio of AAPL, KO and PG").replies[-1]
    before = len(session.history())
    reply = session.send(MY_PORTFOLIO_ASKS[0]).replies[-1]
    [(name, args)] = _calls(session, before)
    assert name == "asset_statistics" and f"({args.get('portfolio_id')})" in built, (args, built)
    assert re.search(r"the portfolio \([^)]*\) had volatility \d+\.\d% a year", reply), reply


def test_the_agents_are_told_of_saved_portfolios_other_than_the_thread_s(tmp_path: Path) -> None:
    from graphs.thread_bindings import saved_portfolios_context

    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    assert saved_portfolios_context(store, "alice", "chat:t1") is None
    rows = [{"asset": "KO", "weight": 0.6}, {"asset": "PG", "weight": 0.4}]
    staples = store.create_portfolio("alice", "Staples", {"weights": rows})
    built = {"weights": {"AAPL": 1.0}, "source": {"thread_id": "t1", "chat_id": "pf_1a2b3c"}}
    store.create_portfolio("alice", "HRP portfolio of AAPL", built)
    store.create_portfolio("bob", "Bob's", {"weights": rows})
    mine = saved_portfolios_context(store, "alice", "chat:t1")
    assert mine is not None and f"- Staples: {staples.id} (KO 60%, PG 40%)" in mine
    assert "HRP portfolio of AAPL" not in mine and "Bob" not in mine  # the thread holds its own
    elsewhere = saved_portfolios_context(store, "alice", "chat:t2")
    assert elsewhere is not None and "HRP portfolio of AAPL" in elsewhere


def _volatility(weights: dict[str, float], start: str) -> float:
    """Annualised volatility (sqrt(252), ddof 1) of `weights` held at constant weights from
    `start` to the data's end."""
    returns = CLOSES[list(weights)].pct_change().loc[start:]
    return float(np.std(returns.to_numpy() @ np.array(list(weights.values())), ddof=1) * 252**0.5)


def test_saved_portfolios_named_in_a_question_are_measured_and_compared(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    """A saved portfolio named in the question ("my Core portfolio", "the Core portfolio") is
    the one measured; two named are compared side by side under their names."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    weights = {"Core": {"KO": 0.5, "PEP": 0.5}, "Growth": {"AAPL": 0.7, "MSFT": 0.3}}
    ids = {name: _saved(store, name, w) for name, w in weights.items()}
    measured = {
        "how volatile has my Core portfolio been since 2020?": "Core",
        "what is the CVaR of my Growth portfolio?": "Growth",
        "how volatile has the Core portfolio been since 2020?": "Core",
        "what's the max drawdown of my Growth book since 2021?": "Growth",
    }
    for number, (ask, name) in enumerate(measured.items()):
        session = ChatSession(f"pm-named-{number}", settings=Settings(), owner="alice", store=store)
        reply = session.send(ask).replies[-1]
        calls = _calls(session)
        assert calls and {args.get("portfolio_id") for _, args in calls} == {ids[name]}, (
            ask,
            reply,
        )
        if ask.startswith("how volatile"):
            _quoted(reply, "had volatility", _volatility(weights[name], "2020-01-01"))
        if "CVaR" in ask:  # named as the owner named it
            assert reply.startswith(f"{name} ({ids[name]}): At 95% confidence"), reply
            returns = CLOSES[list(weights[name])].pct_change().loc["2018-01-01":].to_numpy()
            _quoted(reply, "CVaR", _tail_loss(returns @ np.array(list(weights[name].values())))[1])
    compared = {
        "compare my Core portfolio and my Growth portfolio": ["Core", "Growth"],
        "which is riskier, my Growth portfolio or my Core portfolio?": ["Growth", "Core"],
    }
    for number, (ask, names) in enumerate(compared.items()):
        session = ChatSession(
            f"pm-compared-{number}", settings=Settings(), owner="alice", store=store
        )
        reply = session.send(ask).replies[-1]
        [(tool, args)] = _calls(session)
        assert (tool, args["portfolio_ids"]) == ("compare_portfolios", [ids[n] for n in names])
        for name in names:
            label = rf"{name} \({ids[name]}\): return \d+\.\d+% a year, volatility"
            _quoted(reply, label, _volatility(weights[name], "2018-01-01"))
    session = ChatSession("pm-stressed", settings=Settings(), owner="alice", store=store)
    reply = session.send("stress test my Core portfolio and my Growth portfolio for a 30% crash")
    calls = _calls(session)
    assert [(tool, args["portfolio_id"]) for tool, args in calls] == [
        ("stress_test", ids["Core"]),
        ("stress_test", ids["Growth"]),
    ]
    answers = reply.replies[-1].split("\n\n")
    assert [a.split(": ", 1)[0] for a in answers[:2]] == [f"{n} ({ids[n]})" for n in ids]


def test_portfolios_named_beyond_the_most_measured_are_said(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    """Seven portfolios named by id: the first five get a risk report each, the answer names the
    two it did not measure."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    ids = [_saved(store, f"Book {n}", {"KO": 0.5, "PEP": 0.5}) for n in range(7)]
    session = ChatSession("pm-seven", settings=Settings(), owner="alice", store=store)
    reply = session.send(f"what is the 95% CVaR of {', '.join(ids)}?").replies[-1]
    assert [args["portfolio_id"] for _, args in _calls(session)] == ids[:5]
    assert f"not {ids[5]}, {ids[6]}: ask about them again" in reply, reply
