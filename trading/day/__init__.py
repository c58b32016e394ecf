"""The trading day after the close (`DESIGN.md`, "The trading day"): what runs on the trading
calendar besides the deployments' own fires, from each tick (`schedule`).

    accounts       the accounts deployments trade and their members (strategies)
    schedule       which jobs are due when, submitted once each (snapshots, post-market
                   runs, tearsheets, the implied-volatility history)
    snapshots      an account's equity, cash, buying power and positions, every six hours
    analytics      a strategy's returns, exposures, turnover, costs and tracking, as Parquet
    post_market    each account's run after the close: its strategies' analytics stored
    iv_history     the at-the-money implied volatility of each hedge underlying on Alpaca
    jobs           the job handlers (the tearsheets' is the API layer's: api.tearsheet_jobs)
"""
