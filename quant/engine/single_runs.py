"""Single-series configs without a hedge: sorted into blocks of one rebalance schedule and run by
the SIMD block loop (`quant.engine.lane_kernels.run_blocks`), chunk of paths by chunk."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from quant.engine.inputs import Inputs
from quant.engine.lane_kernels import LANES, VECTOR, run_blocks
from quant.engine.path_kernels import N_METRICS
from quant.engine.resources import auto_chunk_size, threads_for
from quant.engine.weights import clipped_targets, is_builtin, rule_parameters
from quant.engine.window_kernels import stats_single
from quant.strategy import StrategyConfig

_RANKS = {"inverse_vol": 0, "sigmoid": 1, "merton": 2}
"""Order of the weight functions within a block (registered functions: 3)."""


@dataclass
class Blocks:
    """Configs of single-series sleeves in the order of `lane_kernels.run_blocks`."""

    order: np.ndarray
    """Config index (into the caller's list) of each sorted position."""
    start: np.ndarray
    lanes: np.ndarray
    lookback: np.ndarray
    step: np.ndarray
    bounds: np.ndarray
    params: np.ndarray
    """[C, 5] rule parameters in sorted order (`weights.rule_parameters`)."""


def blocks_of(cfgs: list[StrategyConfig], idx: list[int]) -> Blocks:
    """Sort configs by schedule (L, k) and weight function; cut each schedule into blocks of at
    most `LANES` configs (lane counts padded to a multiple of `VECTOR`)."""
    sel = [cfgs[i] for i in idx]
    L = np.array([c.lookback for c in sel], dtype=np.int64)
    k = np.array([c.rebalance_every for c in sel], dtype=np.int64)
    rank = np.array([_RANKS.get(c.weight_function, 3) for c in sel], dtype=np.int64)
    perm = np.lexsort((np.arange(len(idx)), rank, k, L))
    L, k, rank = L[perm], k[perm], rank[perm]
    new_schedule = np.flatnonzero((np.diff(L) != 0) | (np.diff(k) != 0)) + 1
    cuts = [0]
    for lo, hi in zip(np.r_[0, new_schedule], np.r_[new_schedule, len(idx)], strict=True):
        cuts.extend(range(int(lo) + LANES, int(hi), LANES))
        cuts.append(int(hi))
    start = np.array(cuts, dtype=np.int64)
    size = np.diff(start)
    counts = np.stack([np.add.reduceat((rank <= g).astype(np.int64), start[:-1]) for g in range(4)])
    return Blocks(
        order=np.asarray(idx, dtype=np.int64)[perm],
        start=start,
        lanes=-(-size // VECTOR) * VECTOR,
        lookback=L[start[:-1]],
        step=k[start[:-1]],
        bounds=np.ascontiguousarray(counts.T),
        params=np.ascontiguousarray(rule_parameters(sel)[perm]),
    )


def _run(
    blocks: Blocks,
    R: np.ndarray,
    S: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
    out_index: np.ndarray,
) -> None:
    n_days = R.shape[1] - blocks.lookback
    config_days = int(R.shape[0] * np.sum(np.diff(blocks.start) * n_days))
    with threads_for(config_days), numba.parallel_chunksize(1):
        # dynamic scheduling: blocks differ in cost
        run_blocks(
            R, S, blocks.start, blocks.lanes, blocks.lookback, blocks.step, blocks.bounds,
            blocks.params, out_index, custom_targets, out, numba.get_num_threads(),
        )  # fmt: skip


def evaluate_single(
    cfgs: list[StrategyConfig],
    idx: list[int],
    inp: Inputs,
    out: np.ndarray,
    chunk_size: int | None,
) -> None:
    """Metrics of the single-series configs `idx` (no hedge) into ``out[:, idx, :]``; a config
    with a registered weight function runs as a block of its own, its targets computed first."""
    R_all = inp.single_matrix()
    P, T = R_all.shape
    builtin = [i for i in idx if is_builtin(cfgs[i])]
    custom = [i for i in idx if not is_builtin(cfgs[i])]
    step = chunk_size or auto_chunk_size(T, 1, n_configs=len(builtin))
    no_custom = np.zeros((1, 1))
    blocks = blocks_of(cfgs, builtin) if builtin else None
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        R = np.ascontiguousarray(R_all[p0:p1], dtype=np.float64)
        S = inp.safe_rows(p0, p1)
        if blocks is not None:
            if p1 - p0 == P:  # one chunk: the kernel writes the builtin configs' rows of `out`
                _run(blocks, R, S, no_custom, out, blocks.order)
            else:
                part = np.empty((N_METRICS, len(cfgs), p1 - p0))
                _run(blocks, R, S, no_custom, part, blocks.order)
                out[:, builtin, p0:p1] = part[:, builtin]
        for i in custom:
            cfg = cfgs[i]
            sig, mu, saf = stats_single(R, S, cfg.lookback, cfg.rebalance_every)
            targets = clipped_targets(cfg, sig, mu, saf)
            part = np.empty((N_METRICS, 1, p1 - p0))
            _run(blocks_of(cfgs, [i]), R, S, targets, part, np.zeros(1, dtype=np.int64))
            out[:, i, p0:p1] = part[:, 0, :]
