"""StrategyConfig validation, identity and the weight-function registry."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError

from quant.engine import window_kernels as K
from quant.strategy import (
    StrategyConfig,
    get_weight_function,
    register_weight_function,
    registered_weight_functions,
)


def test_defaults() -> None:
    cfg = StrategyConfig()
    assert (cfg.target_vol, cfg.weight_function, cfg.lookback, cfg.rebalance_every) == (
        0.10, "inverse_vol", 63, 21,
    )  # fmt: skip
    assert (cfg.max_leverage, cfg.risk_aversion, cfg.steepness, cfg.cost_bps, cfg.sleeve) == (
        1.0, 2.0, 10.0, 0.0, "single",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_vol", 0.0), ("target_vol", -0.1), ("target_vol", math.nan), ("lookback", 1),
        ("rebalance_every", 0), ("max_leverage", 0.0), ("risk_aversion", -1.0),
        ("steepness", 0.0), ("cost_bps", -0.5), ("sleeve", "magic"), ("cost_bps", math.inf),
    ],
)  # fmt: skip
def test_bad_values_refused_naming_field_and_value(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        StrategyConfig(**{field: value})  # type: ignore[arg-type]
    text = str(info.value)
    assert field in text
    assert str(value) in text


def test_unknown_weight_function_lists_registered_names() -> None:
    with pytest.raises(ValidationError, match=r"inverse_vol.*merton.*sigmoid|registered"):
        StrategyConfig(weight_function="nope")
    with pytest.raises(ValidationError) as info:
        StrategyConfig(weight_function="nope")
    for name in ("inverse_vol", "sigmoid", "merton"):
        assert name in str(info.value)


def test_extra_fields_forbidden_and_frozen() -> None:
    with pytest.raises(ValidationError, match="lookbak"):
        StrategyConfig(lookbak=10)  # type: ignore[call-arg]
    cfg = StrategyConfig()
    with pytest.raises(ValidationError):
        cfg.lookback = 5  # type: ignore[misc]


def test_config_id_is_stable_hashable_and_json_round_trips() -> None:
    a = StrategyConfig(lookback=40, cost_bps=5.0)
    b = StrategyConfig(cost_bps=5.0, lookback=40)
    c = StrategyConfig(lookback=41, cost_bps=5.0)
    assert a.config_id == b.config_id != c.config_id
    assert len(a.config_id) == 12 and int(a.config_id, 16) >= 0
    assert hash(a) == hash(b) and len({a, b, c}) == 2
    back = StrategyConfig.model_validate_json(a.model_dump_json())
    assert back == a and back.config_id == a.config_id
    assert json.loads(a.canonical_json())["lookback"] == 40


def test_registry_decorator_and_builtin_protection() -> None:
    @register_weight_function("always_half_test")
    def half(sigma, mu, safe_rate, params):  # type: ignore[no-untyped-def]
        return np.full_like(sigma, 0.5)

    assert "always_half_test" in registered_weight_functions()
    assert get_weight_function("always_half_test") is half
    assert StrategyConfig(weight_function="always_half_test").weight_function == "always_half_test"
    with pytest.raises(ValueError, match="built in"):
        register_weight_function("merton", half)
    with pytest.raises(KeyError, match="registered"):
        get_weight_function("absent")


@pytest.mark.parametrize("name", ["inverse_vol", "sigmoid", "merton"])
def test_compiled_weight_functions_equal_the_registered_numpy_ones(name: str) -> None:
    rng = np.random.default_rng(0)
    sigma = np.r_[1e-12, rng.uniform(0.01, 0.8, 200), 50.0]
    sigma_floored = np.maximum(sigma, 1e-8)
    mu = rng.normal(0.05, 0.2, sigma.size)
    safe = rng.uniform(0, 0.05, sigma.size)
    cfg = StrategyConfig(weight_function=name, target_vol=0.12, max_leverage=1.7,
                         risk_aversion=3.0, steepness=7.0)  # fmt: skip
    fn = get_weight_function(name)
    expected = np.clip(fn(sigma, mu, safe, cfg), 0, cfg.max_leverage)
    code = {"inverse_vol": 0, "sigmoid": 1, "merton": 2}[name]
    got = np.array([
        K.target_weight(code, s, m, r, 0.12, 1.7, 3.0, 7.0)
        for s, m, r in zip(sigma_floored, mu, safe, strict=True)
    ])  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)
    # and the formulas themselves, on one point
    s0, m0, r0 = 0.2, 0.08, 0.02
    direct = {
        "inverse_vol": 0.12 / s0,
        "sigmoid": 1.7 / (1 + math.exp(7.0 * (s0 - 0.12) / 0.12)),
        "merton": (m0 - r0) / (3.0 * s0**2),
    }[name]
    assert K.target_weight(code, s0, m0, r0, 0.12, 1.7, 3.0, 7.0) == pytest.approx(
        min(max(direct, 0), 1.7), rel=1e-15
    )


def test_the_named_fields_are_the_config_s_fields() -> None:
    """`StrategyField` names every `StrategyConfig` field, in order, and `RuleParameter` the
    rule's parameters among them (the tools' search spaces and the agents' decisions use them)."""
    from typing import get_args

    from quant.strategy import OverlayParameter, RuleParameter, StrategyField

    assert get_args(StrategyField) == tuple(StrategyConfig.model_fields)
    overlay = set(get_args(OverlayParameter))
    assert overlay == {name for name in StrategyConfig.model_fields if name.startswith("overlay")}
    assert set(get_args(RuleParameter)) == (
        set(StrategyConfig.model_fields) - {"cost_bps", "sleeve"} - overlay
    )


@pytest.mark.parametrize("value", [0.0, -0.05, 0.51, math.nan, math.inf])
def test_a_bad_delta_band_is_refused_naming_the_field(value: float) -> None:
    with pytest.raises(ValidationError, match="overlay_roll_delta_band"):
        StrategyConfig(overlay="put", overlay_roll="delta", overlay_roll_delta_band=value)


def test_the_delta_band_counts_only_when_the_roll_rule_reads_it() -> None:
    """`overlay_roll_delta_band` is in config_id and used only with roll "delta" (as the
    moneyness band only with roll "band"), so configs rolling otherwise keep their ids."""
    expiry = StrategyConfig(overlay="put")
    assert "overlay_roll_delta_band" not in expiry.canonical_json()
    assert expiry.model_copy(update={"overlay_roll_delta_band": 0.2}).config_id == (
        expiry.config_id
    )
    band = StrategyConfig(overlay="put", overlay_roll="band", overlay_roll_band=0.05)
    assert "overlay_roll_delta_band" not in band.canonical_json()
    assert {"overlay_roll_delta_band"} <= band.unused_parameters()
    assert "overlay_roll_band" not in band.unused_parameters()
    delta = StrategyConfig(overlay="put", overlay_roll="delta", overlay_roll_delta_band=0.05)
    assert json.loads(delta.canonical_json())["overlay_roll_delta_band"] == 0.05
    assert delta.config_id != delta.model_copy(update={"overlay_roll_delta_band": 0.2}).config_id
    assert "overlay_roll_band" in delta.unused_parameters()
    assert "overlay_roll_delta_band" not in delta.unused_parameters()
    assert {"overlay_roll_band", "overlay_roll_delta_band"} <= expiry.unused_parameters()
    assert "overlay_roll_delta_band" in StrategyConfig(overlay_roll="delta").unused_parameters()
