"""Stratigos numeric core: market data, estimators, risk measures, optimizers.

Pure numerics: imports nothing else of Stratigos and does no I/O beyond loading market data.
Conventions: daily simple returns; annualisation with 252 periods; volatility is the annualised
standard deviation (ddof=1); VaR, CVaR and drawdown are positive numbers meaning losses.
"""
