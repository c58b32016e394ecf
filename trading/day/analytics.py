"""A strategy's analytics at a session's close: one row per session it traded, with its returns,
exposures, turnover and costs and how it tracks its backtest and its benchmarks, and a summary;
written as one Parquet file (the post-market run's, `trading.day.post_market`) and read back
for the tearsheets.

Every figure comes from the deployment's ledger through `trading.performance` (the one
definition of its values, its backtest over the same sessions, the benchmarks and their
measures) and `trading.deployment_views.positions`; nothing is recomputed here but the
per-session ratios. Columns (`ANALYTICS_COLUMNS`, then one per benchmark and one per symbol):

- `date` (the session), `equity` (the account's value at its close, the hedge included),
  `return` (that session's simple return, cash flows in or out not counting: (equity - flow) /
  previous equity - 1; null on the first), `backtest` and `backtest_return` (the deployed
  backtest over the same sessions), `tracking_difference` (`return` - `backtest_return`);
- `cash`, `invested` (the shares at the close, currency), `gross_exposure` (`invested` /
  `equity`);
- `traded_notional` (shares x price of the session's fills), `turnover` (`traded_notional` /
  `equity`), `fees` (the session's commissions), `slippage` (what its fills paid beyond the
  session's close, `trading.performance.SessionBook`), `costs` (fees plus slippage) and
  `cumulative_costs`;
- `benchmark.<name>` and `benchmark_return.<name>` (`trading.benchmarks`), `excess.<name>`
  (`return` - the benchmark's);
- `weight.<symbol>`: the symbol's value at the close / `equity`.

The summary (JSON, kept in the file's schema metadata under `stratigos.analytics`) holds the
deployment id, the session, the performance report and the positions as of that close, the
totals: `initial_turnover` (the first session's, where the capital was invested),
`turnover` (the sum over the later sessions: the rebalancing), `annualised_turnover` (their mean
x 252; null before a second session), `fees`, `slippage` and `costs` (their sum, over every
session) and `costs_fraction` (costs over the mean equity); and the `statistics` of the daily
returns (`trading.day.statistics`: Sortino, Calmar, best and worst day and month, the monthly
returns table, the drawdown and the rolling volatility and Sharpe ratio at each session, against
the strategy's safe rate), each one the history does not yet allow saying why.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from store import Deployment, Store
from trading.day.statistics import return_statistics
from trading.deployment_views import positions
from trading.performance import ledger_window, performance, session_books

ANALYTICS_METADATA_KEY = b"stratigos.analytics"
"""The Parquet schema metadata key of the summary (JSON)."""
ANALYTICS_COLUMNS = (
    "date",
    "equity",
    "return",
    "backtest",
    "backtest_return",
    "tracking_difference",
    "cash",
    "invested",
    "gross_exposure",
    "traded_notional",
    "turnover",
    "fees",
    "slippage",
    "costs",
    "cumulative_costs",
)
"""The columns every analytics table starts with (benchmarks and weights follow)."""
PERIODS_PER_YEAR = 252


@dataclass(frozen=True)
class StrategyAnalytics:
    """The analytics of `deployment_id` at the close of `day`: the `table` (one row per
    session) and the `summary` (see the module docstring)."""

    deployment_id: str
    day: date
    table: pd.DataFrame
    summary: dict[str, Any]

    def to_parquet(self) -> bytes:
        """The table as a Parquet file, the summary in its schema metadata."""
        frame = self.table.assign(date=pd.to_datetime(self.table["date"]).dt.date)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = {**(arrow.schema.metadata or {}), ANALYTICS_METADATA_KEY: _json(self.summary)}
        out = io.BytesIO()
        pq.write_table(arrow.replace_schema_metadata(metadata), out)
        return out.getvalue()

    @classmethod
    def from_parquet(cls, data: bytes) -> StrategyAnalytics:
        """The analytics a file of `to_parquet` holds."""
        arrow = pq.read_table(io.BytesIO(data))
        summary = json.loads((arrow.schema.metadata or {})[ANALYTICS_METADATA_KEY])
        return cls(
            summary["deployment_id"],
            date.fromisoformat(summary["day"]),
            arrow.to_pandas(),
            summary,
        )


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, default=str).encode()


def strategy_analytics(store: Store, deployment: Deployment, day: date) -> StrategyAnalytics | None:
    """The deployment's analytics at the close of `day`, or None when it has no valued session
    that day (nothing traded yet, or the market data has no close of it)."""
    as_of = datetime.combine(day, time.max, UTC)
    report = performance(store, deployment, as_of)
    window = ledger_window(store, deployment, as_of)
    if not report["sessions"] or report["end"] != day.isoformat() or window.sessions is None:
        return None
    values = report["values"]
    dates = pd.DatetimeIndex(pd.to_datetime(values["dates"]))
    books = {b.day: b for b in session_books(window.entries, window.sessions, window.closes)}
    equity = pd.Series(values["paper"], index=dates)
    flows = pd.Series([books[d].flow for d in dates], index=dates)
    table = pd.DataFrame({"date": [d.date().isoformat() for d in dates]}, index=dates)
    table["equity"] = equity
    table["return"] = _returns(equity, flows)
    table["backtest"] = values["backtest"]
    table["backtest_return"] = table["backtest"].pct_change()
    table["tracking_difference"] = table["return"] - table["backtest_return"]
    _books(table, books, window.closes)
    for name, line in values["benchmarks"].items():
        table[f"benchmark.{name}"] = line
        table[f"benchmark_return.{name}"] = table[f"benchmark.{name}"].pct_change()
        table[f"excess.{name}"] = table["return"] - table[f"benchmark_return.{name}"]
    _weights(table, books, window.closes)
    summary = {
        "deployment_id": deployment.id,
        "deployment_name": deployment.name,
        "day": day.isoformat(),
        "performance": report,
        "positions": positions(store, deployment, as_of),
        "totals": _totals(table),
        "statistics": return_statistics(
            table["return"].dropna(), report["benchmarks"]["risk_free_rate"]
        ),
    }
    return StrategyAnalytics(deployment.id, day, table.reset_index(drop=True), summary)


def _returns(equity: pd.Series, flows: pd.Series) -> pd.Series:
    """Each session's simple return without its cash flows (the first: NaN)."""
    previous = equity.shift(1)
    return (equity - flows) / previous - 1.0


def _books(table: pd.DataFrame, books: dict[pd.Timestamp, Any], closes: pd.DataFrame) -> None:
    """The cash, exposure, turnover and cost columns from each session's book."""
    rows = [books[d] for d in table.index]
    table["cash"] = [b.cash for b in rows]
    table["invested"] = [
        sum(abs(q) * float(closes.loc[b.day, s]) for s, q in b.holdings.items()) for b in rows
    ]
    table["gross_exposure"] = table["invested"] / table["equity"]
    table["traded_notional"] = [b.traded for b in rows]
    table["turnover"] = table["traded_notional"] / table["equity"]
    table["fees"] = [b.fees for b in rows]
    table["slippage"] = [b.slippage for b in rows]
    table["costs"] = table["fees"] + table["slippage"]
    table["cumulative_costs"] = table["costs"].cumsum()


def _weights(table: pd.DataFrame, books: dict[pd.Timestamp, Any], closes: pd.DataFrame) -> None:
    """A `weight.<symbol>` column per symbol held in any session."""
    symbols = sorted({s for d in table.index for s in books[d].holdings})
    for symbol in symbols:
        held = [
            books[d].holdings.get(symbol, 0.0) * float(closes.loc[d, symbol]) for d in table.index
        ]
        table[f"weight.{symbol}"] = np.asarray(held) / table["equity"].to_numpy()


def _totals(table: pd.DataFrame) -> dict[str, float | None]:
    """The turnover and cost totals of the summary (see the module docstring)."""
    costs = float(table["costs"].sum())
    later = table["turnover"].iloc[1:]
    return {
        "initial_turnover": float(table["turnover"].iloc[0]),
        "turnover": float(later.sum()),
        "annualised_turnover": float(later.mean() * PERIODS_PER_YEAR) if len(later) else None,
        "fees": float(table["fees"].sum()),
        "slippage": float(table["slippage"].sum()),
        "costs": costs,
        "costs_fraction": costs / float(table["equity"].mean()),
    }
