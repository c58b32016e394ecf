"""Portfolio optimizers: HRP, risk parity and long-only mean-variance (with bounds)."""
