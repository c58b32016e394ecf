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


class PriceTableError(ValueError):
    """A price table file that cannot be read: the message names the file and the field."""


def load_prices(path: Path = PRICES_FILE) -> PriceTable:
    """The price table of `path`: `date` and `source` strings and a `[models."<id>"]` table per
    model with `input` and `output` prices (US dollars per 1M tokens, >= 0).

    Raises PriceTableError naming the file and the field when it cannot be read."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise PriceTableError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PriceTableError(f"{path}: not valid TOML ({exc})") from exc
    for field in ("date", "source"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise PriceTableError(
                f"{path}: {field} is missing (say when and where prices were read)"
            )
    prices: dict[str, tuple[float, float]] = {}
    for model, row in (data.get("models") or {}).items():
        pair = []
        for side in ("input", "output"):
            value = row.get(side) if isinstance(row, dict) else None
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise PriceTableError(
                    f"{path}: models.{model!r}.{side} must be a price >= 0 in US dollars per "
                    f"1M tokens, got {value!r}"
                )
            pair.append(float(value))
        prices[str(model)] = (pair[0], pair[1])
    return PriceTable(prices, str(data["date"]), str(data["source"]))
