"""Reasoning layer: the market analysis, hyperparameter optimizer, risk manager and explanation agents."""
