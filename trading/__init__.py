"""The deployment lifecycle: deployments, their schedules, rebalance and hedge runs, the execution
queue, broker accounts, ledgers, kill switches, forward tests, performance and run notifications.

Pure trading logic (order plans, brokers' wire adapters, schedules, ledger maths) is in
`execution/`, beneath this package; the analysis use cases it reads (market data, profiles) are in
`services/`.
"""
