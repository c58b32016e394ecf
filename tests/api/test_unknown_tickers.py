"""A ticker the market data has no prices for is refused at every door with the same words: which
ticker, what the data in use holds (the embedded S&P 500 data: 20 stocks), and how to bring
those prices (a file of daily closes or an uploaded dataset, or Alpaca Market Data: docs/
market-data.md). The founding plan's own example (GOOGL, AMZN and META are not among the
20 stocks) is the first request tried. And the founding API's examples as docs/api.md carries
them, on tickers of the embedded data, answer as documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from services.market_data.tickers import MORE_TICKERS
from tests.api.conftest import Api
from tests.api.test_unversioned import EXAMPLE_42

EMBEDDED_TICKERS = {"AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY",
                    "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"}  # fmt: skip
EMBEDDED = (
    "in the embedded S&P 500 data (20 tickers: AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM, KO, "
    "LLY, MRK, MSFT, PEP, PFE, PG, RRC, UNH, WMT, XOM): "
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"

DOORS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("post", "/portfolios", EXAMPLE_42, "body.portfolio.assets.GOOGL"),
    (
        "post",
        "/v1/portfolios",
        {
            "name": "tech",
            "weights": [{"asset": "AAPL", "weight": 0.5}, {"asset": "GOOGL", "weight": 0.5}],
        },
        "body.weights.1.asset",
    ),
    ("get", "/v1/market-data/prices?assets=AAPL,GOOGL", None, "query.assets"),
    ("get", "/market-data/returns?assets=AAPL,GOOGL", None, "query.assets"),
    ("post", "/v1/optimization/hrp", {"assets": ["AAPL", "GOOGL"]}, "body.assets"),
    ("post", "/v1/monte-carlo/simulate", {"weights": {"AAPL": 0.5, "GOOGL": 0.5}}, "body.assets"),
    ("put", "/v1/profile", {"universe": ["AAPL", "GOOGL"]}, "body.universe"),
    ("post", "/v1/optimizations", {"universe": ["AAPL", "GOOGL"]}, "body.universe.GOOGL"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), DOORS)
def test_every_door_says_where_the_prices_of_an_unknown_ticker_come_from(
    api: Api, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    sent = {} if body is None else {"json": body}
    response = getattr(api.client, method)(path, headers=api.alice, **sent)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    [detail] = [d for d in error["details"] if d["field"] == field]
    assert f"no prices for GOOGL {EMBEDDED}{MORE_TICKERS}" in detail["problem"]
    assert "Traceback" not in response.text


def _founding_examples() -> list[tuple[str, dict[str, Any]]]:
    """The founding API's examples docs/api.md carries: (path, body) of each `POST <path>`
    line followed by its JSON body."""
    text = DOCS.read_text()
    section = text[text.index("### The founding plan's examples") :]
    section = section[: section.index("\n## ")]
    found = re.findall(r"POST (/\S+)\n```json\n(.*?)\n```", section, flags=re.S)
    return [(path, json.loads(body)) for path, body in found]


def test_the_founding_api_s_examples_in_the_docs_work_on_the_embedded_data(api: Api) -> None:
    examples = _founding_examples()
    assert [path for path, _ in examples] == [
        "/portfolios", "/optimization/hrp", "/monte-carlo/simulate"
    ]  # fmt: skip
    (_, portfolio), (_, hrp), (_, simulation) = examples
    assert set(portfolio["portfolio"]["assets"]) <= EMBEDDED_TICKERS
    created = api.client.post("/portfolios", json=portfolio, headers=api.alice)
    assert created.status_code == 201, created.text
    assert created.json()["assets"] == portfolio["portfolio"]["assets"]
    pid = created.json()["id"]
    optimized = api.client.post(
        "/optimization/hrp", json={**hrp, "portfolioId": pid}, headers=api.alice
    )
    assert optimized.status_code == 200, optimized.text
    weights = optimized.json()["result"]["weights"]
    assert set(weights) == set(portfolio["portfolio"]["assets"])
    assert sum(weights.values()) == pytest.approx(1.0)
    simulated = api.client.post(
        "/monte-carlo/simulate", json={**simulation, "portfolioId": pid}, headers=api.alice
    )
    assert simulated.status_code == 200, simulated.text
    assert simulated.json()["portfolioId"] == pid
