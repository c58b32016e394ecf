"""Shards: serialisation, input regeneration and evaluation against plain references."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jobs.batches import (
    BatchShard,
    ShardResult,
    clear_input_cache,
    evaluate_shard,
    make_shards,
    path_means,
    run_shard,
)
from jobs.compute_errors import ShardError
from jobs.shard_inputs import ArrayHistory, PathInputs, ScenarioSpec, decode_array, encode_array
from quant import as_scenarios, evaluate_path_means
from quant.data import load_sp500_index, load_sp500_prices, to_returns
from quant.engine import evaluate
from quant.errors import DataError
from quant.scenarios import generate_scenarios
from quant.strategy import StrategyConfig
from tests.jobs import END, START, TICKERS, sample_configs, sample_history, sample_shards


def _reference_history() -> tuple[pd.DataFrame, pd.Series]:
    """The history as graphs.resources builds it (returns, then the index aligned on them)."""
    returns = to_returns(load_sp500_prices()).loc[START:END, list(TICKERS)]
    market = to_returns(load_sp500_index()).iloc[:, 0].loc[START:END].reindex(returns.index)
    assert not market.isna().any()
    return returns, market


@settings(max_examples=25, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(0, 4), st.integers(0, 5)),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_array_encoding_is_bit_exact(values: np.ndarray) -> None:
    back = decode_array(json.loads(json.dumps(encode_array(values))))
    assert back.shape == values.shape
    assert back.tobytes() == np.ascontiguousarray(values).tobytes()


def test_shard_json_round_trip_keeps_every_field() -> None:
    shards = sample_shards(n_paths=5, horizon=80)
    history = ArrayHistory(np.full((60, 2), 0.001), ("A", "B"), np.linspace(-0.01, 0.01, 60))
    shards.append(
        BatchShard(
            "array-history",
            sample_configs(2),
            ScenarioSpec("base", history, n_paths=3, horizon=40, seed=2, method="gbm"),
            safe=0.1 / 3,
        )
    )
    for shard in shards:
        back = BatchShard.from_json(shard.to_json())
        assert back.to_dict() == shard.to_dict()
        assert back.configs == shard.configs
        assert back.safe == shard.safe
    with pytest.raises(DataError, match="schema"):
        BatchShard.from_dict({**shards[0].to_dict(), "schema": 99})


def test_regenerated_scenario_equals_the_full_seeded_set() -> None:
    """One scenario regenerated alone (from the embedded data or from arrays) has the paths of
    the full set generated the way graphs.resources does it."""
    returns, market = _reference_history()
    full = as_scenarios(
        generate_scenarios(returns, n_paths=30, horizon=120, seed=11, market=market)
    )
    clear_input_cache()
    for name in ("bear", "high_vol"):
        built = ScenarioSpec(name, sample_history(), n_paths=30, horizon=120, seed=11).build()
        assert np.array_equal(built.risky, full[name].risky)
        want_assets = full[name].assets
        assert built.assets is not None and want_assets is not None
        assert np.array_equal(built.assets, want_assets)
        arrays_history = ArrayHistory.from_frame(returns, market)
        again = ScenarioSpec(name, arrays_history, n_paths=30, horizon=120, seed=11).build()
        assert np.array_equal(again.risky, full[name].risky)


def test_embedded_history_from_returns_reloads_the_same_frame() -> None:
    returns, _ = _reference_history()
    history = ScenarioSpec("bull", sample_history(), 2, 30, 0).history
    reloaded, market = history.load()
    assert reloaded.equals(returns)
    assert market is not None


def test_evaluate_shard_matches_the_engine_directly() -> None:
    rng = np.random.default_rng(3)
    risky = rng.normal(0.0003, 0.011, size=(25, 130))
    configs = sample_configs(5)
    shard = BatchShard("s", configs, PathInputs("p", risky), safe=0.03, sharpe_paths=True)
    result = evaluate_shard(shard)
    reference = evaluate(configs, risky, 0.03)
    for metric, means in result.means.items():
        assert np.array_equal(means, getattr(reference, metric).mean(axis=1)), metric
    assert result.sharpe_paths is not None
    assert np.array_equal(result.sharpe_paths, reference.sharpe)
    assert result.config_ids == tuple(c.config_id for c in configs)
    assert result.scenario == "p"


def test_result_json_round_trip_is_bit_exact() -> None:
    for shard in sample_shards(n_paths=8, horizon=90)[:4]:
        result = run_shard(shard)
        back = ShardResult.from_json(result.to_json())
        assert back.same_values(result)
        assert back.host == result.host


def test_sharded_batch_equals_one_evaluation_of_the_whole_batch() -> None:
    """Cutting configs into shards and joining the path means gives exactly what
    `evaluate_path_means` gives for the whole batch (what graphs.optimization computes)."""
    shards = sample_shards(n_paths=20, horizon=100)
    joined = path_means([run_shard(s) for s in shards])
    configs = sample_configs()
    for name in ("bull", "bear", "synthetic"):
        data = shards[[s.scenario for s in shards].index(name)].inputs.build()
        whole, _ = evaluate_path_means(configs, {name: data}, safe=0.02)
        assert list(joined[name]) == list(whole[name])
        for metric in whole[name]:
            assert np.array_equal(joined[name][metric], whole[name][metric]), (name, metric)


def test_a_failing_shard_raises_a_shard_error_naming_it() -> None:
    risky = np.random.default_rng(0).normal(0.0, 0.01, size=(3, 60))
    shard = BatchShard("batch/p/4", (StrategyConfig(lookback=200),), PathInputs("p", risky))
    with pytest.raises(ShardError) as caught:
        run_shard(shard)
    assert caught.value.shard_id == "batch/p/4"
    assert "InsufficientDataError" in caught.value.reason
    assert "lookback" in caught.value.reason
    bad = BatchShard("nan", (StrategyConfig(lookback=10),), PathInputs("p", risky * np.nan))
    with pytest.raises(ShardError, match=r"'nan'.*DataError"):
        run_shard(bad)


def test_make_shards_layout_and_validation() -> None:
    shards = sample_shards()
    assert [s.shard_id for s in shards] == [
        f"t/{name}/{chunk}" for name in ("bull", "bear", "synthetic") for chunk in range(3)
    ]
    assert [len(s.configs) for s in shards[:3]] == [3, 3, 1]
    spec = shards[0].inputs
    with pytest.raises(ValueError, match="unique"):
        make_shards(sample_configs(2), [spec, spec])
    with pytest.raises(ValueError, match="configs_per_shard"):
        make_shards(sample_configs(2), [spec], configs_per_shard=0)
    with pytest.raises(ValueError, match="empty"):
        make_shards([], [spec])


def test_a_shard_carries_the_vol_model_that_prices_its_overlays() -> None:
    from quant.options import ImpliedVolModel

    rng = np.random.default_rng(4)
    risky = rng.normal(-0.0005, 0.02, size=(12, 120))
    hedged = StrategyConfig(lookback=21, overlay="put", overlay_strike=0.9, overlay_tenor_days=21)
    model = ImpliedVolModel(variance_risk_premium=0.03, skew=2.0)
    shard = BatchShard("v", (hedged,), PathInputs("p", risky), vol_model=model)
    back = BatchShard.from_json(shard.to_json())
    assert back.vol_model == model
    result = evaluate_shard(back)
    reference = evaluate([hedged], risky, 0.02, vol_model=model)
    assert result.means["hedge_premium"][0] == reference.hedge_premium[0].mean()
    assert result.means["hedge_carry"][0] == reference.hedge_carry[0].mean()
    default = evaluate_shard(BatchShard("d", (hedged,), PathInputs("p", risky)))
    assert default.means["hedge_premium"][0] < result.means["hedge_premium"][0]
    assert make_shards([hedged], [PathInputs("p", risky)], vol_model=model)[0].vol_model == model
