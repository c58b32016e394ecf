"""market_statistics and generate_market_scenarios against plain references and direct quant calls."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import generate_scenarios, load_sp500_index, load_sp500_prices, to_returns
from tools import ToolContext, build_tools
from tools.context import FrameMarketData


@pytest.fixture(scope="module")
def history() -> tuple[pd.DataFrame, pd.Series]:
    assets = to_returns(load_sp500_prices())
    index = to_returns(load_sp500_index()).iloc[:, 0]
    return assets, index


@pytest.fixture()
def context() -> ToolContext:
    return ToolContext()


def tool(context: ToolContext, name: str) -> Any:
    return {t.name: t for t in build_tools(context)}[name]


def small(result: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(result, allow_nan=False)
    assert len(text) < 4096, len(text)
    return result


def close(value: float | None, reference: float) -> bool:
    """value is `reference` rounded to 4 significant digits."""
    assert value is not None
    return abs(value - reference) <= 5e-4 * abs(reference) + 1e-12


# ---------------------------------------------------------------------------------------------
# market_statistics
# ---------------------------------------------------------------------------------------------
def ref_max_drawdown(r: np.ndarray) -> float:
    wealth = np.cumprod(1 + r)
    peak = np.maximum(np.maximum.accumulate(wealth), 1.0)
    return float((1 - wealth / peak).max())


def test_market_statistics_defaults_match_plain_reference(
    context: ToolContext, history: tuple[pd.DataFrame, pd.Series]
) -> None:
    assets, index = history
    result = small(tool(context, "market_statistics").invoke({}))
    window = assets.loc["2018-01-01":"2022-12-28"]
    market = index.loc[window.index]
    assert result["date_range"] == {"start": "2018-01-02", "end": "2022-12-28", "days": len(window)}
    assert list(result["per_asset"]) == list(assets.columns)  # all 20 tickers by default
    for name in assets.columns:
        r = window[name].to_numpy()
        stats = result["per_asset"][name]
        assert close(stats["ret"], r.mean() * 252)
        assert close(stats["vol"], r.std(ddof=1) * np.sqrt(252))
        assert close(stats["sharpe"], r.mean() / r.std(ddof=1) * np.sqrt(252))
        assert close(stats["mdd"], ref_max_drawdown(r))
    m = market.to_numpy()
    assert close(result["market"]["vol"], m.std(ddof=1) * np.sqrt(252))
    # correlations
    corr = window.corr().to_numpy()
    iu = np.triu_indices(len(assets.columns), k=1)
    assert close(result["correlation"]["mean_pairwise"], corr[iu].mean())
    best = int(np.argmax(corr[iu]))
    worst = int(np.argmin(corr[iu]))
    cols = list(assets.columns)
    top = result["correlation"]["most_correlated"][0]
    low = result["correlation"]["least_correlated"][0]
    assert set(top["pair"]) == {cols[iu[0][best]], cols[iu[1][best]]}
    assert set(low["pair"]) == {cols[iu[0][worst]], cols[iu[1][worst]]}
    assert close(top["correlation"], corr[iu][best])
    # regime: last 63 days of the index against every full trailing 63-day window
    roll_ret = market.rolling(63).mean().dropna() * 252
    roll_vol = market.rolling(63).std(ddof=1).dropna() * np.sqrt(252)
    regime = result["regime"]
    assert close(regime["market_return"], float(roll_ret.iloc[-1]))
    assert close(regime["market_volatility"], float(roll_vol.iloc[-1]))
    assert regime["windows_compared"] == len(roll_ret)
    lo, hi = np.quantile(roll_ret, [1 / 3, 2 / 3])
    expected = (
        "bull" if roll_ret.iloc[-1] >= hi else "bear" if roll_ret.iloc[-1] <= lo else "neutral"
    )
    assert regime["return_regime"] == expected
    vlo, vhi = np.quantile(roll_vol, [1 / 3, 2 / 3])
    expected_vol = (
        "high" if roll_vol.iloc[-1] >= vhi else "low" if roll_vol.iloc[-1] <= vlo else "normal"
    )
    assert regime["volatility_regime"] == expected_vol
    # trend: index level vs its 200-day average
    level = np.cumprod(1 + m)
    gap = level[-1] / level[-200:].mean() - 1
    assert close(result["trend"]["price_vs_average"], gap)
    assert result["trend"]["direction"] == ("up" if gap > 0 else "down")


def test_market_statistics_universe_and_range(context: ToolContext) -> None:
    result = small(
        tool(context, "market_statistics").invoke(
            {"universe": ["msft", "AAPL", "MSFT"], "start": "2015", "end": "2016"}
        )
    )
    assert list(result["per_asset"]) == ["MSFT", "AAPL"]
    assert result["date_range"]["start"].startswith("2015-01")
    assert result["date_range"]["end"].startswith("2016-12")
    assert result["correlation"]["most_correlated"][0]["pair"] in (
        ["MSFT", "AAPL"],
        ["AAPL", "MSFT"],
    )


def test_market_statistics_without_market_index_uses_equal_weight() -> None:
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2020-01-01", periods=300)
    frame = pd.DataFrame(rng.normal(0.0005, 0.01, (300, 3)), index=dates, columns=["A", "B", "C"])
    ctx = ToolContext(data=FrameMarketData(frame))
    result = tool(ctx, "market_statistics").invoke({})
    assert result["market"]["name"] == "equal_weight"
    ew = frame.mean(axis=1).to_numpy()
    assert close(result["market"]["vol"], ew.std(ddof=1) * np.sqrt(252))
    # default range: the last 5 calendar years of data, here all of it
    assert result["date_range"]["days"] == 300


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            {"universe": ["AAPL", "ZZZZ", "QQQ"]},
            "unknown tickers ZZZZ, QQQ: no prices for ZZZZ, QQQ in the embedded S&P 500 data "
            "(20 tickers: AAPL, AMD,",
        ),
        ({"start": "2020-02-30"}, "start='2020-02-30' is not a valid date"),
        ({"start": "01/02/2020"}, "is not an ISO date"),
        ({"start": "2021-01-01", "end": "2020-01-01"}, "must be before end"),
        ({"start": "1980-01-01", "end": "1985-01-01"}, "data is available from 1990-01-03"),
        ({"universe": [f"T{i}" for i in range(51)]}, "universe"),
        ({"tickers": ["AAPL"]}, "tickers: is not a field here"),
    ],
)
def test_market_statistics_errors_are_readable(
    context: ToolContext, args: dict[str, Any], needle: str
) -> None:
    out = tool(context, "market_statistics").invoke(args)
    assert isinstance(out, str)
    assert needle in out
    assert out.startswith("market_statistics")


@pytest.mark.parametrize("start", ["2022-11-01", "2022-12-01", "2022-12-22"])
def test_a_window_shorter_than_a_regime_is_answered_from_the_sessions_before_it(
    context: ToolContext, history: tuple[pd.DataFrame, pd.Series], start: str
) -> None:
    """The statistics are the window's; the regime, which needs 64 sessions, is read over the
    63 sessions to the window's end against every trailing 63-session window of the five years
    before it (recomputed here with numpy), and the note says so."""
    assets, index = history
    result = tool(context, "market_statistics").invoke({"universe": ["AAPL", "KO"], "start": start})
    assert isinstance(result, dict), result
    window = assets.loc[start:"2022-12-28", ["AAPL", "KO"]]
    assert result["date_range"]["days"] == len(window) < 64
    assert close(result["per_asset"]["KO"]["vol"], window["KO"].std(ddof=1) * np.sqrt(252))
    past = index.loc["2017-12-28":"2022-12-28"].to_numpy()
    windows = np.lib.stride_tricks.sliding_window_view(past, 63)
    annual = windows.mean(axis=1) * 252
    vols = windows.std(axis=1, ddof=1) * np.sqrt(252)
    regime = result["regime"]
    assert close(regime["market_volatility"], vols[-1])
    low, high = np.quantile(vols, [1 / 3, 2 / 3])
    expected = "high" if vols[-1] >= high else "low" if vols[-1] <= low else "normal"
    assert regime["volatility_regime"] == expected
    low, high = np.quantile(annual, [1 / 3, 2 / 3])
    trend = "bull" if annual[-1] >= high else "bear" if annual[-1] <= low else "neutral"
    assert regime["return_regime"] == trend
    assert (
        f"a regime reading needs 64 sessions and the window holds {len(window)}" in regime["note"]
    )
    assert "the regime is read over the 63 sessions to 2022-12-28" in regime["note"]


def test_no_regime_is_read_when_the_data_holds_too_few_sessions(context: ToolContext) -> None:
    args = {"universe": ["AAPL", "KO"], "start": "1990-01-01", "end": "1990-02-15"}
    result = tool(context, "market_statistics").invoke(args)
    assert isinstance(result, dict), result
    assert result["regime"]["return_regime"] is None
    assert "no regime is read" in result["regime"]["note"]
    assert result["date_range"]["days"] < 64


# ---------------------------------------------------------------------------------------------
# generate_market_scenarios
# ---------------------------------------------------------------------------------------------
def test_scenarios_match_direct_quant_call(
    context: ToolContext, history: tuple[pd.DataFrame, pd.Series]
) -> None:
    assets, index = history
    args = {
        "universe": ["AAPL", "JNJ", "XOM"],
        "start": "2010-01-01",
        "end": "2019-12-31",
        "names": ["bear", "base"],
        "n_paths": 40,
        "horizon": 63,
        "seed": 7,
    }
    result = small(tool(context, "generate_market_scenarios").invoke(args))
    window = assets.loc["2010-01-01":"2019-12-31", ["AAPL", "JNJ", "XOM"]]
    direct = generate_scenarios(
        window,
        names=["bear", "base"],
        n_paths=40,
        horizon=63,
        seed=7,
        market=index.loc[window.index],
    )
    stored = context.artifacts.get(result["scenario_set_id"], "scenarios").scenarios
    for name in ("bear", "base"):
        np.testing.assert_array_equal(stored.paths[name], direct.paths[name])
    summary = direct.summary()
    for name in ("bear", "base"):
        row = summary.loc[name]
        got = result["summary"][name]
        assert got["regime_days"] == row["regime_days"]
        for key in ("mean_return", "volatility", "worst_max_drawdown", "p05_total_return"):
            assert close(got[key], float(summary[key].to_numpy()[list(summary.index).index(name)]))
    assert result["scenarios"] == ["bear", "base"]
    assert result["universe"] == ["AAPL", "JNJ", "XOM"]
    assert result["sleeve"] == "equal_weight"
    assert result["seed"] == 7


def test_scenarios_default_seed_comes_from_context() -> None:
    a = ToolContext(seed=3)
    b = ToolContext()
    args = {"universe": ["AAPL", "MSFT"], "names": ["base"], "n_paths": 5, "horizon": 21}
    ra = tool(a, "generate_market_scenarios").invoke(args)
    rb = tool(b, "generate_market_scenarios").invoke({**args, "seed": 3})
    assert ra["seed"] == 3
    pa = a.artifacts.get(ra["scenario_set_id"]).scenarios.paths["base"]
    pb = b.artifacts.get(rb["scenario_set_id"]).scenarios.paths["base"]
    np.testing.assert_array_equal(pa, pb)


def test_scenarios_with_weights_summarise_the_weighted_sleeve(context: ToolContext) -> None:
    args = {
        "weights": {"AAPL": 2.0, "KO": 1.0, "PG": 1.0},
        "names": ["bull", "bear"],
        "n_paths": 30,
        "horizon": 42,
    }
    result = small(tool(context, "generate_market_scenarios").invoke(args))
    assert result["universe"] == ["AAPL", "KO", "PG"]
    assert result["sleeve"] == {"AAPL": 0.5, "KO": 0.25, "PG": 0.25}
    record = context.artifacts.get(result["scenario_set_id"], "scenarios")
    w = np.array([0.5, 0.25, 0.25])
    risky = record.scenarios.paths["bear"] @ w
    assert close(result["summary"]["bear"]["mean_return"], risky.mean() * 252)
    assert close(result["summary"]["bear"]["volatility"], risky.std(ddof=1) * np.sqrt(252))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"n_paths": 0}, "n_paths: must be at least 1"),
        ({"n_paths": 5001}, "n_paths: must be at most 5000"),
        ({"horizon": 10}, "horizon"),
        ({"names": ["crash"]}, "names.0: must be one of bull, bear"),
        ({"names": []}, "names"),
        ({"method": "garch"}, "method"),
        ({"weights": {"AAPL": 1.0, "NOPE": 1.0}}, "unknown ticker NOPE"),
        ({"universe": ["AAPL"], "weights": {"MSFT": 1.0}}, "outside the universe: MSFT"),
        ({"weights": {"AAPL": -1.0, "MSFT": 1.0}}, "negative: AAPL"),
        ({"n_paths": 5000, "horizon": 1260}, "more than the limit"),
        ({"start": "2022-06-01", "block_size": 100}, "fewer than the minimum"),
    ],
)
def test_scenario_errors_are_readable(
    context: ToolContext, args: dict[str, Any], needle: str
) -> None:
    out = tool(context, "generate_market_scenarios").invoke(args)
    assert isinstance(out, str), out
    assert needle in out
    assert len(context.artifacts) == 0  # nothing stored on failure


def test_scenarios_of_a_window_too_short_to_tell_regimes_apart_say_what_to_do(
    context: ToolContext,
) -> None:
    out = tool(context, "generate_market_scenarios").invoke(
        {"universe": ["AAPL", "KO"], "start": "2022-11-29", "n_paths": 20}
    )
    assert isinstance(out, str)
    assert "the window from 2022-11-29 to 2022-12-28 holds 21" in out
    assert "ask for a longer window" in out and "regime window" not in out


@settings(max_examples=15, deadline=None)
@given(sessions=st.integers(min_value=3, max_value=90))
def test_a_short_window_s_annual_figures_are_flagged_beside_its_own_return(
    sessions: int, history: tuple[pd.DataFrame, pd.Series]
) -> None:
    """Under a quarter of sessions, both statistics tools say what their annualised figures are
    and market_statistics gives each asset's return over the window itself (recomputed here);
    from a quarter on, neither flags anything."""
    assets, _ = history
    window = assets[["AAPL", "KO"]].iloc[-sessions:]
    args = {"universe": ["AAPL", "KO"], "start": window.index[0].date().isoformat()}
    context = ToolContext()
    market = tool(context, "market_statistics").invoke(args)
    stats = tool(context, "asset_statistics").invoke(args)
    assert market["date_range"]["days"] == stats["window"]["sessions"] == sessions
    if sessions >= 63:
        assert "short_window" not in market and "short_window" not in stats
        return
    for flagged in (market["short_window"], stats["short_window"]):
        assert flagged["sessions"] == sessions and f"{sessions} sessions" in flagged["note"]
    for ticker in ("AAPL", "KO"):
        own = float(np.prod(1.0 + window[ticker].to_numpy()) - 1.0)
        assert close(market["short_window"]["window_return"][ticker], own)
        assert close(stats["assets"][ticker]["cumulative_return"], own)


@given(year=st.integers(1992, 2022), month=st.integers(1, 12))
def test_an_end_alone_gets_the_default_years_to_it(year: int, month: int) -> None:
    """'KO vol until mid 2012': the default span of calendar years ending there (an end alone
    before the default start was refused as start after end, and one after it got a window
    from 2018 of any length); the default end keeps the default window."""
    ctx = ToolContext()
    end = min(pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0), ctx.data_range()[1])
    end = end.date().isoformat()
    lo, hi = ctx.resolve_range(None, end)
    first = ctx.data_range()[0]
    assert hi == pd.Timestamp(end)
    assert lo == max(first, pd.Timestamp(year - ctx.default_years + 1, 1, 1))
    assert ctx.resolve_range(None, None) == ctx.default_range()
    last = ctx.data_range()[1].date().isoformat()
    assert ctx.resolve_range(None, last) == ctx.default_range()
