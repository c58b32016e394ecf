"""Execution: pure trading logic, beneath `trading/` (which does the I/O): what to trade, how a
broker is spoken to, and the record of what was traded. Instruments are of two kinds,
shares and option contracts (`execution.instruments`), traded through one interface.

- `execution.instruments`: the instrument kinds (stock, option) and what a unit of each is.
- `execution.orders`: the order plan from an account's holdings, cash and prices to target
  weights (whole or fractional shares, minimum trade size, cash buffer, estimated costs).
- `execution.rebalance`: what a rebalance decides before sending anything: a rule strategy's or
  fixed weights' targets on the closes known at the run, the plan, the limits it breaks.
- `execution.hedge` (with `execution.options`): the hedge plan, a strategy component beside the
  rebalance: the option orders (OCC contracts, position intents) that buy, roll or close the
  hedge of a strategy with an overlay, priced by the engine's model.
- `execution.ledger`: fills (of either kind, an option's with its event) and cash flows, FIFO
  tax lots, option contracts held, premiums and settlements, realised and unrealised P&L,
  time-weighted return.
- `execution.schedule` (with `execution.cron`): rebalancing schedules on an exchange's trading
  sessions (holidays, early closes, its time zone) and the catch-up policy for missed fires.
- `execution.brokers`: the broker interface (`Broker`: idempotent client order ids, either
  kind), the paper stock and options accounts, and Alpaca's wire adapter.
- `execution.deployment`: a deployment's lifecycle and limits (turnover, position, drawdown).
- `execution.monitoring`: live against backtest (return gap, tracking error, drawdown) and the
  drift of the account's weights from its targets.
- `execution.errors`: the typed errors.

No I/O of its own (but the Alpaca adapter's HTTP) and no clock: times are given (the trading
calendars come from `exchange_calendars`).
"""
