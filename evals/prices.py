"""What a case's tokens cost: list prices per model (US dollars per 1M tokens).

By default the prices are the model catalog's (`settings.model_catalog`: each model's input,
output, cache read and cache write prices, cited there; a profile prefix such as ``us.`` names the
same model). Each model call is priced on its own, with Bedrock's split of the prompt: uncached
input at the input price, cache reads and writes at theirs (a long prompt at the model's
long-prompt band, where it has one). A model or a price that is unknown gives an unknown cost
(None), never 0; the offline model costs 0.

`--prices FILE` reads your own table instead (negotiated rates, OpenAI models): TOML with `date`,
`source` and a ``[models."<id>"]`` table per model with `input` and `output`, and optionally
`cache_read` and `cache_write`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from settings.model_catalog import Prices, model_catalog


@dataclass(frozen=True)
class PriceTable:
    """Prices per model id (base ids of the catalog, or a file's ids); when and where they were
    read."""

    prices: Mapping[str, Prices]
    date: str
    source: str

    def _prices_of(self, model: str) -> Prices | None:
        if model in self.prices:
            return self.prices[model]
        resolved = model_catalog().resolve(model)
        if resolved is not None:
            return self.prices.get(resolved.model.base_id)
        return None

    def call_cost(self, provider: str, model: str | None, usage: Mapping[str, int]) -> float | None:
        """US dollars of one model call (`usage` as `agents.agent_loop.call_usage` gives it: 0
        for the offline provider; None when the model or a price it needs is unknown)."""
        if provider == "offline":
            return 0.0
        prices = self._prices_of(model) if model is not None else None
        if prices is None:
            return None
        return prices.cost(
            usage.get("input_tokens", 0),
            usage.get("output_tokens", 0),
            usage.get("cache_read_tokens", 0),
            usage.get("cache_write_tokens", 0),
        )


class PriceTableError(ValueError):
    """A price table file that cannot be read: the message names the file and the field."""


def catalog_prices() -> PriceTable:
    """The model catalog's list prices."""
    catalog = model_catalog()
    prices = {m.base_id: m.price for m in catalog.models if m.price is not None}
    source = (
        "settings/model_catalog.toml (Anthropic's list prices for Claude: Bedrock's geographic "
        "and in-Region profiles may cost about 10% more; each model cites its sources there)"
    )
    return PriceTable(prices, catalog.retrieved, source)


def _price(row: object, side: str, path: Path, model: str, required: bool) -> float | None:
    value = row.get(side) if isinstance(row, dict) else None
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise PriceTableError(
            f"{path}: models.{model!r}.{side} must be a price >= 0 in US dollars per 1M tokens, "
            f"got {value!r}"
        )
    return float(value)


def load_prices(path: Path) -> PriceTable:
    """The price table of the file `path` (see the module docstring).

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
    prices: dict[str, Prices] = {}
    for model, row in (data.get("models") or {}).items():
        values = {
            side: _price(row, side, path, model, side in ("input", "output"))
            for side in ("input", "output", "cache_read", "cache_write")
        }
        prices[str(model)] = Prices(**values)  # type: ignore[arg-type]
    return PriceTable(prices, str(data["date"]), str(data["source"]))


__all__ = ["PriceTable", "PriceTableError", "catalog_prices", "load_prices"]
