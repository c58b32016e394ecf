"""The report of a deployment as one self-contained HTML page: what is deployed and the market
data it trades on (where the data ends), its account against the backtest (chart and
comparison; the searched backtest as a second line when the schedule is not the strategy's own;
the gap between account and backtest in parts) and beside its benchmarks (every line's return,
CAGR, volatility, Sharpe against the stated risk-free rate and drawdown), positions and P&L, and
its orders.

Built from the API's own views (`trading.deployment_views.positions`,
`trading.performance.performance`, the store's orders); plotly.js is inlined, so the page
needs no network. Units: returns, tracking error, drawdown and weights in %, money with two
decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.reports.page import escape, json_script, page_head, percent, plotly_js, scroll_box
from services import formatting
from services.formatting import money

_CHART_JS = """
(function () {
  const el = document.getElementById("chart-performance");
  const data = JSON.parse(document.getElementById("data-performance").textContent);
  if (!el || !data.dates) return;
  const series = { paper: data.paper, backtest: data.backtest };
  if (data.searched && data.searched.length === data.backtest.length) {
    series["searched backtest"] = data.searched;
  }
  for (const [name, values] of Object.entries(data.benchmarks || {})) {
    series[(data.labels || {})[name] || name] = values;
  }
  const traces = Object.entries(series).map(([name, values]) => ({
    type: "scatter", mode: "lines", name, x: data.dates, y: values,
  }));
  Plotly.newPlot(el, traces, {
    margin: { l: 70, r: 20, t: 30, b: 40 },
    yaxis: { title: { text: "account value" }, tickformat: ",.0f" },
    legend: { orientation: "h" },
  }, { displaylogo: false, responsive: true });
})();
"""


def _data(data: Mapping[str, Any] | None) -> str:
    """The market data used, in words (`services.market_data.data_info`), or why it cannot be
    read."""
    if not data:
        return "–"
    if "problem" in data:
        return f"{data['provider']}: {data['problem']}"
    return (
        f"{data['provider']} version {data['version']}, {data['start']} to {data['end']} used; "
        f"the data ends on {data['data_end']}"
    )


def _rows(cells: Sequence[Sequence[Any]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in cells
    )


def table(headers: Sequence[str], cells: Sequence[Sequence[Any]]) -> str:
    """A table in its own scrolling box (a region named by its headers, which a keyboard can
    focus); without header words a key-value table, its values wrapped to the page's width."""
    if not any(headers):
        rows = "".join(
            f'<tr><th scope="row">{escape(key)}</th>'
            + "".join(f"<td>{escape(c)}</td>" for c in rest)
            + "</tr>"
            for key, *rest in cells
        )
        return f'<table class="kv"><tbody>{rows}</tbody></table>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return (
        f"{scroll_box('Table of ' + ', '.join(h for h in headers if h))}"
        f"<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{_rows(cells)}</tbody></table></div>"
    )


def _hedge_rows(hedge: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The rows of a deployment's option hedge (`trading.performance`): its value in the
    paper values and why it tracks less closely; none without a hedge."""
    if hedge is None:
        return []
    value = (
        f"{money(hedge['value'])} on {hedge['priced_on']} (cash {money(hedge['cash'])}, "
        f"options {money(hedge['market_value'])})"
    )
    return [
        ("Option hedge (in the paper values)", value),
        ("Hedge volatility", hedge["volatility"]["words"]),
        ("Hedge tracking", hedge["note"]),
    ]


def render_deployment_report(
    deployment: Mapping[str, Any],
    performance: Mapping[str, Any],
    positions: Mapping[str, Any],
    orders: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    sections: Sequence[str] = (),
    scripts: Sequence[str] = (),
) -> str:
    """The page (see the module docstring); `deployment` is the API's view of it. A page built
    on it (a tearsheet, `api.reports.tearsheets`) gives its `title`, its own HTML `sections`
    (after the positions) and the `scripts` that draw them (after plotly.js)."""
    title = title or f"Stratigos deployment {deployment['name']}"
    parts = [
        page_head(title),
        f"<h1>{escape(title)}</h1>",
        _what_is_deployed(deployment),
        _against_the_backtest(performance),
        _positions(positions),
        *sections,
        _orders(orders) + "</main>",
        json_script("data-performance", _chart_data(performance)),
        f'<script type="text/javascript">{plotly_js()}</script>',
        f"<script>{_CHART_JS}</script>",
        *scripts,
        "</body></html>",
    ]
    return "\n".join(parts)


def _what_is_deployed(deployment: Mapping[str, Any]) -> str:
    from trading.deployments import schedule_of  # the trading code, loaded when a page is made

    spec = deployment["spec"]
    strategy = spec["strategy"]
    what = (
        ", ".join(f"{s} {percent(w)}" for s, w in strategy["weights"].items())
        if strategy["kind"] == "weights"
        else formatting.config_sentence(strategy["config"])
    )
    summary = [
        ("Deployment", f"{deployment['id']} ({deployment['status']}, {deployment['mode']})"),
        ("Strategy", what),
        ("Universe", ", ".join(spec["universe"])),
        ("Capital", money(spec["capital"])),
        (
            "Schedule",
            schedule_of(spec).describe()
            + (
                " (the strategy's own cadence)" if spec.get("schedule_source") == "strategy" else ""
            ),
        ),
        ("Market data", _data(deployment.get("data"))),
        ("Limits", formatting.trading_limits_words(spec["limits"])),
        *(("Note", note) for note in strategy.get("notes", [])),
    ]
    return "\n".join(["<section><h2>What is deployed</h2>", table(["", ""], summary), "</section>"])


def _chart_data(performance: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's series (`values`) and the benchmarks' names as the table shows them."""
    rows = (performance.get("benchmarks") or {}).get("performance") or []
    return {
        **(performance.get("values") or {}),
        "labels": {row["name"]: row["label"] for row in rows},
    }


def _beside(benchmarks: Mapping[str, Any]) -> str:
    """The account, its backtest and the benchmarks, one row each (`trading.benchmarks`)."""

    ratio = formatting.ratio
    rows = [
        (
            row["label"],
            percent(row["total_return"]),
            percent(row["cagr"]),
            percent(row["volatility"]),
            ratio(row["sharpe"]),
            percent(row["max_drawdown"]),
        )
        for row in benchmarks["performance"]
    ]
    headers = ["", "Return", "CAGR", "Volatility", "Sharpe", "Max drawdown"]
    rate = percent(benchmarks["risk_free_rate"])
    missing = "".join(f"<p>Left out: {escape(why)}.</p>" for why in benchmarks["missing"].values())
    return (
        f"<h3>Beside it (Sharpe against a {rate} risk-free rate)</h3>"
        + table(headers, rows)
        + missing
    )


def _against_the_backtest(performance: Mapping[str, Any]) -> str:
    data = ("Market data", _data(performance.get("data")))
    if not performance.get("sessions"):
        return (
            "<section><h2>Against the backtest</h2><p>Nothing traded yet.</p>"
            + table(["", ""], [data])
            + "</section>"
        )
    c = performance["comparison"]
    limit = performance.get("max_drawdown_limit")
    drawdown = percent(c["drawdown"]) + (
        "" if limit is None else f" (pauses beyond {percent(limit)})"
    )
    gap = c["return_gap"]
    rows = [
        (
            "Sessions",
            f"{performance['start']} to {performance['end']} ({performance['sessions']})",
        ),
        data,
        ("Paper (from the first close)", percent(c["live_return"])),
        ("Backtest: the strategy as deployed", percent(c["backtest_return"])),
        *_searched_row(performance.get("values") or {}),
        (
            "Paper return against the backtest's",
            f"{abs(gap) * 100:.2f} points {'above' if gap >= 0 else 'below'}",
        ),
        ("Tracking error (a year)", percent(c["tracking_error"])),
        ("Drawdown", drawdown),
        ("Weight drift from the targets", percent(performance["weight_drift"])),
        *_hedge_rows(performance.get("hedge")),
    ]
    return "\n".join(
        [
            "<section><h2>Against the backtest</h2>",
            '<div id="chart-performance" style="height:360px"></div>',
            table(["", ""], rows),
            _gap(performance.get("decomposition")),
            _beside(performance["benchmarks"]),
            "</section>",
        ]
    )


def _searched_row(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The searched backtest's return over the same sessions, when it is shown (a schedule that
    is not the strategy's own)."""
    searched = values.get("searched") or []
    if not searched:
        return []
    total = percent(searched[-1] / searched[0] - 1)
    return [("Searched backtest: the strategy as it was searched, on its own cadence", total)]


def _gap(decomposition: Mapping[str, Any] | None) -> str:
    """Why the account ends where it does against its backtest
    (`trading.forward_tests.tracking`): its words and every part as a share of the capital."""
    if not decomposition:
        return ""
    rows = [(part["words"], percent(part["share"])) for part in decomposition["parts"]]
    return (
        '<h3>The gap, in parts</h3><p id="gap-words">'
        + escape(decomposition["words"][:1].upper() + decomposition["words"][1:])
        + ".</p>"
        + table(["Part", "Share of the capital"], rows)
    )


def _positions(positions: Mapping[str, Any]) -> str:
    held = [p for p in positions["positions"] if p["quantity"] > 0]
    totals = [
        ("Valued at the closes of", positions.get("priced_on") or "–"),
        ("Cash", money(positions["cash"])),
        ("Equity", money(positions["equity"])),
        ("Realised P&L", money(positions["realised_pnl"])),
        ("Unrealised P&L", money(positions["unrealised_pnl"])),
        ("Commissions", money(positions["fees"])),
    ]
    rows = [
        (
            p["symbol"],
            f"{p['quantity']:.6f}",
            money(p["price"]),
            money(p["market_value"]),
            money(p["cost_basis"]),
            money(p["unrealised_pnl"]),
        )
        for p in held
    ]
    headers = ["Symbol", "Shares", "Price", "Value", "Cost basis", "Unrealised P&L"]
    return "\n".join(
        [
            "<section><h2>Positions</h2>",
            table(["", ""], totals),
            table(headers, rows),
            "</section>",
        ]
    )


def _orders(orders: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        (
            o["sequence"],
            o["symbol"],
            o["side"],
            f"{o['quantity']:.6f}",
            o["status"],
            money(o["average_price"]),
            o["reason"] or "",
        )
        for o in orders[-100:]
    ]
    headers = ["#", "Symbol", "Side", "Quantity", "Status", "Average price", "Reason"]
    return "\n".join(
        [
            f"<section><h2>Orders ({len(orders)}; the last 100)</h2>",
            table(headers, rows),
            "</section>",
        ]
    )
