"""What a case's tokens cost: the price table `evals/prices.toml` (US dollars per 1M tokens).

A model missing from the table has an unknown cost (None), never 0; the offline model costs 0.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

PRICES_FILE = Path(__file__).resolve().parent / "prices.toml"

REGION_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.")
"""Cross-region inference profile prefixes of Bedrock model ids (same price as the model)."""


@dataclass(frozen=True)
class PriceTable:
    """Prices per model id: (input, output) US dollars per 1,000,000 tokens; when and where
    they were read."""

    prices: dict[str, tuple[float, float]]
    date: str
    source: str

    def cost(
        self, provider: str, model: str | None, tokens_in: int, tokens_out: int
    ) -> float | None:
        """US dollars for the tokens (0 for the offline provider; None when the model's price is
        not in the table)."""
        if provider == "offline":
            return 0.0
        if model is None:
            return None
        key = model
        for prefix in REGION_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
                break
        if key not in self.prices:
            return None
        price_in, price_out = self.prices[key]
        return (tokens_in * price_in + tokens_out * price_out) / 1_000_000


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """The price table of `path`."""
    data = tomllib.loads(path.read_text())
    prices = {
        str(model): (float(row["input"]), float(row["output"]))
        for model, row in data.get("models", {}).items()
    }
    return PriceTable(prices, str(data["date"]), str(data["source"]))
