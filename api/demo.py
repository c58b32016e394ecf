"""The quant demo as text for a terminal (the numbers come from `services.demo`)."""

from __future__ import annotations

from services.demo import DemoResult


def format_demo(result: DemoResult) -> str:
    """The demo result as text tables for a terminal."""
    weights = (result.weights * 100).round(1)
    weights = weights.loc[(weights.abs() >= 0.05).any(axis=1)]
    percent = ["CAGR", "volatility", "max drawdown", "VaR 95% (1d)", "CVaR 95% (1d)"]
    risk, benchmarks = result.risk.copy(), result.benchmarks.copy()
    risk[percent] = risk[percent] * 100
    benchmarks[percent] = benchmarks[percent] * 100
    lines = [
        "Stratigos quant demo: embedded S&P 500 data (20 stocks, daily adjusted closes)",
        f"Estimated on {result.train[0]} .. {result.train[1]} (sample covariance, arithmetic means,"
        f" risk-free {result.risk_free_rate:.1%})",
        "",
        "Weights (%)",
        weights.to_string(float_format=lambda v: f"{v:6.1f}"),
        "",
        f"Out-of-sample risk, held {result.test[0]} .. {result.test[1]} "
        "(CAGR, volatility, drawdown, VaR and CVaR in %; VaR and CVaR of one day)",
        risk.to_string(float_format=lambda v: f"{v:8.2f}"),
        "",
        "Beside them over the same days: the 20 stocks equal-weighted (rebalanced daily, or "
        f"bought once and held) and the S&P 500 index (Sharpe against {result.risk_free_rate:.1%})",
        benchmarks.to_string(float_format=lambda v: f"{v:8.2f}"),
    ]
    return "\n".join(lines)
