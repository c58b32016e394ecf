"""Search spaces written as JSON (the form requests and tools use)."""

from __future__ import annotations

import pytest

from quant import Choices, FixedValue, FloatRange, IntRange, SearchSpace, SearchSpaceError


def test_json_ranges_choices_and_values_become_parameters() -> None:
    space = SearchSpace(
        {
            "target_vol": {"low": 0.05, "high": 0.25},
            "lookback": {"low": 21, "high": 126, "step": 21},
            "risk_aversion": {"low": 1.0, "high": 10.0, "log": True},
            "max_leverage": {"low": 1, "high": 2},
            "weight_function": {"choices": ["inverse_vol", "merton"]},
            "cost_bps": {"value": 5.0},
            "rebalance_every": 21,
        }
    )
    params = space.params
    assert params["target_vol"] == FloatRange(0.05, 0.25)
    assert params["lookback"] == IntRange(21, 126, step=21)
    assert params["risk_aversion"] == FloatRange(1.0, 10.0, log=True)
    assert params["max_leverage"] == FloatRange(1.0, 2.0)
    assert params["weight_function"] == Choices(["inverse_vol", "merton"])
    assert params["cost_bps"] == FixedValue(5.0)
    assert space.config(space.reference()).lookback == 21


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"low": 0.1}, "needs both low and high"),
        ({"low": 0.3, "high": 0.1}, "must be < high"),
        ({"min": 0.1, "max": 0.2}, "unknown key"),
        ({"choices": "inverse_vol"}, "choices must be a list"),
    ],
)
def test_malformed_json_parameters_name_the_field(spec: dict[str, object], message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message) as info:
        SearchSpace({"target_vol": spec})
    assert "target_vol" in str(info.value)


def test_the_order_of_the_fields_does_not_change_the_search() -> None:
    import numpy as np

    from quant import search

    spec = {
        "target_vol": {"low": 0.05, "high": 0.25},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 63, "step": 21},
        "rebalance_every": {"low": 5, "high": 20, "step": 5},
    }
    reordered = dict(sorted(spec.items()))
    assert list(reordered) != list(spec)
    paths = {"a": np.random.default_rng(1).normal(0.0003, 0.01, (20, 120))}
    first = search(spec, paths, budget=12, batch_size=6, seed=4)
    second = search(reordered, paths, budget=12, batch_size=6, seed=4)
    assert first.trials["config_id"].tolist() == second.trials["config_id"].tolist()
