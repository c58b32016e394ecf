"""Option pricing against QuantLib, implied volatility round trips, and the vol model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from quant.errors import NoImpliedVolatilityError, PricingError
from quant.options import ImpliedVolModel, black_scholes, implied_volatility, option_price
from quant.options.pricing import model_volatility

SPOT = 100.0
STRIKES = (60.0, 80.0, 95.0, 100.0, 105.0, 120.0, 150.0)
DAYS = (7, 30, 91, 365, 730)
VOLS = (0.05, 0.15, 0.3, 0.8)
RATES = ((0.0, 0.0), (0.04, 0.015), (-0.01, 0.03))


def _quantlib(kind: str, strike: float, days: int, rate: float, div: float, vol: float):
    import QuantLib as ql  # imported here: ~0.9 s, not when the module is collected

    today = ql.Date(2, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    spot = ql.QuoteHandle(ql.SimpleQuote(SPOT))
    rates = ql.YieldTermStructureHandle(ql.FlatForward(today, rate, day_count, ql.Continuous))
    divs = ql.YieldTermStructureHandle(ql.FlatForward(today, div, day_count, ql.Continuous))
    vols = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)
    )
    process = ql.BlackScholesMertonProcess(spot, divs, rates, vols)
    option_type = ql.Option.Call if kind == "call" else ql.Option.Put
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(option_type, strike), ql.EuropeanExercise(today + days)
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta()


GRID = list(itertools.product(("call", "put"), STRIKES, DAYS, RATES, VOLS))


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return np.array([_quantlib(kind, k, d, r, q, v) for kind, k, d, (r, q), v in GRID])


@pytest.fixture(scope="module")
def ours():
    kind, k, d, rq, v = zip(*GRID, strict=True)
    r, q = zip(*rq, strict=True)
    return black_scholes(
        np.array(kind),
        SPOT,
        np.array(k),
        np.array(d) / 365.0,
        np.array(r),
        np.array(v),
        np.array(q),
    )


@pytest.mark.parametrize(
    ("column", "name", "tolerance"),
    [
        (0, "price", 1e-10),
        (1, "delta", 1e-12),
        (2, "gamma", 1e-12),
        (3, "vega", 1e-9),
        (4, "theta", 1e-9),
    ],
)
def test_prices_and_greeks_match_quantlib(reference, ours, column, name, tolerance) -> None:
    """Over 840 options (strikes 60-150 on spot 100, 1 week to 2 years, vols 5-80 %, positive,
    zero and negative rates with dividends), prices agree with QuantLib's analytic engine to 1e-10
    (absolute, on a spot of 100) and greeks to 1e-9 relative to their scale."""
    got = getattr(ours, name)
    expected = reference[:, column]
    scale = np.maximum(1.0, np.abs(expected))
    worst = np.max(np.abs(got - expected) / scale)
    assert worst <= tolerance, f"{name}: worst error {worst:.2e}"


def test_put_call_parity_and_bounds(ours) -> None:
    prices = ours.price
    calls = {
        (k_, d_, rq_, v_): p
        for (kd, k_, d_, rq_, v_), p in zip(GRID, prices, strict=True)
        if kd == "call"
    }
    for (kd, k_, d_, (r, q), v_), p in zip(GRID, prices, strict=True):
        if kd != "put":
            continue
        t = d_ / 365.0
        call = calls[(k_, d_, (r, q), v_)]
        assert call - p == pytest.approx(SPOT * np.exp(-q * t) - k_ * np.exp(-r * t), abs=1e-11)


def test_implied_volatility_inverts_prices() -> None:
    """Wherever an implied volatility exists, it reproduces the pricing volatility to 1e-10."""
    kind, k, d, rq, v = zip(*GRID, strict=True)
    r, q = (np.array(x) for x in zip(*rq, strict=True))
    t = np.array(d) / 365.0
    prices = option_price(np.array(kind), SPOT, np.array(k), t, r, np.array(v), q)
    vega = black_scholes(np.array(kind), SPOT, np.array(k), t, r, np.array(v), q).vega
    # A premium is known to its last place only (premium * 1.1e-16), which moves the implied
    # volatility by premium * 1.1e-16 / vega: where that is above ~1e-12 (deep in or out of the
    # money, short maturities) no method can return the volatility to 1e-10.
    usable = vega > 1e-4 * np.maximum(prices, 1.0)
    assert usable.sum() > 0.7 * len(GRID)
    got = implied_volatility(
        np.array(kind)[usable],
        prices[usable],
        SPOT,
        np.array(k)[usable],
        t[usable],
        r[usable],
        q[usable],
    )
    assert np.max(np.abs(got - np.array(v)[usable])) <= 1e-10


def test_implied_volatility_against_quantlib() -> None:
    import QuantLib as ql

    today = ql.Date(2, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(SPOT)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.01, day_count, ql.Continuous)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.03, day_count, ql.Continuous)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), 0.2, day_count)
        ),
    )
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(ql.Option.Put, 95.0), ql.EuropeanExercise(today + 91)
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    theirs = option.impliedVolatility(2.5, process, 1e-14, 1000, 1e-6, 4.0)
    ours = implied_volatility("put", 2.5, SPOT, 95.0, 91 / 365.0, 0.03, 0.01)
    assert float(ours) == pytest.approx(theirs, abs=1e-10)


@pytest.mark.parametrize(
    ("kind", "premium", "bound"),
    [
        ("call", 0.0, "intrinsic"),
        ("put", 4.9, "intrinsic"),  # strike 105, spot 100: the put is worth at least ~4.96
        ("call", 100.0, "discounted spot"),
        ("put", 200.0, "discounted strike"),
    ],
)
def test_no_implied_volatility_is_a_typed_error(kind, premium, bound) -> None:
    with pytest.raises(NoImpliedVolatilityError, match=bound) as info:
        implied_volatility(kind, [10.0, premium], SPOT, 105.0, 0.25, 0.0)
    assert info.value.index == 1


def test_zero_maturity_has_no_implied_volatility() -> None:
    with pytest.raises(NoImpliedVolatilityError, match="zero maturity"):
        implied_volatility("put", 5.0, SPOT, 105.0, 0.0, 0.0)


def test_expiry_and_zero_volatility_limits() -> None:
    at_expiry = black_scholes(["call", "put"], 100.0, 90.0, 0.0, 0.05, 0.2)
    assert at_expiry.price.tolist() == [10.0, 0.0]
    assert at_expiry.delta.tolist() == [1.0, 0.0]
    no_vol = black_scholes("put", 100.0, 110.0, 0.5, 0.02, 0.0)
    assert float(no_vol.price) == pytest.approx(110.0 * np.exp(-0.01) - 100.0, abs=1e-12)
    # continuity: a tiny volatility prices like no volatility
    tiny = black_scholes("put", 100.0, 110.0, 0.5, 0.02, 1e-9)
    assert float(tiny.price) == pytest.approx(float(no_vol.price), abs=1e-9)
    # the deep in-the-money put gains the interest on its strike as time passes
    assert float(no_vol.theta) == pytest.approx(0.02 * 110.0 * np.exp(-0.01), abs=1e-12)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("spot", {"spot": -1.0}),
        ("strike", {"strike": 0.0}),
        ("maturity", {"maturity": -0.1}),
        ("volatility", {"volatility": float("nan")}),
        ("kind", {"kind": "straddle"}),
    ],
)
def test_bad_inputs_name_the_field(field, kwargs) -> None:
    args = {
        "kind": "put",
        "spot": 100.0,
        "strike": 95.0,
        "maturity": 0.25,
        "rate": 0.0,
        "volatility": 0.2,
    } | kwargs
    with pytest.raises(PricingError, match=field):
        black_scholes(**args)


def test_vol_model_formula_and_compiled_twin_agree() -> None:
    model = ImpliedVolModel(variance_risk_premium=0.02, skew=2.0, min_volatility=0.1)
    rv = np.array([0.0, 0.1, 0.2, 0.5])
    m = np.array([0.8, 0.9, 1.0, 1.3])
    got = model.volatility(rv[:, None], m[None, :])
    for i, j in itertools.product(range(4), range(4)):
        expected = max(np.sqrt(rv[i] ** 2 + 0.02) * m[j] ** -2.0, 0.1)
        assert got[i, j] == pytest.approx(expected, rel=1e-15)
        assert model_volatility(rv[i], m[j], *model.as_tuple()) == got[i, j]
    # downside strikes are dearer, and the premium lifts at-the-money vol above realised
    assert np.all(np.diff(got, axis=1) <= 0)
    assert np.all(got[:, 2] > rv)


def test_vol_model_refuses_bad_parameters() -> None:
    with pytest.raises(ValueError, match="min_volatility"):
        ImpliedVolModel(min_volatility=0.5, max_volatility=0.4)
    with pytest.raises(PricingError, match="moneyness"):
        ImpliedVolModel().volatility(0.2, 0.0)


def test_an_observed_level_replaces_the_realised_estimate_keeping_skew_and_bounds() -> None:
    model = ImpliedVolModel(skew=2.0, max_volatility=0.4)
    observed = model.with_observed_atm(0.25)
    m = np.array([0.8, 0.9, 1.0, 1.1])
    for rv in (0.0, 0.1, 0.6):  # the realised volatility no longer matters
        got = observed.volatility(rv, m)
        expected = np.minimum(0.25 * m**-2.0, 0.4)
        np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert observed.volatility(0.1, 1.0) == 0.25
    # the level is no field: the model's settings, dumps and the original are unchanged
    assert observed.observed_atm == 0.25 and model.observed_atm is None
    assert observed.model_dump() == model.model_dump() and observed != model
    assert ImpliedVolModel.model_validate(observed.model_dump()).observed_atm is None
    with pytest.raises(ValueError, match="observed"):
        ImpliedVolModel.model_validate({"_observed_atm": 0.3})
    with pytest.raises(PricingError, match="realised volatility only"):
        observed.as_tuple()
    for bad in (0.0, -0.1, float("nan"), 101.0):
        with pytest.raises(PricingError, match="observed volatility"):
            model.with_observed_atm(bad)
