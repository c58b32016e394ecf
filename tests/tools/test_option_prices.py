"""`price_option` against references written here: a plain Black-Scholes formula with
`math.erf`, QuantLib's analytic European engine (when installed), the implied-volatility model's
formula on realised volatility computed with pandas from the embedded closes, and put-call parity;
and its refusals, each naming the field, before any data is read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from quant.data import load_sp500_index
from tools import ToolContext, build_tools
from tools.option_prices import OptionPriceArgs, option_quote

CLOSES = load_sp500_prices()
INDEX = load_sp500_index()
CONTEXT = ToolContext()
TICKERS = ("AAPL", "MSFT", "KO", "XOM", "JPM", "JNJ")


def _n(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def reference(
    kind: str, s: float, k: float, t: float, r: float, sigma: float
) -> tuple[float, float]:
    """(price, delta) of a European option, Black-Scholes with no dividend yield."""
    d1 = (math.log(s / k) + (r + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if kind == "call":
        return s * _n(d1) - k * math.exp(-r * t) * _n(d2), _n(d1)
    return k * math.exp(-r * t) * _n(-d2) - s * _n(-d1), _n(d1) - 1.0


def model_volatility(closes: pd.Series, moneyness: float, window: int = 21) -> float:
    """The implied-volatility model's defaults (premium 0.01, skew 1.5, bounds 5%..300%) on the
    realised volatility (ddof=1, x sqrt(252)) of the last `window` returns."""
    realised = closes.pct_change().dropna().iloc[-window:].std(ddof=1) * math.sqrt(252)
    return float(np.clip(math.sqrt(realised**2 + 0.01) * moneyness**-1.5, 0.05, 3.0))


def quote(**args: Any) -> dict[str, Any]:
    return option_quote(CONTEXT, OptionPriceArgs.model_validate(args))


def _upto(ticker: str, day: str | None) -> pd.Series:
    closes = INDEX if ticker == "SP500" else CLOSES[ticker]
    closes = closes.dropna()
    return closes if day is None else closes.loc[:day]


@settings(max_examples=40, deadline=None)
@given(
    ticker=st.sampled_from((*TICKERS, "SP500")),
    kind=st.sampled_from(("put", "call")),
    moneyness=st.floats(min_value=0.7, max_value=1.3),
    months=st.integers(min_value=1, max_value=24),
    day=st.one_of(
        st.none(), st.dates(pd.Timestamp("2000-01-01").date(), pd.Timestamp("2022-12-28").date())
    ),
)
def test_the_price_is_black_scholes_at_the_models_volatility_and_the_safe_rate(
    ticker: str, kind: str, moneyness: float, months: int, day: Any
) -> None:
    asked = None if day is None else day.isoformat()
    data = quote(underlying=ticker, kind=kind, moneyness=moneyness, tenor_months=months, date=asked)
    closes = _upto(ticker, asked)
    spot = float(closes.iloc[-1])
    assert data["spot"] == {
        "price": round(spot, 4),
        "date": closes.index[-1].date().isoformat(),
        "asked": asked,
    }
    sigma = model_volatility(closes, moneyness)
    rate = 252 * math.log1p(0.02 / 252)
    price, delta = reference(kind, spot, moneyness * spot, months * 21 / 252, rate, sigma)
    assert data["price"] == pytest.approx(price, rel=1e-6, abs=1e-4)
    assert data["delta"] == pytest.approx(delta, rel=1e-3, abs=1e-4)
    assert data["volatility"]["value"] == pytest.approx(sigma, rel=1e-3)
    assert data["share_of_spot"] == pytest.approx(price / spot, rel=1e-3)
    assert data["annualised"] == pytest.approx(price / spot * 252 / (21 * months), rel=1e-3)
    assert data["tenor"]["sessions"] == 21 * months and data["rate"]["safe_rate"] == 0.02


@settings(max_examples=30, deadline=None)
@given(
    ticker=st.sampled_from(TICKERS),
    kind=st.sampled_from(("put", "call")),
    moneyness=st.floats(min_value=0.5, max_value=2.0),
    days=st.integers(min_value=1, max_value=756),
)
def test_quantlib_prices_the_same_option(
    ticker: str, kind: str, moneyness: float, days: int
) -> None:
    ql = pytest.importorskip("QuantLib")
    data = quote(underlying=ticker, kind=kind, moneyness=moneyness, tenor_days=days)
    closes = CLOSES[ticker].dropna()
    spot, t = float(closes.iloc[-1]), days / 252
    sigma, rate = model_volatility(closes, moneyness), 252 * math.log1p(0.02 / 252)
    black = ql.BlackCalculator(
        ql.PlainVanillaPayoff(ql.Option.Put if kind == "put" else ql.Option.Call, moneyness * spot),
        spot * math.exp(rate * t), sigma * math.sqrt(t), math.exp(-rate * t),
    )  # fmt: skip
    assert data["price"] == pytest.approx(black.value(), rel=1e-6, abs=1e-4)
    assert data["delta"] == pytest.approx(black.delta(spot), rel=1e-3, abs=1e-4)


@settings(max_examples=25, deadline=None)
@given(
    ticker=st.sampled_from(TICKERS),
    strike=st.floats(min_value=0.6, max_value=1.5),
    days=st.integers(min_value=1, max_value=756),
    volatility=st.floats(min_value=0.05, max_value=1.5),
    rate=st.floats(min_value=-0.02, max_value=0.1),
)
def test_a_put_and_a_call_at_a_stated_volatility_keep_put_call_parity(
    ticker: str, strike: float, days: int, volatility: float, rate: float
) -> None:
    spot = float(CLOSES[ticker].iloc[-1])
    given_ = {"underlying": ticker, "strike": round(strike * spot, 2), "tenor_days": days,
              "volatility": volatility, "rate": rate}  # fmt: skip
    put, call = quote(kind="put", **given_), quote(kind="call", **given_)
    assert put["volatility"] == {"value": pytest.approx(volatility, rel=1e-3), "source": "stated"}
    r = 252 * math.log1p(rate / 252)
    assert put["rate"]["value"] == pytest.approx(r, rel=1e-5)
    forward = spot - put["strike"]["price"] * math.exp(-r * days / 252)
    assert call["price"] - put["price"] == pytest.approx(forward, abs=2e-4)
    assert call["delta"] - put["delta"] == pytest.approx(1.0, abs=2e-4)


def test_no_strike_or_tenor_is_at_the_money_for_three_months_said_so() -> None:
    data = quote(underlying="msft")
    assert data["underlying"] == "MSFT" and data["strike"]["moneyness"] == 1.0
    assert data["tenor"]["sessions"] == 63
    assert data["assumed"] == [
        "strike: at the money (none given)",
        "tenor: 3 months, 63 sessions (none given)",
    ]


@settings(max_examples=8, deadline=None)
@given(ticker=st.sampled_from(TICKERS), moneyness=st.floats(min_value=0.05, max_value=1.5))
def test_a_volatility_at_the_model_s_bound_is_said_to_be_there(
    ticker: str, moneyness: float
) -> None:
    """A far strike's skewed volatility is clipped to the model's bounds (5%..300%): the quote
    says which bound it sits at, and only then."""
    data = quote(underlying=ticker, moneyness=moneyness, tenor_months=1)
    unclipped = model_volatility(CLOSES[ticker].dropna(), 1.0) * moneyness**-1.5
    expected = (
        "max_volatility" if unclipped >= 3.0 else "min_volatility" if unclipped <= 0.05 else None
    )
    assert data["volatility"].get("at_bound") == expected, (data["volatility"], unclipped)
    if expected is not None:
        assert data["volatility"]["value"] == data["volatility"]["vol_model"][expected]


def test_a_date_between_sessions_prices_at_the_last_close_before_it() -> None:
    data = quote(underlying="AAPL", moneyness=0.9, tenor_months=3, date="2020-03-15")
    assert (
        data["spot"]["date"] == "2020-03-13" and data["volatility"]["realised_to"] == "2020-03-13"
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"underlying": "TSLA"}, "underlying"),
        ({"underlying": "AAPL", "moneyness": 0.9, "strike": 100}, "strike"),
        ({"underlying": "AAPL", "moneyness": 0}, "moneyness"),
        ({"underlying": "AAPL", "moneyness": 3.5}, "moneyness"),
        ({"underlying": "AAPL", "moneyness": float("nan")}, "moneyness"),
        ({"underlying": "AAPL", "strike": 1000}, "strike"),
        ({"underlying": "AAPL", "tenor_days": 0}, "tenor_days"),
        ({"underlying": "AAPL", "tenor_days": 757}, "tenor_days"),
        ({"underlying": "AAPL", "tenor_months": 37}, "tenor_months"),
        ({"underlying": "AAPL", "tenor_months": 0.01}, "tenor_months"),
        ({"underlying": "AAPL", "tenor_months": 3, "tenor_days": 63}, "tenor_days"),
        ({"underlying": "AAPL", "date": "2023-01-31"}, "date"),
        ({"underlying": "AAPL", "date": "1990-01-10"}, "date"),
        ({"underlying": "AAPL", "date": "yesterday"}, "date"),
        ({"underlying": "AAPL", "volatility": 0}, "volatility"),
        ({"underlying": "AAPL", "volatility": 0.2, "vol_model": {"skew": 0}}, "volatility"),
        ({"underlying": "AAPL", "rate": 0.5}, "rate"),
        ({"underlying": "AAPL", "kind": "straddle"}, "kind"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(args: dict[str, Any], field: str) -> None:
    """Over MCP (`api.mcp.tools.run_tool`, the agents' own tool): the project's error document,
    the field named under `arguments.`; the agents read the tool's message naming it."""
    from api.mcp.tools import run_tool
    from settings import Settings

    tool = build_tools(CONTEXT, ["price_option"])[0]
    result = run_tool(tool, args, Settings())
    assert result.isError and result.structuredContent is not None
    error = result.structuredContent["error"]
    assert error["code"] == "VALIDATION_ERROR", error
    assert f"arguments.{field}" in [d["field"] for d in error["details"]], error
    assert error["message"].startswith("price_option") and field in error["message"]
    said = str(tool.invoke(args))  # what the agents read
    assert said.startswith("price_option") and field in said and "Traceback" not in said
