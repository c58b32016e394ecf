"""Optimization requests small enough for tests: `SMALL_REQUEST` for runs on the offline model,
`SMALL_SPACE` for small searches of two rule families, `TINY` for the runs recorded in the
cassettes (changing it invalidates them)."""

SMALL_REQUEST = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2010-01-01",
    "n_paths": 20,
    "horizon": 168,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.2},
        "weight_function": {"choices": ["inverse_vol"]},
        "lookback": {"low": 21, "high": 84, "step": 21},
        "rebalance_every": 21,
    },
    "budget": {"max_trials": 12, "batch_size": 6},
}

SMALL_SPACE = {
    "target_vol": {"low": 0.05, "high": 0.25},
    "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
    "lookback": {"low": 21, "high": 84, "step": 21},
    "rebalance_every": {"low": 5, "high": 40, "step": 5},
}
"""Four parameters, two rule families: a space small searches learn something from."""

TINY = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2012-01-01",
    "n_paths": 10,
    "horizon": 126,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.2},
        "weight_function": {"choices": ["inverse_vol"]},
        "lookback": {"low": 21, "high": 63, "step": 21},
        "rebalance_every": 21,
    },
    "budget": {"max_trials": 6, "batch_size": 6},
    "seed": 3,
}
