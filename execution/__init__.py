"""Execution: turning target weights into orders and keeping the record of what was traded.

- `execution.orders`: the order plan from an account's holdings, cash and prices to target
  weights (whole or fractional shares, minimum trade size, cash buffer, estimated costs).
- `execution.ledger`: fills and cash flows, FIFO tax lots, positions, realised and unrealised
  P&L, time-weighted return.
- `execution.schedule` (with `execution.cron`): rebalancing schedules on an exchange's trading
  sessions (holidays, early closes, its time zone) and the catch-up policy for missed fires.
- `execution.brokers`: the broker interface (idempotent client order ids) and the built-in
  paper broker (fills at session bars with slippage, commission, partial fills, buying power).
- `execution.deployment`: a deployment's lifecycle and limits (turnover, position, drawdown).
- `execution.rebalance`: what a run decides before sending anything: a rule strategy's or fixed
  weights' targets on the closes known at the run, the plan, the limits it breaks.
- `execution.monitoring`: live against backtest (return gap, tracking error, drawdown) and the
  drift of the account's weights from its targets.
- `execution.errors`: the typed errors.

No I/O of its own and no clock: times are given (the trading calendars come from
`exchange_calendars`).
"""
