"""A strategy's tearsheet after half a year of paper trading (a forward test through the real
queue, paper broker and ledger on SQLite): its post-market analytics keep the statistics of its
daily returns, each equal to quantstats' on the same returns; the page shows them with the
monthly returns table and the drawdown, rolling volatility and rolling Sharpe charts' data;
its costs include the slippage the paper broker charged against the closes; and no number on
it reads as a negative zero."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.deployment_views import deployment_out
from api.reports.page import number, percent
from api.reports.tearsheets import render_strategy_tearsheet
from quant.data import sp500_prices
from services.formatting import money
from store.sqlite import SQLiteStore
from tests.support.dollars import dollars
from tests.support.trading_day import SPEC
from trading.day.analytics import StrategyAnalytics, strategy_analytics
from trading.forward_tests.paper import ForwardTestRequest, forward_test

START, END = date(2021, 1, 4), date(2021, 6, 30)
PRICES = sp500_prices()


@pytest.fixture(scope="module")
def traded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StrategyAnalytics, str]]:
    path = Path(tmp_path_factory.mktemp("tearsheet")) / "store.sqlite"
    with SQLiteStore(path) as store:
        source = store.create_deployment("alice", "pair", "draft", SPEC)
        result = forward_test(
            store, "alice", ForwardTestRequest(source.id, START, END), PRICES, run_id="job_sheet"
        )
        test = store.get_deployment("alice", result["forward_test_deployment_id"])
        analytics = strategy_analytics(store, test, END)
        assert analytics is not None
        stored = StrategyAnalytics.from_parquet(analytics.to_parquet())  # as the job reads it
        page = render_strategy_tearsheet(deployment_out(test).model_dump(mode="json"), stored, [])
        yield stored, page


def _json(page: str, element_id: str) -> Any:
    start = page.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return json.loads(page[start : page.index("</script>", start)])


def test_the_kept_statistics_equal_quantstats_on_the_account_s_daily_returns(
    traded: tuple[StrategyAnalytics, str],
) -> None:
    import quantstats as qs  # imported here: ~1.5 s (matplotlib, seaborn...), not at collection

    analytics, _ = traded
    returns = pd.Series(
        analytics.table["return"].to_numpy(), index=pd.to_datetime(analytics.table["date"])
    ).dropna()
    assert len(returns) > 100
    stats = analytics.summary["statistics"]
    rate = stats["risk_free_rate"]
    assert rate == analytics.summary["performance"]["benchmarks"]["risk_free_rate"]
    rf = (1 + rate / 252) ** 252 - 1
    expected = {
        "total_return": qs.stats.comp(returns),
        "cagr": qs.stats.cagr(returns, periods=252),
        "volatility": qs.stats.volatility(returns, periods=252),
        "sharpe": qs.stats.sharpe(returns, rf=rf, periods=252),
        "sortino": qs.stats.sortino(returns, rf=rf, periods=252),
        "max_drawdown": -qs.stats.max_drawdown(returns),
        "calmar": qs.stats.calmar(returns, periods=252),
        "best_day": qs.stats.best(returns),
        "worst_day": qs.stats.worst(returns),
        "best_month": qs.stats.best(returns, aggregate="ME"),
        "worst_month": qs.stats.worst(returns, aggregate="ME"),
    }
    for name, theirs in expected.items():
        assert stats[name]["value"] == pytest.approx(float(theirs), abs=1e-6), name
    months = qs.stats.monthly_returns(returns).loc["2021"]
    [year] = stats["monthly"]
    assert year["months"][:6] == pytest.approx(list(months.iloc[:6]), abs=1e-6)
    assert year["months"][6:] == [None] * 6 and year["year_return"] == pytest.approx(
        float(months["EOY"]), abs=1e-6
    )


def test_the_page_shows_them_with_the_monthly_table_and_the_charts(
    traded: tuple[StrategyAnalytics, str],
) -> None:
    analytics, page = traded
    stats = analytics.summary["statistics"]
    for label in ("Sortino ratio", "Calmar ratio", "Best day", "Worst month", "Monthly returns",
                  "Drawdown (underwater)", "Rolling volatility and Sharpe ratio (63 sessions)"):  # fmt: skip
        assert label in page, label
    assert f"<td>Sortino ratio</td><td>{stats['sortino']['value']:.2f}</td>" in page
    worst = stats["worst_day"]
    assert f"<td>{worst['value'] * 100:.2f}%</td><td>{worst['on']}</td>" in page
    assert "in excess of the safe rate / 252 (simple)" in page
    assert _json(page, "data-statistics") == stats["series"]
    assert len(stats["series"]["drawdown"]) == len(stats["series"]["dates"]) > 100
    assert 'id="chart-drawdown"' in page and 'id="chart-rolling-sharpe"' in page
    assert sum(v is not None for v in stats["series"]["rolling_sharpe"]) > 50


def test_costs_include_the_slippage_and_nothing_reads_as_a_negative_zero(
    traded: tuple[StrategyAnalytics, str],
) -> None:
    analytics, page = traded
    totals = analytics.summary["totals"]
    assert totals["fees"] == 0.0 and totals["slippage"] > 0  # the paper broker: 5 bps, no fee
    assert totals["costs"] == pytest.approx(totals["slippage"])
    assert totals["costs_fraction"] > 0
    assert (
        f'<th scope="row">Slippage against the closes</th><td>{dollars(totals["slippage"])}</td>'
        in page
    )
    assert (
        f'<th scope="row">Costs (commissions and slippage)</th><td>{dollars(totals["costs"])}</td>'
        in page
    )
    shown = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert not re.search(r"-0\.0+(?![0-9])", shown)


@settings(max_examples=300, deadline=None)
@given(
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    digits=st.integers(min_value=1, max_value=4),  # the tearsheets show 1 to 3 decimals
)
def test_a_number_shown_is_never_a_negative_zero(value: float, digits: int) -> None:
    shown_texts = {
        percent(value, digits): f"{value * 100:,.{digits}f}%",
        money(value): dollars(value),
        number(value): f"{value:,.2f}",
    }
    for shown, reference in shown_texts.items():
        if re.search(r"[1-9]", reference):  # a nonzero number keeps its sign and digits
            assert shown == reference, (value, digits)
        else:  # what rounds to zero reads unsigned
            assert shown == reference.removeprefix("-"), (value, digits)
    assert percent(-0.00001, 2) == "0.00%" and money(-0.001) == "$0.00"
    assert percent(-0.0001, 2) == "-0.01%" and percent(-0.0000001, 3) == "0.000%"
