"""Fourteen portfolio-manager conversations through the chat with the offline model (issue 51), in
words no evaluation case uses: lower-case tickers, shorthand ("minvar", "1d 99 var", "es",
"30pct", "6 wks", "last 2y", "bt", "qtrly rebal", "w/o", "strats", "acct", "since '19", ">15%",
"cap 40", "ex financials", "2y lookback", "last qtr"), shares in words ("a third"), terse follow-ups that lean on the thread ("and es at 97.5?", "drop whichever has the
lowest weight and redo", "make it since 2020", "now w/o the energy name"). Every number a reply
states is recomputed here from the embedded closes with cvxpy, scipy or plain numpy, and each
reply's "Used:" and "Limits kept:" state exactly the universe, window, weights and limits the
tools were given, and nothing it did not use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from graphs.chat import ChatSession
from settings import Settings
from tests.graphs.test_assistant_analysis import CLOSES, INDEX

WINDOW = ("2018-01-02", "2022-12-28")
"""The default window of a build: the market data's last five years."""
TIGHT: dict[str, Any] = {"solver": "CLARABEL", "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12,
                         "tol_feas": 1e-12}  # fmt: skip
"""cvxpy's solver at tolerances under the shown weights' rounding."""


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("pm-conversations", settings=Settings())


def _send(session: ChatSession, text: str) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """The reply to `text` and the tool calls it made (routing left out)."""
    before = len(session.history())
    reply = session.send(text).replies[-1]
    calls = [
        (c["name"], c["args"])
        for m in session.history()[before:]
        for c in getattr(m, "tool_calls", [])
        if c["name"] != "Route"
    ]
    return reply, calls


def _returns(tickers: list[str], start: str = WINDOW[0], end: str = WINDOW[1]) -> pd.DataFrame:
    """Daily simple returns of `tickers` from `start` to `end` (the first from the close before)."""
    closes = CLOSES[tickers]
    first = closes.index.searchsorted(pd.Timestamp(start)) - 1
    return closes.iloc[first:].loc[:end].pct_change().dropna()


def _shown_weights(reply: str, tickers: list[str]) -> np.ndarray:
    return np.array([float(re.search(rf"\b{t} (-?[\d.]+)%", reply)[1]) / 100 for t in tickers])


def _shows(reply: str, label: str, value: float) -> None:
    """`reply` states `value` (a fraction) after `label`, right at the decimals it shows."""
    match = re.search(rf"{label} (-?\d+\.(\d+))%", reply)
    assert match, (label, reply)
    shown, decimals = float(match[1]), len(match[2])
    assert abs(shown - 100 * value) <= 0.5 * 10**-decimals + 1e-9, (label, shown, value)


def _used(reply: str) -> str:
    """The reply's "Used: ..." statement."""
    match = re.search(r"Used: .*?\.(?=\s|$)", reply)
    assert match, reply
    return match[0]


def _tail(returns: np.ndarray, level: float) -> tuple[float, float]:
    """Historical one-day VaR and CVaR at `level` (losses positive)."""
    losses = -returns
    var = float(np.quantile(losses, level))
    return var, float(losses[losses >= var].mean())


def _min_variance(
    returns: pd.DataFrame, groups: dict[tuple[str, ...], float] | None = None, cap: float = 1.0
) -> np.ndarray:
    """Long-only, fully invested minimum variance with every weight at most `cap` and the sum
    of each group at most its own (cvxpy)."""
    import cvxpy as cp

    w = cp.Variable(returns.shape[1])
    cov = np.cov(returns.to_numpy().T)
    constraints = [cp.sum(w) == 1, w >= 0, w <= cap]
    for names, cap in (groups or {}).items():
        members = np.array([t in names for t in returns.columns], dtype=float)
        constraints.append(members @ w <= cap)
    cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov))), constraints).solve(**TIGHT)
    return np.asarray(w.value)


def _max_sharpe(returns: pd.DataFrame, cap: float, floor: float = 0.0) -> np.ndarray:
    """Long-only maximum Sharpe ratio (risk-free rate 0) with every weight within [`floor`,
    `cap`]: the convex form in y = w / (mu'w), solved with cvxpy."""
    import cvxpy as cp

    mu = returns.mean().to_numpy() * 252
    cov = np.cov(returns.to_numpy().T) * 252
    y = cp.Variable(len(mu))
    constraints = [mu @ y == 1, y >= floor * cp.sum(y), y <= cap * cp.sum(y)]
    cp.Problem(cp.Minimize(cp.quad_form(y, cp.psd_wrap(cov))), constraints).solve(**TIGHT)
    return np.asarray(y.value / y.value.sum())


def _risk_parity(returns: pd.DataFrame) -> np.ndarray:
    """Equal risk contributions: the minimum of w'Σw/2 - mean(log w), normalised (scipy)."""
    cov = np.cov(returns.to_numpy().T)
    n = cov.shape[0]
    found = minimize(
        lambda w: 0.5 * w @ cov @ w - np.log(w).sum() / n,
        np.full(n, 1 / n),
        jac=lambda w: cov @ w - 1 / (n * w),
        bounds=[(1e-9, None)] * n,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
    )
    return found.x / found.x.sum()


def _beta(stock: pd.Series, market: pd.Series) -> float:
    both = pd.concat([stock, market], axis=1, join="inner").to_numpy()
    return float(np.cov(both.T)[0, 1] / np.var(both[:, 1], ddof=1))


def test_minvar_with_a_third_in_tech_is_a_group_limit_kept(session: ChatSession) -> None:
    reply, calls = _send(session, "minvar on aapl, msft, jnj, ko, pg - techs at most a third combined")  # fmt: skip
    tickers = ["AAPL", "MSFT", "JNJ", "KO", "PG"]
    ((name, args),) = calls
    assert name == "optimize_portfolio" and args["universe"] == tickers
    assert args["sector_limits"] == {"tech": {"min": 0.0, "max": pytest.approx(1 / 3, abs=1e-4)}}
    assert "max_weight" not in args  # a group limit, not a cap on each stock
    expected = _min_variance(_returns(tickers), {("AAPL", "MSFT"): 1 / 3})
    assert _shown_weights(reply, tickers) == pytest.approx(expected, abs=8e-4)
    held = expected[0] + expected[1]
    assert f"Limits kept: tech (AAPL, MSFT) within 0.0% to 33.3% in all (holds {held:.1%})" in reply
    assert "in any asset" not in reply and "Not used" not in reply
    assert _used(reply) == "Used: AAPL, JNJ, KO, MSFT, PG; 2018-01-02 to 2022-12-28; min volatility."  # fmt: skip


def test_a_99_var_of_given_weights_then_the_es_at_97_5(session: ChatSession) -> None:
    reply, calls = _send(session, "whats the 1d 99 var on 50 jpm 50 bac since 2020")
    weights = {"JPM": 0.5, "BAC": 0.5}
    assert calls == [("portfolio_risk_report", {"weights": weights, "level": 0.99, "start": "2020-01-01"})]  # fmt: skip
    daily = _returns(["JPM", "BAC"], "2020-01-01").to_numpy() @ np.array([0.5, 0.5])
    assert len(daily) == 754
    var, cvar = _tail(daily, 0.99)
    assert "At 99% confidence" in reply
    _shows(reply, "VaR is", var)
    _shows(reply, "CVaR", cvar)
    assert _used(reply).startswith("Used: BAC, JPM; 2020-01-02 to 2022-12-28;")
    reply, calls = _send(session, "and es at 97.5?")
    assert calls == [("portfolio_risk_report", {"weights": weights, "level": 0.975, "start": "2020-01-01"})]  # fmt: skip
    var, cvar = _tail(daily, 0.975)
    assert "97.5% confidence instead of 99.0%" in reply and "At 97.5% confidence" in reply
    _shows(reply, "VaR is", var)
    _shows(reply, "CVaR", cvar)


def test_max_sharpe_capped_then_the_lightest_name_dropped(session: ChatSession) -> None:
    reply, calls = _send(session, "max sharpe xom cvx jpm ko pg no single name above 30pct")
    tickers = ["XOM", "CVX", "JPM", "KO", "PG"]
    assert calls == [("optimize_portfolio", {"universe": tickers, "method": "max_sharpe", "max_weight": 0.3})]  # fmt: skip
    expected = _max_sharpe(_returns(tickers), 0.3)
    assert _shown_weights(reply, tickers) == pytest.approx(expected, abs=8e-4)
    largest = re.search(
        r"Limits kept: at most 30\.0% in any asset \(largest (\w+) 30\.0%\)\.", reply
    )
    assert largest and expected[tickers.index(largest[1])] == pytest.approx(0.3, abs=5e-4)
    lightest = tickers[int(np.argmin(expected))]
    rest = [t for t in tickers if t != lightest]
    reply, calls = _send(session, "drop whichever has the lowest weight and redo")
    assert calls == [("optimize_portfolio", {"universe": rest, "method": "max_sharpe", "max_weight": 0.3})]  # fmt: skip
    assert f"dropped {lightest}, the lowest weight (" in reply
    again = _max_sharpe(_returns(rest), 0.3)
    assert _shown_weights(reply, rest) == pytest.approx(again, abs=8e-4)
    assert _used(reply) == f"Used: {', '.join(sorted(rest))}; 2018-01-02 to 2022-12-28; max sharpe."  # fmt: skip
    assert "Not used" not in reply


def test_risk_parity_then_a_later_start(session: ChatSession) -> None:
    tickers = ["PFE", "MRK", "LLY", "UNH"]
    reply, calls = _send(session, "risk parity on pfe mrk lly unh")
    assert calls == [("optimize_portfolio", {"universe": tickers, "method": "risk_parity"})]
    assert _shown_weights(reply, tickers) == pytest.approx(_risk_parity(_returns(tickers)), abs=8e-4)  # fmt: skip
    reply, calls = _send(session, "make it since 2020")
    assert calls == [("optimize_portfolio", {"universe": tickers, "method": "risk_parity", "start": "2020-01-01"})]  # fmt: skip
    expected = _risk_parity(_returns(tickers, "2020-01-01"))
    assert _shown_weights(reply, tickers) == pytest.approx(expected, abs=8e-4)
    assert _used(reply) == "Used: LLY, MRK, PFE, UNH; 2020-01-02 to 2022-12-28; risk parity."


def test_the_volatility_of_six_recent_weeks(session: ChatSession) -> None:
    reply, calls = _send(session, "how volatile was amd over the past 6 wks")
    ((name, args),) = calls
    assert name == "market_statistics" and args["universe"] == ["AMD"]
    recent = CLOSES["AMD"].pct_change().iloc[-30:]  # six weeks of five sessions
    assert args["start"] == f"{recent.index[0]:%Y-%m-%d}"
    _shows(reply.split("AMD:")[1], "volatility", float(recent.std() * np.sqrt(252)))
    assert _used(reply) == f"Used: AMD; {recent.index[0]:%Y-%m-%d} to 2022-12-28."
    assert "fewer than" not in reply and "Not used" not in reply


def test_a_market_fall_on_capital_split_evenly(session: ChatSession) -> None:
    reply, calls = _send(session, "if the s&p tanks 15%, whats the hit on 2m split evenly across hd wmt ko")  # fmt: skip
    ((name, args),) = calls
    assert name == "stress_test"
    assert (args["market_move"], args["capital"]) == (-0.15, 2_000_000)
    tickers = ["HD", "WMT", "KO"]
    returns = _returns(tickers)
    market = INDEX.pct_change().loc[returns.index]
    loss = -0.15 * np.mean([_beta(returns[t], market) for t in tickers])
    _shows(reply, "the portfolio loses", -loss)
    money = float(re.search(r"\(-([\d,]+)\)", reply)[1].replace(",", ""))
    assert money == pytest.approx(-loss * 2_000_000, abs=100)
    assert "HD 33.3%, KO 33.3%, WMT 33.3%" in reply


def test_a_question_about_sharing_an_account_acts_on_nothing(session: ChatSession) -> None:
    reply, calls = _send(session, "can i run two strats on one paper acct?")
    assert [name for name, _ in calls] == ["search_guide"]
    first = re.search(r'\(docs/(\w+)\.md, "([^"]+)"\)', reply)
    assert first and first.groups() == ("deployments", "Strategies sharing an account")
    assert "Nothing was changed or computed" in reply


def test_min_vol_then_the_energy_name_left_out(session: ChatSession) -> None:
    tickers = ["AAPL", "MSFT", "JPM", "XOM", "KO"]
    reply, calls = _send(session, "min vol aapl msft jpm xom ko")
    assert calls == [("optimize_portfolio", {"universe": tickers, "method": "min_volatility"})]
    assert _shown_weights(reply, tickers) == pytest.approx(_min_variance(_returns(tickers)), abs=8e-4)  # fmt: skip
    reply, calls = _send(session, "now w/o the energy name")
    rest = ["AAPL", "MSFT", "JPM", "KO"]
    assert calls == [("optimize_portfolio", {"universe": rest, "method": "min_volatility"})]
    assert "energy left out (XOM)" in reply
    assert _shown_weights(reply, rest) == pytest.approx(_min_variance(_returns(rest)), abs=8e-4)
    assert _used(reply) == "Used: AAPL, JPM, KO, MSFT; 2018-01-02 to 2022-12-28; min volatility."


def test_a_beta_over_the_last_two_years(session: ChatSession) -> None:
    reply, calls = _send(session, "msft beta vs the index last 2y?")
    assert calls == [("asset_statistics", {"universe": ["MSFT"], "last_sessions": 504})]
    stock = CLOSES["MSFT"].pct_change().iloc[-504:]
    beta = _beta(stock, INDEX.pct_change())
    assert f"MSFT: beta {beta:.2f} to the S&P 500 index" in reply
    assert _used(reply) == f"Used: MSFT; {stock.index[0]:%Y-%m-%d} to 2022-12-28."


def _rebalanced_quarterly(returns: pd.DataFrame, weights: np.ndarray) -> float:
    """The total return of `weights` bought at the close before `returns` start and traded back
    to them at the close of the first session of each new quarter (not the first session, not
    the last), without costs."""
    held = weights.astype(float).copy()
    quarters = returns.index.to_period("Q")
    for row, day in enumerate(returns.to_numpy()):
        held *= 1.0 + day
        new_quarter = row > 0 and quarters[row] != quarters[row - 1]
        if new_quarter and row + 1 < len(returns):
            held = held.sum() * weights
    return float(held.sum() - 1.0)


def test_a_backtest_said_in_shorthand(session: ChatSession) -> None:
    reply, calls = _send(session, "bt 70/30 msft/pg qtrly rebal from 2019")
    assert calls == [("backtest_weights", {"weights": {"MSFT": 0.7, "PG": 0.3}, "start": "2019-01-01", "rebalance": "quarterly"})]  # fmt: skip
    returns = _returns(["MSFT", "PG"], "2019-01-01")
    _shows(reply, "total return", _rebalanced_quarterly(returns, np.array([0.7, 0.3])))
    assert "rebalanced quarterly with no trading costs" in reply
    assert _used(reply) == (
        "Used: MSFT, PG; 2019-01-02 to 2022-12-28; weights MSFT 70.0%, PG 30.0%; rebalanced "
        "quarterly."
    )


def test_erc_since_a_two_digit_year(session: ChatSession) -> None:
    tickers = ["AAPL", "MSFT", "XOM", "JPM"]
    reply, calls = _send(session, "erc aapl msft xom jpm since '19")
    assert calls == [("optimize_portfolio", {"universe": tickers, "start": "2019-01-01", "method": "risk_parity"})]  # fmt: skip
    expected = _risk_parity(_returns(tickers, "2019-01-01"))
    assert _shown_weights(reply, tickers) == pytest.approx(expected, abs=8e-4)
    assert _used(reply) == "Used: AAPL, JPM, MSFT, XOM; 2019-01-02 to 2022-12-28; risk parity."


def test_a_sector_left_out_with_a_cap_in_signs(session: ChatSession) -> None:
    reply, calls = _send(session, "min vol on all names ex financials, no name >15%")
    ((name, args),) = calls
    names = [t for t in CLOSES.columns if t not in ("BAC", "JPM")]  # the financials here
    assert name == "optimize_portfolio" and sorted(args["universe"]) == sorted(names)
    assert args["max_weight"] == 0.15 and "sector_limits" not in args
    expected = _min_variance(_returns(args["universe"]), cap=0.15)
    assert _shown_weights(reply, args["universe"]) == pytest.approx(expected, abs=8e-4)
    assert "Left out as asked: financials." in reply and "Not used" not in reply
    assert "Limits kept: at most 15.0% in any asset (largest" in reply


def test_a_floor_then_a_cap_said_as_a_bare_number(session: ChatSession) -> None:
    tickers = ["LLY", "UNH", "MRK"]
    reply, calls = _send(session, "max sharpe lly unh mrk, at least 10% each")
    assert calls == [("optimize_portfolio", {"universe": tickers, "method": "max_sharpe", "min_weight": 0.1})]  # fmt: skip
    returns = _returns(tickers)
    assert _shown_weights(reply, tickers) == pytest.approx(_max_sharpe(returns, 1.0, 0.1), abs=8e-4)  # fmt: skip
    reply, calls = _send(session, "cap 40 too")
    ((name, args),) = calls
    assert (name, args["max_weight"], args["min_weight"]) == ("optimize_portfolio", 0.4, 0.1)
    expected = _max_sharpe(returns, 0.4, 0.1)
    assert _shown_weights(reply, tickers) == pytest.approx(expected, abs=8e-4)
    smallest = tickers[int(np.argmin(expected))]
    assert f"at least 10.0% in every asset (smallest {smallest} {min(expected):.1%})" in reply
    assert "Limits kept: at most 40.0% in any asset" in reply and "Not used" not in reply


def test_min_variance_over_a_lookback_then_a_quarter_s_volatility(session: ChatSession) -> None:
    tickers = ["KO", "PG", "PEP", "WMT"]
    reply, calls = _send(session, "min-var KO/PG/PEP/WMT 2y lookback")
    recent = CLOSES[tickers].pct_change().iloc[-504:]  # two years of sessions
    assert calls == [("optimize_portfolio", {"universe": tickers, "start": f"{recent.index[0]:%Y-%m-%d}", "method": "min_volatility"})]  # fmt: skip
    assert _shown_weights(reply, tickers) == pytest.approx(_min_variance(recent), abs=8e-4)
    reply, calls = _send(session, "vol of 50/50 aapl ko last qtr")
    assert calls == [("asset_statistics", {"weights": {"AAPL": 0.5, "KO": 0.5}, "last_sessions": 63})]  # fmt: skip
    quarter = CLOSES[["AAPL", "KO"]].pct_change().iloc[-63:].to_numpy() @ np.array([0.5, 0.5])
    _shows(reply, "had volatility", float(quarter.std(ddof=1) * np.sqrt(252)))
    assert _used(reply) == f"Used: AAPL, KO; {CLOSES.index[-63]:%Y-%m-%d} to 2022-12-28; equal weights."  # fmt: skip
