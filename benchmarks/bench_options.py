"""Benchmark: option pricing, and option hedges (`overlay` configs) in the engine.

(a) Black-Scholes-Merton prices and greeks of 20,000 European options (random strikes 60-150 on a
    spot of 100, 1 week to 2 years, vols 5-80 %) by `quant.options.pricing` against
    QuantLib 1.44's analytic engine, one option at a time (QuantLib has no vectorised pricer);
    the difference column is the largest absolute price difference.
(b) The engine sweep of `bench_engine` (1,000 configs x 2,520 days) holding a 95 % protective
    put on 63-day tenors, against the same sweep without it; target: the hedge costs at most
    3x (ratio >= 1/3). The difference column shows what the protection costs and buys on this
    path: premium per year, value received per year, and the change of CAGR and max drawdown.
    A second row rolls the same put at a 0.10 delta band (`overlay_roll="delta"`: two more
    Black-Scholes deltas per path and close while it is held), same target.
"""

from __future__ import annotations

import numpy as np
import QuantLib as ql

from benchmarks.bench_engine import (
    N_CONFIGS,
    N_DAYS,
    SAFE_RATE,
    _interleaved,
    gbm_path,
    sweep_configs,
)
from benchmarks.harness import Row, Table
from quant.engine import evaluate
from quant.options import black_scholes

N_OPTIONS = 20_000


def _grid(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(np.random.SeedSequence(31))
    return {
        "is_call": rng.random(n) < 0.5,
        "strike": rng.uniform(60, 150, n),
        "days": rng.integers(7, 730, n),
        "vol": rng.uniform(0.05, 0.8, n),
        "rate": rng.uniform(-0.01, 0.05, n),
        "div": rng.uniform(0.0, 0.03, n),
    }


def quantlib_prices(grid: dict[str, np.ndarray]) -> np.ndarray:
    """QuantLib's analytic European engine, option by option (flat curves, Actual/365)."""
    today = ql.Date(2, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    spot = ql.SimpleQuote(100.0)
    rate, div, vol = ql.SimpleQuote(0.0), ql.SimpleQuote(0.0), ql.SimpleQuote(0.2)
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(spot),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(div), day_count)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, ql.QuoteHandle(rate), day_count)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol), day_count)
        ),
    )
    engine = ql.AnalyticEuropeanEngine(process)
    out = np.empty(len(grid["strike"]))
    for i in range(len(out)):
        rate.setValue(float(grid["rate"][i]))
        div.setValue(float(grid["div"][i]))
        vol.setValue(float(grid["vol"][i]))
        kind = ql.Option.Call if grid["is_call"][i] else ql.Option.Put
        option = ql.VanillaOption(
            ql.PlainVanillaPayoff(kind, float(grid["strike"][i])),
            ql.EuropeanExercise(today + int(grid["days"][i])),
        )
        option.setPricingEngine(engine)
        out[i] = option.NPV()
        option.delta(), option.gamma(), option.vega(), option.theta()
    return out


def run_pricing(table: Table) -> None:
    grid = _grid(N_OPTIONS)

    def ours() -> np.ndarray:
        return black_scholes(
            grid["is_call"], 100.0, grid["strike"], grid["days"] / 365.0, grid["rate"],
            grid["vol"], grid["div"],
        ).price  # fmt: skip

    diff = float(np.max(np.abs(ours() - quantlib_prices(grid))))
    t = _interleaved({"ours": (ours, 7), "quantlib": (lambda: quantlib_prices(grid), 1)})
    table.add(
        Row(
            task="option pricing", size=f"{N_OPTIONS:,} options, price + 4 greeks",
            peer="QuantLib AnalyticEuropeanEngine", ours_ms=t["ours"] * 1e3,
            peer_ms=t["quantlib"] * 1e3, difference=f"max price diff {diff:.1e}",
        )
    )  # fmt: skip


def run_hedged(table: Table, roll: str = "expiry") -> None:
    plain = sweep_configs()
    put = {"overlay": "put", "overlay_strike": 0.95, "overlay_tenor_days": 63, "overlay_roll": roll}
    hedged = [c.model_copy(update=put) for c in plain]
    r = gbm_path(N_DAYS)
    without = evaluate(plain, r, SAFE_RATE)
    with_put = evaluate(hedged, r, SAFE_RATE)
    t = _interleaved(
        {
            "hedged": (lambda: evaluate(hedged, r, SAFE_RATE), 5),
            "plain": (lambda: evaluate(plain, r, SAFE_RATE), 5),
        }
    )
    d_cagr = np.median(with_put.cagr - without.cagr)
    d_mdd = np.median(with_put.max_drawdown - without.max_drawdown)
    table.add(
        Row(
            task="engine sweep with put overlay"
            + ("" if roll == "expiry" else f", {roll}-band roll"),
            size=f"{N_CONFIGS} configs x {N_DAYS} days",
            peer="the same sweep without it", ours_ms=t["hedged"] * 1e3,
            peer_ms=t["plain"] * 1e3,
            difference=f"overlay costs {t['hedged'] / t['plain']:.1f}x; medians over configs: "
            f"premium {np.median(with_put.hedge_premium):.2%}/yr, received "
            f"{np.median(with_put.hedge_payoff):.2%}/yr, CAGR {d_cagr:+.2%}, max drawdown "
            f"{d_mdd:+.2%}",
            target=1 / 3,
        )
    )  # fmt: skip


def run(table: Table) -> None:
    """Add the option rows to `table`."""
    run_pricing(table)
    run_hedged(table)
    run_hedged(table, roll="delta")


if __name__ == "__main__":
    result = Table()
    run(result)
    print(result.markdown())
