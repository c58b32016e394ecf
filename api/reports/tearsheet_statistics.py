"""The statistics part of a strategy's tearsheet (`api.reports.tearsheets`), from its analytics'
`statistics` (`trading.day.statistics`, kept by the post-market run): the returns and risk table (total return, CAGR,
volatility, Sharpe, Sortino, maximum drawdown, Calmar, best and worst day and month, each one
the history does not yet allow saying why, and how Sharpe and Sortino treat the safe rate), the
monthly returns table, and three charts drawn as the report's other charts are (plotly.js, data
as escaped JSON): the drawdown at each session (underwater), and the rolling volatility and
rolling Sharpe ratio.

Units: returns, volatility and drawdown in %, ratios with two decimals; never a negative zero.
"""

from __future__ import annotations

from typing import Any

from api.reports.deployment import table
from api.reports.page import json_script, percent
from services import formatting
from trading.day.statistics import MONTHS

_CHARTS_JS = """
(function () {
  const data = JSON.parse(document.getElementById("data-statistics").textContent);
  if (!data.dates.length) return;
  const draw = (id, name, values, axis, format) => {
    const el = document.getElementById(id);
    if (!el) return;
    Plotly.newPlot(el, [{ type: "scatter", mode: "lines", name, x: data.dates, y: values,
      fill: id === "chart-drawdown" ? "tozeroy" : undefined }], {
      margin: { l: 60, r: 20, t: 30, b: 40 },
      yaxis: { title: { text: axis }, tickformat: format,
               autorange: id === "chart-drawdown" ? "reversed" : true },
    }, { displaylogo: false, responsive: true });
  };
  draw("chart-drawdown", "drawdown", data.drawdown, "drawdown", ".1%");
  draw("chart-rolling-volatility", "rolling volatility", data.rolling_volatility,
       "volatility (a year)", ".0%");
  draw("chart-rolling-sharpe", "rolling Sharpe", data.rolling_sharpe, "Sharpe ratio", ".2f");
})();
"""

_ROWS = (
    ("total_return", "Total return", "percent"),
    ("cagr", "CAGR", "percent"),
    ("volatility", "Volatility (a year)", "percent"),
    ("sharpe", "Sharpe ratio", "ratio"),
    ("sortino", "Sortino ratio", "ratio"),
    ("max_drawdown", "Maximum drawdown", "percent"),
    ("calmar", "Calmar ratio (CAGR / maximum drawdown)", "ratio"),
    ("best_day", "Best day", "percent"),
    ("worst_day", "Worst day", "percent"),
    ("best_month", "Best month", "percent"),
    ("worst_month", "Worst month", "percent"),
)
"""The returns and risk table's rows: statistic, label, how its value is shown."""


def statistics_section(statistics: dict[str, Any]) -> str:
    """The returns and risk table, the monthly returns table and the charts' places."""
    rows = [(label, *_shown(statistics[name], kind)) for name, label, kind in _ROWS]
    rate = percent(statistics["risk_free_rate"], 2)
    window = statistics["rolling_window"]
    why = statistics["series"]["rolling_why"]
    return "\n".join(
        [
            "<section><h2>Returns and risk</h2>",
            f"<p>Over {statistics['returns']} daily returns (cash flows in or out not "
            f"counting), against a {rate} safe rate: {statistics['convention']}.</p>",
            table(["", "Value", "On", "Why not shown"], rows),
            "<h3>Monthly returns</h3>",
            _monthly_table(statistics["monthly"]),
            "<h3>Drawdown (underwater)</h3>",
            '<div id="chart-drawdown" style="height:260px"></div>',
            f"<h3>Rolling volatility and Sharpe ratio ({window} sessions)</h3>",
            f"<p>{why}.</p>" if why else "",
            '<div id="chart-rolling-volatility" style="height:260px"></div>',
            '<div id="chart-rolling-sharpe" style="height:260px"></div>',
            "</section>",
        ]
    )


def statistics_scripts(statistics: dict[str, Any]) -> list[str]:
    """The charts' data and the script that draws them (after plotly.js)."""
    return [json_script("data-statistics", statistics["series"]), f"<script>{_CHARTS_JS}</script>"]


def _shown(statistic: dict[str, Any], kind: str) -> tuple[str, str, str]:
    """A statistic's value as shown, the day or month it is on, and why it is not shown."""
    value = statistic["value"]
    if value is None:
        return formatting.MISSING, "", statistic["why"] or ""
    text = percent(value) if kind == "percent" else formatting.ratio(value)
    return text, statistic["on"] or "", ""


def _monthly_table(rows: list[dict[str, Any]]) -> str:
    """A row per year: its months' returns and the year's, in % ("–": no return that month)."""
    if not rows:
        return "<p>No month yet.</p>"
    cells = [
        (row["year"], *(percent(v, 2) for v in row["months"]), percent(row["year_return"], 2))
        for row in rows
    ]
    return table(["Year", *MONTHS, "Year"], cells)
