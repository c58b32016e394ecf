"""The runs of a deployment at a schedule fire, through the one order queue (`trading.queue`):

- `trading.runs.rebalance`: the rebalance run (decide the strategy's targets, trade the shares).
- `trading.runs.hedge`: the hedge run after it (plan the options, trade the contracts).
- `trading.runs.monitor`: after a rebalance, the account checked: reconciliation, drawdown,
  pauses and their notifications.
- `trading.runs.outcome`: what a run of either kind did (`RunOutcome`).

The job kinds that run them are `trading.execution_jobs`.
"""
