"""Brokers the execution queue trades through: the interface (`execution.brokers.base`), the
built-in paper broker (`execution.brokers.paper`) and Alpaca (`execution.brokers.alpaca`, over
alpaca-py; see docs/brokers.md)."""
