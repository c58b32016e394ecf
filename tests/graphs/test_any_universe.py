"""Any universe the configured market data holds: a synthetic 500-stock price file
(`benchmarks.synthetic_market`) as `STRATIGOS_MARKET_DATA` is validated against, optimized on
(its 500 tickers, with `--max-leverage`'s search space), deployed and forward-tested; the
results say which data they used, and a ticker the data lacks is refused naming it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from benchmarks.synthetic_market import synthetic_closes, synthetic_symbols
from graphs.job_handlers import run_job_here
from graphs.request import OptimizationRequest
from services.market_data import market_data_provider
from settings import get_settings
from store.sqlite import SQLiteStore
from trading.deployments import change_status, create_deployment
from trading.forward_tests.paper import ForwardTestRequest, forward_test

SYMBOLS = synthetic_symbols(500)


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    return synthetic_closes(SYMBOLS, date(2020, 1, 2), date(2022, 12, 30), seed=5)


@pytest.fixture
def configured(
    closes: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    path = tmp_path / "closes.parquet"
    closes.to_parquet(path)
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
    monkeypatch.setenv("STRATIGOS_MARKET_DATA", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _request(**fields: object) -> OptimizationRequest:
    return OptimizationRequest.model_validate(
        {
            "universe": SYMBOLS,
            "start": "2020-01-02",
            "end": "2022-12-30",
            "n_paths": 10,
            "horizon": 126,
            "scenarios": ["bull", "bear"],
            "search_space": {
                "target_vol": {"low": 0.05, "high": 0.2},
                "lookback": 42,
                "rebalance_every": 21,
                "max_leverage": 1.0,
            },
            "budget": {"max_trials": 4, "batch_size": 4},
            "max_risk_rounds": 0,
            **fields,
        }
    )


def test_a_500_stock_universe_optimizes_deploys_and_forward_tests(
    configured: Path, tmp_path: Path
) -> None:
    with SQLiteStore(tmp_path / "store.sqlite") as store:
        job_id, result = run_job_here(store, "alice", _request())
        assert result["status"] in ("succeeded", "partial"), result.get("reason")
        dataset = result["dataset"]
        assert len(dataset["assets"]) == 500 and dataset["provider"] == "file"
        assert dataset["version"] == market_data_provider().version()
        assert dataset["data_end"] == "2022-12-30"
        deployment = create_deployment(
            store, "alice", name="500 stocks", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
            capital=10_000_000.0, schedule={"every": "month", "on": "last", "at": "15:45"},
        )  # fmt: skip
        assert len(deployment.spec["universe"]) == 500
        change_status(store, "alice", deployment.id, "active")
        report = forward_test(
            store,
            "alice",
            ForwardTestRequest(deployment.id, date(2022, 9, 1), end=date(2022, 12, 30)),
            market_data_provider().closes(),
            run_id="job_ft500",
        )
        assert report["runs"] >= 3 and report["fills"] >= 500


def test_a_ticker_the_market_data_lacks_is_refused_naming_it(configured: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        _request(universe=[*SYMBOLS[:3], "AAPL"])
    message = str(refused.value)
    assert "universe.AAPL" in message
    assert "no prices for AAPL in the configured price file (500 tickers: S0001" in message
    assert "S0020, ...)" in message and "S0021" not in message  # the first 20 of them
    assert "from Alpaca Market Data (STRATIGOS_MARKET_DATA=alpaca)" in message
    too_many = [*SYMBOLS, "S0501"]
    with pytest.raises(ValidationError, match="at most 500 items"):
        _request(universe=too_many)


def test_without_a_market_index_the_result_and_its_reports_say_it_is_left_out_and_why(
    configured: Path, tmp_path: Path
) -> None:
    """The file's data carries no index (only the embedded data has the S&P 500's): the result,
    the Markdown and HTML reports and the CLI's summary say the index is left out and why,
    instead of claiming it is beside the winner."""
    from api.cli.optimize import _summary
    from api.reports.html import render_html_report
    from api.reports.markdown import markdown_report

    request = _request(universe=SYMBOLS[:5])
    with SQLiteStore(tmp_path / "store.sqlite") as store:
        _, result = run_job_here(store, "alice", request)
    why = (
        "the market data (file) holds no market index: the S&P 500 index comes with the "
        "embedded data only"
    )
    assert result["benchmarks_missing"] == {"market": why}
    assert set(result["benchmarks"]) == {"buy_and_hold", "equal_weight"}  # its single sleeve
    pages = {markdown_report("job_x", request, result): str, render_html_report(result): escape}
    for report, shown in pages.items():
        assert shown(f"The market index is left out: {why}.") in report
        assert shown("the market index (the S&P 500") not in report
        assert shown("in excess of the request's 2.00% safe rate") in report
    summary = _summary("job_x", result, {})
    assert f"    the market index: left out, {why}" in summary
    assert "per scenario (path means; Sharpe over the 2.00% safe rate):" in summary
