"""Use cases that the tools, the API and the CLI share, over the numeric core.

- `services.portfolios`: estimates, portfolios by method, the efficient frontier, a portfolio's
  performance, risk contributions and risk report.
- `services.monte_carlo`: a portfolio's simulated paths per scenario and method, their wealth
  fan and their risk over the horizon.
- `services.market_data`: the embedded S&P 500 data and the checks of uploaded tables.
- `services.demo`: the classic portfolios on the embedded data, risk out of sample.
- `services.errors`: the numeric core's typed errors.
- documents, research, ideas, profiles and memories: the research library and an owner's
  mandate and notes.

The deployment lifecycle (deployments, runs, accounts, ledgers) is `trading/`, above this package.

The interfaces (`api/`) reach numbers only through here (tests/project/test_layers.py forbids
`api -> quant`).
"""
