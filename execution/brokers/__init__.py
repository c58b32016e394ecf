"""Brokers the order queue trades through: the interface (`execution.brokers.base`: `Broker`,
`OrderRequest`, for shares and options), the built-in paper stock account
(`execution.brokers.paper`) and paper options account (`execution.brokers.paper_options`), and
Alpaca (`execution.brokers.alpaca` over alpaca-py, its HTTP in `execution.brokers.alpaca_http`;
see docs/brokers.md)."""
