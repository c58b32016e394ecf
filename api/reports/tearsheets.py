"""The tearsheets of a session: one self-contained HTML page per strategy and one per account,
rendered from what the post-market run stored (`trading.day.analytics`: each strategy's
analytics file) and the account's snapshots.

- **A strategy's** is its deployment report (`api.reports.deployment`: what is deployed, the
  account against its backtest and its benchmarks, positions, orders) as of the session's
  close, with its analytics: the totals (turnover; costs: commissions plus the slippage against
  the close; tracking error), a chart of the weights held at each close, the table of the last
  sessions (return, backtest return, tracking difference, gross exposure, turnover, costs), and
  its returns and risk (`api.reports.tearsheet_statistics`: Sortino, Calmar, best and worst day
  and month, the monthly returns table, the drawdown and rolling volatility and Sharpe charts).
- **An account's**: its equity at each snapshot (chart), its last snapshot of the day (equity,
  cash, buying power, positions) and one row per strategy (equity, the session's and the total
  return, the backtest's, tracking error, turnover and costs), each naming its tearsheet's id.

Units as the deployment report's: returns, weights, tracking and turnover in %, money with two
decimals; every string is HTML-escaped, chart data embedded as JSON (`api.reports.page`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from api.reports.deployment import money, render_deployment_report, table
from api.reports.page import escape, json_script, page_head, percent, plotly_js
from api.reports.tearsheet_statistics import statistics_scripts, statistics_section
from store import AccountSnapshot
from trading.day.analytics import StrategyAnalytics

LAST_SESSIONS = 30
"""Sessions shown in a strategy tearsheet's table (the file holds them all)."""

_WEIGHTS_JS = """
(function () {
  const el = document.getElementById("chart-weights");
  const data = JSON.parse(document.getElementById("data-weights").textContent);
  if (!el || !data.dates.length) return;
  const traces = Object.entries(data.weights).map(([name, values]) => ({
    type: "scatter", mode: "lines", stackgroup: "w", name, x: data.dates, y: values,
  }));
  Plotly.newPlot(el, traces, {
    margin: { l: 60, r: 20, t: 30, b: 40 }, yaxis: { title: { text: "weight" }, tickformat: ".0%" },
    legend: { orientation: "h" },
  }, { displaylogo: false, responsive: true });
})();
"""

_EQUITY_JS = """
(function () {
  const el = document.getElementById("chart-account-equity");
  const data = JSON.parse(document.getElementById("data-account-equity").textContent);
  if (!el || !data.times.length) return;
  Plotly.newPlot(el, [{ type: "scatter", mode: "lines+markers", name: "equity",
    x: data.times, y: data.equity }], {
    margin: { l: 70, r: 20, t: 30, b: 40 }, yaxis: { title: { text: "equity" }, tickformat: ",.0f" },
  }, { displaylogo: false, responsive: true });
})();
"""


def render_strategy_tearsheet(
    deployment: Mapping[str, Any],
    analytics: StrategyAnalytics,
    orders: Sequence[Mapping[str, Any]],
) -> str:
    """A strategy's tearsheet of `analytics.day` (see the module docstring); `deployment` is the
    API's view of it, `orders` its orders up to that day."""
    summary = analytics.summary
    title = f"Tearsheet of {deployment['name']} on {analytics.day.isoformat()}"
    weights = {
        column.removeprefix("weight."): [float(v) for v in analytics.table[column]]
        for column in analytics.table.columns
        if column.startswith("weight.")
    }
    chart = {"dates": [str(d) for d in analytics.table["date"]], "weights": weights}
    statistics = summary["statistics"]
    return render_deployment_report(
        deployment,
        summary["performance"],
        summary["positions"],
        orders,
        title=title,
        sections=[_analytics_section(analytics), statistics_section(statistics)],
        scripts=[
            json_script("data-weights", chart),
            f"<script>{_WEIGHTS_JS}</script>",
            *statistics_scripts(statistics),
        ],
    )


def _analytics_section(analytics: StrategyAnalytics) -> str:
    """The totals, the weights chart and the last sessions' table."""
    totals = analytics.summary["totals"]
    comparison = analytics.summary["performance"]["comparison"]
    rows = [
        ("Invested at the first session", percent(totals["initial_turnover"], 1)),
        ("Turnover since (rebalancing)", percent(totals["turnover"], 1)),
        ("Turnover a year", percent(totals["annualised_turnover"], 1)),
        ("Commissions", money(totals["fees"])),
        ("Slippage against the closes", money(totals["slippage"])),
        ("Costs (commissions and slippage)", money(totals["costs"])),
        ("Costs over the mean equity", percent(totals["costs_fraction"], 3)),
        ("Tracking error against the backtest (a year)", percent(comparison["tracking_error"], 2)),
    ]
    last = analytics.table.tail(LAST_SESSIONS)
    sessions = [
        (
            row["date"],
            money(row["equity"]),
            percent(_number(row["return"])),
            percent(_number(row["backtest_return"])),
            percent(_number(row["tracking_difference"])),
            percent(row["gross_exposure"], 1),
            percent(row["turnover"], 1),
            money(row["costs"]),
        )
        for _, row in last.iterrows()
    ]
    headers = ["Session", "Equity", "Return", "Backtest", "Tracking", "Exposure", "Turnover",
               "Costs"]  # fmt: skip
    return "\n".join(
        [
            "<section><h2>Analytics</h2>",
            table(["", ""], rows),
            '<div id="chart-weights" style="height:320px"></div>',
            f"<h3>The last {len(last)} sessions</h3>",
            table(headers, sessions),
            "</section>",
        ]
    )


def _number(value: Any) -> float | None:
    """A table cell as a number (None for a missing one: the first session's return)."""
    return None if value is None or pd.isna(value) else float(value)


def render_account_tearsheet(
    account: Mapping[str, Any],
    day: str,
    strategies: Sequence[tuple[StrategyAnalytics, str]],
    snapshots: Sequence[AccountSnapshot],
) -> str:
    """An account's tearsheet of `day` (see the module docstring): `account` as the API lists
    it, each strategy's analytics with its tearsheet's id, the snapshots up to that day."""
    title = f"Tearsheet of the account {account['account']} on {day}"
    chart = {
        "times": [s.taken_at.isoformat() for s in snapshots],
        "equity": [s.equity for s in snapshots],
    }
    parts = [
        page_head(title),
        f"<h1>{escape(title)}</h1>",
        "<section><h2>Equity at each snapshot</h2>",
        '<div id="chart-account-equity" style="height:320px"></div>',
        _last_snapshot(snapshots[-1]) if snapshots else "<p>No snapshot yet.</p>",
        "</section>",
        _strategies_section(strategies) + "</main>",
        json_script("data-account-equity", chart),
        f'<script type="text/javascript">{plotly_js()}</script>',
        f"<script>{_EQUITY_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _last_snapshot(snapshot: AccountSnapshot) -> str:
    rows = [
        ("Taken at", snapshot.taken_at.isoformat()),
        ("Broker", snapshot.broker),
        ("Equity", money(snapshot.equity)),
        ("Cash", money(snapshot.cash)),
        ("Buying power", money(snapshot.buying_power)),
        ("Positions valued at the closes of", snapshot.priced_on or "–"),
    ]
    positions = [
        (p.symbol, f"{p.quantity:.6f}", money(p.price), money(p.market_value))
        for p in snapshot.positions
    ]
    return table(["", ""], rows) + table(["Symbol", "Shares", "Price", "Value"], positions)


def _strategies_section(strategies: Sequence[tuple[StrategyAnalytics, str]]) -> str:
    rows = []
    for analytics, tearsheet_id in strategies:
        last = analytics.table.iloc[-1]
        comparison = analytics.summary["performance"]["comparison"]
        totals = analytics.summary["totals"]
        rows.append(
            (
                analytics.summary["deployment_name"],
                analytics.deployment_id,
                money(last["equity"]),
                percent(_number(last["return"])),
                percent(comparison["live_return"], 2),
                percent(comparison["backtest_return"], 2),
                percent(comparison["tracking_error"], 2),
                percent(totals["turnover"], 1),
                money(totals["costs"]),
                tearsheet_id,
            )
        )
    headers = ["Strategy", "Deployment", "Equity", "Session", "Since start", "Backtest",
               "Tracking error", "Turnover since", "Costs", "Tearsheet (GET /v1/reports/…)"]  # fmt: skip
    return "\n".join(["<section><h2>Strategies</h2>", table(headers, rows), "</section>"])
