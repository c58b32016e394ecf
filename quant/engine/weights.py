"""Weight functions as the engine runs them: codes of the built-in rules (computed in compiled
code) and the clipped targets of registered Python functions (computed here, before the loop).

A config's target on a rebalance day is its weight function of the window statistics (sigma, mu,
safe rate; docs/engine.md), clipped to [0, max_leverage].
"""

from __future__ import annotations

import numpy as np

from quant.engine.window_kernels import CODE_CUSTOM, CODE_INVERSE_VOL, CODE_MERTON, CODE_SIGMOID
from quant.errors import ConstraintError
from quant.strategy import StrategyConfig, get_weight_function

BUILTIN_CODES = {"inverse_vol": CODE_INVERSE_VOL, "sigmoid": CODE_SIGMOID, "merton": CODE_MERTON}
"""Weight functions computed in compiled code, by name."""


def is_builtin(cfg: StrategyConfig) -> bool:
    """Whether `cfg`'s weight function is computed in compiled code."""
    return cfg.weight_function in BUILTIN_CODES


def weight_codes(cfgs: list[StrategyConfig]) -> np.ndarray:
    """int64 codes of the configs' weight functions (`CODE_CUSTOM` for registered ones)."""
    return np.array([BUILTIN_CODES.get(c.weight_function, CODE_CUSTOM) for c in cfgs], np.int64)


def rule_parameters(cfgs: list[StrategyConfig]) -> np.ndarray:
    """[C, 5] float64: target_vol, max_leverage, risk_aversion, steepness and the cost rate
    (cost_bps / 1e4) of each config, the parameters the compiled loops read."""
    return np.array(
        [
            (c.target_vol, c.max_leverage, c.risk_aversion, c.steepness, c.cost_bps / 1e4)
            for c in cfgs
        ],
        dtype=np.float64,
    ).reshape(len(cfgs), 5)


def clipped_targets(
    cfg: StrategyConfig, sigma: np.ndarray, mu: np.ndarray, safe: np.ndarray
) -> np.ndarray:
    """Clipped target weights [P, J] of `cfg` from window statistics [P, J] (Python path)."""
    fn = get_weight_function(cfg.weight_function)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        raw = np.asarray(fn(sigma, mu, safe, cfg), dtype=float)
    raw = np.broadcast_to(raw, sigma.shape)
    if not np.all(np.isfinite(raw)):
        p, j = np.argwhere(~np.isfinite(raw))[0]
        raise ConstraintError(
            f"weight_function={cfg.weight_function!r} returned {raw[p, j]!r} on path {p}, "
            f"rebalance {j} (sigma={sigma[p, j]!r}, mu={mu[p, j]!r}, safe_rate={safe[p, j]!r})"
        )
    return np.ascontiguousarray(np.clip(raw, 0.0, cfg.max_leverage))


def custom_targets(
    cfgs: list[StrategyConfig], stats: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(targets, custom_of) of the configs with a registered weight function, for the compiled
    per-config loops: ``targets[custom_of[c]]`` [P, J] are config c's clipped targets from the
    window statistics ``stats`` = (sigma, mu, safe) [P, J] (``custom_of[c]`` = -1 for the
    built-in rules; ``targets`` is [1, 1, 1] when no config has a registered function)."""
    custom = [c for c in cfgs if not is_builtin(c)]
    targets = (
        np.ascontiguousarray(np.stack([clipped_targets(c, *stats) for c in custom]))
        if custom
        else np.zeros((1, 1, 1))
    )
    custom_of = np.full(len(cfgs), -1, dtype=np.int64)
    custom_of[[i for i, c in enumerate(cfgs) if not is_builtin(c)]] = np.arange(len(custom))
    return targets, custom_of
