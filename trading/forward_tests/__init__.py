"""Forward tests: a deployment paper traded over past market data, session by session, through
the same schedule, order queue, paper accounts and ledgers as a live one, as its own deployment,
and compared with the engine's backtest.

- `trading.forward_tests.paper`: the forward test (its deployment, the session loop, the result).
- `trading.forward_tests.hedge`: the test's option hedge, run after each rebalance.
- `trading.forward_tests.backtest`: the backtest a deployment's account is compared with (also
  the performance report's, `trading.performance`).
"""
