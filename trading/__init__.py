"""The deployment lifecycle: strategies put to work on a broker account on a schedule. One
pipeline trades both instrument kinds (`execution.instruments`: shares and option contracts),
the rebalance's shares and the hedge's options alike.

    deployments          create a deployment, move it through its lifecycle, read its spec
    hedges               its option hedge's settings, checked at creation
    hedge_pricing        what prices a hedge: the observed implied volatility, or realised
    scheduling           due schedule fires -> rebalance jobs (and a paused hedge's guard)
    execution_jobs       the job kinds: rebalance, hedge, forward_test (registers tick_jobs')
    tick_jobs            the scheduler tick's jobs: fire_due_schedules, daily_summary_day (and the trading day's)
    runs/                one fire's runs, through the queue:
      rebalance            decide the targets, trade the shares, reconcile, pause on a breach
      hedge                plan the options (`execution.hedge`), trade the contracts
      outcome              what a run of either kind did (`RunOutcome`)
    queue                the order queue: ids, send with retries and dead letters, sync fills
    accounts/            the broker accounts, one interface (`execution.brokers.base.Broker`):
      interface            what a run needs of an account of each kind
      paper                paper accounts kept in the store (shares, options)
      alpaca               the owner's Alpaca account as an options account; its option cash
      opening              which account a deployment trades, by broker and kind
    ledger               books as stored (fills of either kind, cash flows), reconciliation
    kill_switch          the kill switch and the hedging kill switch: one mechanism
    forward_tests/       paper trading a deployment over past data against its backtest
    performance          a deployment against its backtest, from its ledger
    hedge_values         what the hedge is worth: options marked, its value at each close
    deployment_views     positions, the hedge report, the checks before a run or a test
    ledger_exports       the ledger as rows, CSV, Parquet and stored exports
    daily_summary        each owner's day, after the close
    day/                 the trading day after the close (docs/trading-day.md): snapshots,
                         post-market analytics, the implied-volatility history, their jobs

Pure trading logic (order plans, the hedge plan, brokers' wire adapters, schedules, ledger
maths) is in `execution/`, beneath this package; the analysis use cases it reads (market data,
profiles, errors) are in `services/`, beneath it too. Names: a deployment's option hedge is its
**hedge** everywhere (its strategy's API fields keep the name `overlay`).
"""
