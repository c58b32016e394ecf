"""The results page of a run on a user's price file (no market index: only the embedded data
carries the S&P 500's), in Chromium: the benchmark table's caption says the index is left out and
why, instead of claiming it is there, and the summary says where the file's data ends."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic_market import synthetic_closes, synthetic_symbols
from tests.support.browser import Server, sign_in, small_request, wait_for_job

PRICES = Path(tempfile.mkdtemp(prefix="stratigos-file-data-")) / "closes.csv"
SERVER_SETTINGS = {"market_data": str(PRICES)}


@pytest.fixture(scope="module", autouse=True)
def price_file() -> Iterator[Path]:
    """Six synthetic stocks' closes (seeded random walks), written before the server starts."""
    closes = synthetic_closes(synthetic_symbols(6), date(2016, 1, 4), date(2022, 12, 30), seed=11)
    closes.to_csv(PRICES, index_label="date")
    yield PRICES
    PRICES.unlink()
    PRICES.parent.rmdir()


def test_without_an_index_the_benchmark_caption_says_it_is_left_out_and_why(
    page: Any, server: Server
) -> None:
    with server.client() as client:
        job = client.post("/v1/optimizations", json=small_request()).json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
        results = client.get(f"/v1/optimizations/{job['id']}/results").json()
    why = (
        "the market data (file) holds no market index: the S&P 500 index comes with the "
        "embedded data only"
    )
    assert results["benchmarks_missing"] == {"market": why}
    sign_in(page, server, f"#/jobs/{job['id']}")
    page.wait_for_selector(f"body[data-results-ready='{job['id']}']")
    caption = page.inner_text("#benchmark-table caption")
    assert f"The market index is left out: {why}." in caption
    assert "the market index (the S&P 500" not in caption
    strategies = page.locator("#benchmark-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.strategy)"
    )
    assert "market" not in strategies and "buy_and_hold" in strategies
    assert page.inner_text("#results-data").endswith(
        f"market data file (version {results['dataset']['version']}), which ends on 2022-12-30"
    )
    assert page.problems == []
