"""A stand-in for Alpaca's trading API v2 on loopback, executing orders with the project's
paper broker, so that `execution.brokers.alpaca` (alpaca-py -> requests -> HTTP) is tested with
no network and no real keys (as `devtools.local_bedrock` stands in for Bedrock), and, given a
`MarketTape`, the Market Data API's daily bars and latest trades that
`services.market_data.alpaca` reads. See docs/brokers.md and docs/market-data.md.

    broker = PaperBroker(prices)
    broker.deposit(100_000, start)
    with LocalAlpaca(broker) as alpaca:            # a free port on 127.0.0.1
        alpaca.advance(start)
        adapter = AlpacaBroker(alpaca.key_id, SecretStr(alpaca.secret_key), url_override=alpaca.url)
"""

from devtools.local_alpaca.account import SimulatedAccount
from devtools.local_alpaca.market import MarketTape
from devtools.local_alpaca.server import LocalAlpaca
from devtools.local_alpaca.wire import AlpacaError

__all__ = ["AlpacaError", "LocalAlpaca", "MarketTape", "SimulatedAccount"]
