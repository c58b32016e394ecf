"""asset_statistics, stress_test, loss_probability, backtest_weights and compare_portfolios: every
number against a plain numpy computation from the embedded closes written here, the window and
the data's end named in every answer, bad arguments refused naming the field."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import generate_scenarios, hierarchical_risk_parity, min_volatility
from quant.data import load_sp500_index, load_sp500_prices
from tools import ToolContext, build_tools

CLOSES = load_sp500_prices()
INDEX = load_sp500_index()


@pytest.fixture(scope="module")
def tools() -> dict[str, Any]:
    return {t.name: t for t in build_tools(ToolContext())}


def _call(tools: dict[str, Any], name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = tools[name].invoke(args)
    assert isinstance(result, dict), result
    json.dumps(result, allow_nan=False)
    return result


def _close(got: float | None, expected: float, rel: float = 6e-4) -> bool:
    """Within the 4 significant digits a tool keeps."""
    assert got is not None
    return abs(got - expected) <= rel * abs(expected) + 1e-9


def _window(first: str, last: str, tickers: list[str]) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Closes from the session before `first` to `last`, and the dates of the returns."""
    dates = CLOSES.index
    lo = dates.searchsorted(pd.Timestamp(first)) - 1
    hi = dates.searchsorted(pd.Timestamp(last), side="right")
    return CLOSES[tickers].to_numpy()[lo:hi], dates[lo + 1 : hi]


def test_statistics_of_stocks_over_a_window(tools: dict[str, Any]) -> None:
    out = _call(
        tools, "asset_statistics", {"universe": ["XOM", "CVX"], "start": "2019", "end": "2021"}
    )
    closes, dates = _window("2019-01-01", "2021-12-31", ["XOM", "CVX"])
    assert out["window"] == {"start": "2019-01-02", "end": "2021-12-31", "sessions": len(dates),
                             "from_close_of": "2018-12-31"}  # fmt: skip
    assert out["data_end"] == "2022-12-28"
    r = closes[1:] / closes[:-1] - 1.0
    index = INDEX.loc[dates].to_numpy()
    m = INDEX.loc["2018-12-31":"2021-12-31"].pct_change().dropna().to_numpy()
    for k, name in enumerate(["XOM", "CVX"]):
        stats = out["assets"][name]
        assert _close(stats["cumulative_return"], closes[-1, k] / closes[0, k] - 1.0)
        assert _close(stats["annualised_return"], r[:, k].mean() * 252)
        assert _close(stats["cagr"], (closes[-1, k] / closes[0, k]) ** (252 / len(r)) - 1.0)
        assert _close(stats["volatility"], r[:, k].std(ddof=1) * np.sqrt(252))
        sharpe = r[:, k].mean() / r[:, k].std(ddof=1) * np.sqrt(252)  # risk-free rate 0
        assert _close(stats["sharpe_ratio"], sharpe)
        assert _close(stats["beta"], np.cov(r[:, k], m)[0, 1] / m.var(ddof=1))
        worst = int(np.argmin(r[:, k]))
        assert stats["worst_day"] == {
            "date": f"{dates[worst]:%Y-%m-%d}",
            "return": pytest.approx(r[worst, k], rel=6e-4),
        }
        month_ends = pd.Series(closes[1:, k], index=dates).groupby(dates.to_period("M")).last()
        month_starts = np.concatenate([[closes[0, k]], month_ends.to_numpy()[:-1]])
        monthly = month_ends.to_numpy() / month_starts - 1.0
        assert stats["worst_month"] == {"month": str(month_ends.index[np.argmin(monthly)]),
                                        "return": pytest.approx(monthly.min(), rel=6e-4)}  # fmt: skip
        assert stats["best_month"] == {"month": str(month_ends.index[np.argmax(monthly)]),
                                       "return": pytest.approx(monthly.max(), rel=6e-4)}  # fmt: skip
        wealth = closes[:, k] / closes[0, k]
        peaks = np.maximum.accumulate(wealth)
        trough = int(np.argmax(1 - wealth / peaks))
        peak = int(np.flatnonzero(wealth[: trough + 1] == peaks[trough])[-1])
        back = np.flatnonzero(wealth[trough:] >= wealth[peak])
        drawdown = stats["max_drawdown"]
        assert _close(drawdown["depth"], 1 - wealth[trough] / peaks[trough])
        all_dates = [
            f"{d:%Y-%m-%d}"
            for d in CLOSES.index[CLOSES.index.searchsorted(pd.Timestamp("2018-12-31")) :]
        ]
        assert drawdown["peak"] == all_dates[peak] and drawdown["trough"] == all_dates[trough]
        assert drawdown["recovery"] == (all_dates[trough + back[0]] if back.size else None)
    assert out["correlation"]["matrix"][0][1] == pytest.approx(np.corrcoef(r.T)[0, 1], rel=6e-4)
    pairs = np.corrcoef(r.T)[np.triu_indices(r.shape[1], k=1)]
    assert out["correlation"]["mean_pairwise"] == pytest.approx(pairs.mean(), rel=6e-4)
    assert _close(out["index"]["cumulative_return"], index[-1] / INDEX.loc["2018-12-31"] - 1.0)


def test_the_last_12_months_are_the_last_252_sessions_and_a_portfolio_is_held_daily(
    tools: dict[str, Any],
) -> None:
    weights = {"AAPL": 0.6, "KO": 0.4}
    out = _call(tools, "asset_statistics", {"weights": weights, "last_sessions": 252})
    dates = CLOSES.index[-252:]
    assert out["window"]["start"] == f"{dates[0]:%Y-%m-%d}" and out["window"]["sessions"] == 252
    assert out["window"]["from_close_of"] == f"{CLOSES.index[-253]:%Y-%m-%d}"
    closes = CLOSES[["AAPL", "KO"]].to_numpy()[-253:]
    daily = (closes[1:] / closes[:-1] - 1.0) @ np.array([0.6, 0.4])
    portfolio = out["portfolio"]
    assert portfolio["weights"] == weights and set(out["assets"]) == {"AAPL", "KO"}
    assert _close(portfolio["cumulative_return"], np.prod(1 + daily) - 1.0)
    assert _close(portfolio["volatility"], daily.std(ddof=1) * np.sqrt(252))
    assert _close(portfolio["sharpe_ratio"], daily.mean() / daily.std(ddof=1) * np.sqrt(252))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(CLOSES.columns)), min_size=3, max_size=4, unique=True),
    st.integers(30, 1500),
    st.booleans(),
)
def test_a_beta_against_another_stock_is_the_slope_on_its_returns(
    tools: dict[str, Any], names: list[str], sessions: int, as_portfolio: bool
) -> None:
    """`beta_to`: each asset's (and a portfolio's) beta is on that stock's daily returns over
    the same sessions, not the index's (issue 63: "beta of JPM to XOM" gave betas to the S&P
    500); the slope of an ordinary least-squares fit, by numpy."""
    *held, against = names
    weights = {t: 1.0 / len(held) for t in held}
    subject = {"weights": weights} if as_portfolio else {"universe": held}
    out = _call(
        tools,
        "asset_statistics",
        {**subject, "beta_to": against.lower(), "last_sessions": sessions},
    )
    assert out["beta_to"] == against and set(out["assets"]) == set(held)
    closes = CLOSES[[*held, against]].to_numpy()[-sessions - 1 :]
    r = closes[1:] / closes[:-1] - 1.0
    for k, name in enumerate(held):
        assert _close(out["assets"][name]["beta"], np.polyfit(r[:, -1], r[:, k], 1)[0], 2e-3)
    if as_portfolio:
        daily = r[:, :-1] @ np.array(list(weights.values()))
        assert _close(out["portfolio"]["beta"], np.polyfit(r[:, -1], daily, 1)[0], 2e-3)


def test_the_index_statistics_of_a_window_are_derived_once_per_data_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every question on a window describes the index over it again: a new thread's context on
    the same data object reuses what another derived, on the same sessions only, and another
    data object (an owner's own, a new version) derives its own."""
    from services.statistics import series_statistics
    from tools import statistics
    from tools.context import FrameMarketData, embedded_market_data

    described: list[list[str]] = []

    def counted(frame: pd.DataFrame, *args: Any) -> Any:
        described.append([str(c) for c in frame.columns])
        return series_statistics(frame, *args)

    monkeypatch.setattr(statistics, "series_statistics", counted)
    embedded = embedded_market_data()
    data = FrameMarketData(embedded.asset_returns, embedded.market_returns)  # this test's own

    def ask(source: FrameMarketData, universe: list[str], start: str) -> dict[str, Any]:
        args = statistics.StatisticsArgs(universe=universe, start=start, end="2021-12-31")
        return statistics.asset_statistics(ToolContext(data=source), args)

    first = ask(data, ["AAPL", "MSFT"], "2016-01-01")
    assert described == [["AAPL", "MSFT"], ["index"]]
    again = ask(data, ["KO"], "2016-01-01")  # another thread, the same sessions
    assert described[2:] == [["KO"]] and again["index"] == first["index"]
    ask(data, ["KO"], "2017-01-01")  # another window
    assert described[3:] == [["KO"], ["index"]]
    twin = FrameMarketData(embedded.asset_returns, embedded.market_returns)
    assert ask(twin, ["KO"], "2016-01-01")["index"] == first["index"]
    assert described[5:] == [["KO"], ["index"]]
    monkeypatch.undo()
    assert ask(FrameMarketData(embedded.asset_returns, embedded.market_returns), ["AAPL", "MSFT"],
               "2016-01-01") == first  # fmt: skip


def test_a_beta_against_an_unknown_stock_is_refused_by_name(tools: dict[str, Any]) -> None:
    out = tools["asset_statistics"].invoke({"universe": ["JPM"], "beta_to": "ZZZQ"})
    assert isinstance(out, str) and "unknown ticker ZZZQ" in out


def test_a_market_move_episodes_and_the_bear_case(tools: dict[str, Any]) -> None:
    weights = {"AAPL": 0.5, "MSFT": 0.3, "KO": 0.2}
    out = _call(tools, "stress_test", {"weights": weights, "capital": 1_000_000, "n_paths": 200})
    assert out["data_end"] == "2022-12-28" and out["window"]["start"] == "2018-01-02"
    closes, dates = _window("2018-01-01", "2022-12-28", list(weights))
    r = closes[1:] / closes[:-1] - 1.0
    m = INDEX.loc["2017-12-29":"2022-12-28"].pct_change().dropna().to_numpy()
    betas = np.array([np.cov(r[:, k], m)[0, 1] / m.var(ddof=1) for k in range(3)])
    w = np.array(list(weights.values()))
    move = out["market_move"]
    assert move["move"] == -0.2 and _close(move["portfolio_return"], -0.2 * w @ betas)
    assert _close(move["amount"], -0.2 * w @ betas * 1_000_000)
    assert [e["key"] for e in out["episodes"]] == ["gfc_2008", "covid_2020", "rates_2022"]
    for episode in out["episodes"]:
        span = CLOSES.loc[episode["start"] : episode["end"], list(weights)].to_numpy()
        value = (span / span[0]) @ w
        assert _close(episode["portfolio_return"], value[-1] - 1.0)
        assert _close(episode["amount"], (value[-1] - 1.0) * 1_000_000)
        assert _close(episode["max_drawdown"], np.max(1 - value / np.maximum.accumulate(value)))
        levels = INDEX.loc[episode["start"] : episode["end"]]
        assert _close(episode["index_return"], levels.iloc[-1] / levels.iloc[0] - 1.0)
    history = pd.DataFrame(r, index=dates, columns=list(weights))
    market = pd.Series(m, index=dates)
    paths = generate_scenarios(history, names=["bear"], n_paths=200, horizon=252, seed=0,
                               market=market).paths["bear"] @ w  # fmt: skip
    total = np.prod(1 + paths, axis=1) - 1.0
    bear = out["scenarios"]["bear"]
    assert _close(bear["median_return"], np.median(total))
    assert _close(bear["p05_return"], np.quantile(total, 0.05))
    assert _close(bear["prob_loss"], (total < 0).mean())
    assert _close(bear["p05_amount"], np.quantile(total, 0.05) * 1_000_000)


def test_only_what_is_asked_is_stressed(tools: dict[str, Any]) -> None:
    out = _call(tools, "stress_test", {"universe": ["JPM", "XOM"], "episodes": ["covid_2020"]})
    assert (
        "market_move" not in out and "scenarios" not in out and "amount" not in out["episodes"][0]
    )
    assert out["portfolio"]["weights"] == {"JPM": 0.5, "XOM": 0.5}
    refused = tools["stress_test"].invoke({"universe": ["JPM"], "episodes": ["dotcom_2000"]})
    assert isinstance(refused, str) and "episodes.0" in refused


def test_loss_probabilities_are_shares_of_the_paths(tools: dict[str, Any]) -> None:
    args = {"universe": ["AAPL", "KO"], "threshold": 0.15, "horizon": 126, "n_paths": 300,
            "scenarios": ["bear", "base"], "seed": 3}  # fmt: skip
    out = _call(tools, "loss_probability", args)
    closes, dates = _window("2018-01-01", "2022-12-28", ["AAPL", "KO"])
    history = pd.DataFrame(closes[1:] / closes[:-1] - 1.0, index=dates, columns=["AAPL", "KO"])
    market = INDEX.loc["2017-12-29":"2022-12-28"].pct_change().dropna()
    scenarios = generate_scenarios(history, names=["bear", "base"], n_paths=300, horizon=126,
                                   seed=3, market=market)  # fmt: skip
    for name in ("bear", "base"):
        daily = scenarios.paths[name] @ np.array([0.5, 0.5])
        wealth = np.cumprod(1 + daily, axis=1)
        total = wealth[:, -1] - 1.0
        drawdown = np.max(1 - wealth / np.maximum(np.maximum.accumulate(wealth, axis=1), 1), axis=1)
        row = out["scenarios"][name]
        assert _close(row["prob_loss_beyond"], (total < -0.15).mean())
        assert _close(row["prob_drawdown_beyond"], (drawdown > 0.15).mean())
        assert _close(row["median_return"], np.median(total))
    assert out["threshold"] == 0.15 and out["horizon"] == 126 and out["data_end"] == "2022-12-28"


def _reference_backtest(
    closes: np.ndarray, dates: pd.DatetimeIndex, w: np.ndarray, bps: float, cash_rate: float
) -> np.ndarray:
    """Plain loop: hold shares; at the first close, then on the first session of each month
    (not the session right after the purchase) trade back to `w`, paying bps x turnover at the
    next close from every holding in proportion."""
    shares, cash, owed = np.zeros(len(w)), 1.0, 0.0
    wealth = []
    for t in range(len(closes)):
        if t:
            cash *= 1 + cash_rate / 252
        value = cash + shares @ closes[t]
        if owed:
            keep = (value - owed) / value
            shares, cash, value, owed = shares * keep, cash * keep, value - owed, 0.0
        wealth.append(value)
        new_month = t == 0 or (1 < t < len(closes) - 1 and dates[t].month != dates[t - 1].month)
        if new_month:
            owed = bps / 1e4 * np.abs(w - shares * closes[t] / value).sum() * value
            shares, cash = w * value / closes[t], value * (1 - w.sum())
    return np.array(wealth)


def test_a_backtest_of_given_weights_monthly_with_costs(tools: dict[str, Any]) -> None:
    args = {"weights": {"AAPL": 0.6, "KO": 0.3}, "rebalance": "monthly", "cost_bps": 10,
            "start": "2019-01-01", "end": "2021-12-31", "capital": 100_000}  # fmt: skip
    out = _call(tools, "backtest_weights", args)
    closes, _ = _window("2019-01-01", "2021-12-31", ["AAPL", "KO"])
    all_dates = CLOSES.index[CLOSES.index.searchsorted(pd.Timestamp("2018-12-31")) :][: len(closes)]
    wealth = _reference_backtest(closes, all_dates, np.array([0.6, 0.3]), 10, 0.02)
    free = _reference_backtest(closes, all_dates, np.array([0.6, 0.3]), 0, 0.02)
    daily = wealth[1:] / wealth[:-1] - 1.0
    assert _close(out["total_return"], wealth[-1] - 1.0)
    assert _close(out["volatility"], daily.std(ddof=1) * np.sqrt(252))
    assert _close(out["sharpe"], daily.mean() / daily.std(ddof=1) * np.sqrt(252))
    assert _close(out["cost_drag"], free[-1] - wealth[-1])
    assert _close(out["final_value"], 100_000 * wealth[-1])
    assert _close(out["cost_value"], 100_000 * (free[-1] - wealth[-1]))  # in currency
    assert out["trades"] == 1 + 35  # the purchase, then the first session of February 2019 on
    assert _close(out["max_drawdown"]["depth"], np.max(1 - wealth / np.maximum.accumulate(wealth)))
    assert out["window"]["from_close_of"] == "2018-12-31" and out["data_end"] == "2022-12-28"
    levels = INDEX.loc["2018-12-31":"2021-12-31"].to_numpy()
    assert _close(out["index"]["total_return"], levels[-1] / levels[0] - 1.0)
    held = _call(tools, "backtest_weights", {**args, "rebalance": "never", "cost_bps": 0})
    value = 0.1 * np.cumprod(np.r_[1.0, np.full(len(closes) - 1, 1 + 0.02 / 252)])[-1]
    value += (closes[-1] / closes[0]) @ np.array([0.6, 0.3])
    assert _close(held["total_return"], value - 1.0) and held["trades"] == 1
    assert "cost_value" not in held  # no costs: nothing of the final value to say
    refused = tools["backtest_weights"].invoke({"weights": {"AAPL": 0.9, "KO": 0.4}})
    assert isinstance(refused, str) and "sum to at most 1" in refused


def test_portfolios_compared_in_one_table(tools: dict[str, Any]) -> None:
    universe = ["AAPL", "MSFT", "JPM", "XOM"]
    out = _call(tools, "compare_portfolios", {"methods": ["hrp", "min_volatility"],
                "universe": universe, "portfolios": {"60/40": {"AAPL": 0.6, "XOM": 0.4}},
                "start": "2019-01-01"})  # fmt: skip
    closes, dates = _window("2019-01-01", "2022-12-28", universe)
    r = pd.DataFrame(closes[1:] / closes[:-1] - 1.0, index=dates, columns=universe)
    cov = r.cov() * 252
    expected = {
        "hrp": hierarchical_risk_parity(r).reindex(universe).to_numpy(),
        "min_volatility": min_volatility(cov).reindex(universe).to_numpy(),
        "60/40": np.array([0.6, 0.0, 0.0, 0.4]),
    }
    rows = {row["portfolio"]: row for row in out["rows"]}
    assert list(rows) == ["hrp", "min_volatility", "60/40"]
    assert rows["hrp"]["portfolio_id"].startswith("pf_") and "portfolio_id" not in rows["60/40"]
    sharpe = {}
    for label, w in expected.items():
        daily = r.to_numpy() @ w
        sharpe[label] = daily.mean() / daily.std(ddof=1) * np.sqrt(252)
        row = rows[label]
        assert _close(row["cumulative_return"], np.prod(1 + daily) - 1.0, rel=2e-3)
        assert _close(row["volatility"], daily.std(ddof=1) * np.sqrt(252), rel=2e-3)
        assert _close(row["sharpe_ratio"], sharpe[label], rel=2e-3)
        tail = np.sort(daily)[: int(np.ceil(0.05 * len(daily)))]
        assert row["cvar"] == pytest.approx(-tail.mean(), rel=2e-2)
    assert out["best"]["highest_sharpe_ratio"] == max(sharpe, key=sharpe.get)  # type: ignore[arg-type]
    refused = tools["compare_portfolios"].invoke({"methods": ["hrp"]})
    assert isinstance(refused, str) and "at least two portfolios" in refused


def test_a_comparison_under_a_cap_builds_what_can_keep_it(tools: dict[str, Any]) -> None:
    args = {"methods": ["hrp", "min_volatility", "risk_parity"], "max_weight": 0.25,
            "universe": ["AAPL", "MSFT", "JPM", "XOM"]}  # fmt: skip
    out = _call(tools, "compare_portfolios", args)
    rows = {row["portfolio"]: row for row in out["rows"]}
    assert set(rows) == {"hrp", "min_volatility", "risk_parity"}  # each keeps the cap
    assert all(w <= 0.25 + 1e-4 for row in rows.values() for w in row["largest_weights"].values())
    assert not out.get("not_built")
