"""Use cases that the tools, the API and the CLI share, over the numeric core.

- `services.portfolios`: estimates, portfolios by method, the efficient frontier, a portfolio's
  performance, risk contributions and risk report.
- `services.monte_carlo`: a portfolio's simulated paths per scenario and method, their wealth
  fan and their risk over the horizon.
- `services.market_data`: the one home of the prices and returns used: its providers (the
  embedded S&P 500 data, the configured file), uploaded datasets, inline tables and the returns
  an analysis request works on.
- `services.optimizations`: the one way an optimization request becomes a job (the owner's
  profile, screening, validation, submission), and a result in brief.
- `services.demo`: the classic portfolios on the embedded data, risk out of sample.
- `services.portfolio_targets`: the argument holding a targeted build's target (light: the
  offline model's first routing reads it).
- `services.errors`: the numeric core's typed errors and the use cases' input errors.
- documents, research, ideas, profiles and memories: the research library and an owner's
  mandate and notes.

The deployment lifecycle (deployments, runs, accounts, ledgers) is `trading/`, above this package.

The interfaces (`api/`) reach numbers only through here (an import contract in
pyproject.toml forbids `api -> quant`).
"""
