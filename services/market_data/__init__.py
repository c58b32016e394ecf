"""Market data: the one home of the prices and returns Stratigos uses.

- `providers`: where daily closes come from, behind one interface (`MarketDataProvider`): the
  embedded S&P 500 data, or the configured CSV/Parquet file (local or S3); `market_closes`;
- `sessions`: whether closes are recent enough to price a decision;
- `datasets`: tables an owner uploads (validated, stored as Parquet) and read back;
- `tables`: columnar JSON tables, inline returns and their checks; narrowing by assets and dates;
- `sources`: the returns an analysis request works on (inline, dataset, portfolio, embedded).

Returns are daily simple returns; tables have a sorted unique DatetimeIndex and one float column
per asset. The numeric core reads and validates price tables (`quant.data`); the interfaces
reach market data here.
"""

from quant.data import sp500_prices
from services.market_data.providers import market_closes, universe_closes
from services.market_data.sessions import last_closed_session, unpriced

__all__ = ["last_closed_session", "market_closes", "sp500_prices", "universe_closes", "unpriced"]
