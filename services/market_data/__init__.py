"""Market data: the one home of the prices and returns Stratigos uses.

- `providers`: where daily closes come from, behind one interface (`MarketDataProvider`): the
  embedded S&P 500 data, the configured CSV/Parquet file (local or S3), or Alpaca Market Data
  (`alpaca`, kept current by `refresh`); `market_closes`, `data_info`;
- `adjustments`: the check that closes are adjusted for splits;
- `versions`: a provider's closes kept as versions, each made current at once;
- `sessions`: whether closes are recent enough to price a decision, and the closes (with a
  provisional row during a session) a decision uses;
- `datasets`: tables an owner uploads (validated, stored as Parquet) and read back;
- `tables`: columnar JSON tables, inline returns and their checks; narrowing by assets and dates;
- `sources`: the returns an analysis request works on (inline, dataset, portfolio, configured);
- `tickers`: what every door says of a ticker the data has no prices for, and where more come
  from.

Returns are daily simple returns; tables have a sorted unique DatetimeIndex and one float column
per asset. The numeric core reads and validates price tables (`quant.data`); the interfaces
reach market data here. Names are imported on first use (`lazy_exports`), so a
module of the package loads only what it imports.
"""

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "quant.data": ("sp500_prices",),
    "services.market_data.providers": (
        "data_info",
        "market_closes",
        "market_data_provider",
        "universe_closes",
    ),
    "services.market_data.sessions": ("decision_closes", "last_closed_session", "unpriced"),
}

__all__ = exported_names(_EXPORTS)

__getattr__, __dir__ = lazy_exports("services.market_data", _EXPORTS, globals())

if TYPE_CHECKING:
    from quant.data import sp500_prices
    from services.market_data.providers import (
        data_info,
        market_closes,
        market_data_provider,
        universe_closes,
    )
    from services.market_data.sessions import decision_closes, last_closed_session, unpriced
