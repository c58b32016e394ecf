"""What a shard rebuilds its scenario from, and float arrays in JSON.

- `ScenarioSpec`: the seeded scenario request (history, scenario name, n_paths, horizon, seed,
  method, block size). The worker regenerates the scenario with `quant.scenarios.
  generate_scenarios(names=(name,))`; scenario streams are seeded per name
  (`scenario_stream(seed, name)`), so one scenario generated alone has the same paths as in the
  full set. The history is either `EmbeddedHistory` (tickers and a date range of the embedded
  S&P 500 data, as `graphs.resources` loads it) or `ArrayHistory` (the daily returns table
  itself, small: days x assets).
- `PathInputs`: the scenario paths themselves (risky (P, T), optionally assets (P, T, N)), for
  generic use with small shards.

Both give a content hash (`cache_key`, what `jobs.batches` caches rebuilt inputs by) and a JSON
form (`to_dict`, read back by `inputs_from_dict`) in which float arrays are base64 of
little-endian float64 bytes (`encode_array`), so they read back bit-for-bit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from quant import ScenarioData, as_scenarios
from quant.errors import DataError


# --------------------------------------------------------------------------------------------
# arrays in JSON
# --------------------------------------------------------------------------------------------
def encode_array(array: np.ndarray) -> dict[str, Any]:
    """A float64 array as JSON: shape and base64 of its little-endian C-order bytes (exact)."""
    values = np.ascontiguousarray(array, dtype="<f8")
    return {
        "dtype": "<f8",
        "shape": list(values.shape),
        "b64": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def decode_array(doc: Mapping[str, Any]) -> np.ndarray:
    """Inverse of `encode_array` (a new, writable, native-endian float64 array)."""
    if doc.get("dtype") != "<f8":
        raise DataError(f"array dtype must be '<f8', got {doc.get('dtype')!r}")
    shape = tuple(int(n) for n in doc["shape"])
    raw = base64.b64decode(doc["b64"])
    values = np.frombuffer(raw, dtype="<f8")
    if values.size != int(np.prod(shape)):
        raise DataError(f"array of shape {shape} cannot hold {values.size} values")
    return values.reshape(shape).astype(np.float64)


def _array_digest(array: np.ndarray | None) -> str:
    if array is None:
        return "none"
    values = np.ascontiguousarray(array, dtype="<f8")
    return f"{values.shape}:{hashlib.sha256(values.tobytes()).hexdigest()}"


# --------------------------------------------------------------------------------------------
# histories and inputs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmbeddedHistory:
    """History from the embedded S&P 500 dataset: `tickers` on [start, end] (ISO timestamps).

    `use_market`: identify regimes with the S&P 500 index (as `graphs.resources` does when the
    index covers every day of the range); False uses the equal-weight portfolio of the tickers.
    """

    tickers: tuple[str, ...]
    start: str
    end: str
    use_market: bool = True

    @classmethod
    def from_returns(cls, returns: pd.DataFrame, *, use_market: bool = True) -> EmbeddedHistory:
        """The history that reloads exactly `returns` (its columns, first and last dates)."""
        index = pd.DatetimeIndex(returns.index)
        return cls(
            tickers=tuple(str(c) for c in returns.columns),
            start=index[0].isoformat(),
            end=index[-1].isoformat(),
            use_market=use_market,
        )

    def load(self) -> tuple[pd.DataFrame, pd.Series | None]:
        """(daily simple returns [days x tickers], market returns aligned on them or None)."""
        from quant.data import sp500_index_returns, sp500_returns

        assets, index = sp500_returns(), sp500_index_returns()
        lo, hi = pd.Timestamp(self.start), pd.Timestamp(self.end)
        unknown = [t for t in self.tickers if t not in assets.columns]
        if unknown:
            raise DataError(f"tickers not in the embedded data: {', '.join(unknown)}")
        returns = assets.loc[lo:hi, list(self.tickers)].copy()
        if returns.empty:
            raise DataError(f"the embedded data holds no day in {self.start}..{self.end}")
        market: pd.Series | None = None
        if self.use_market:
            market = index.loc[lo:hi].reindex(returns.index)
            if market.isna().any():
                market = None
        return returns, market

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "kind": "embedded",
            "tickers": list(self.tickers),
            "start": self.start,
            "end": self.end,
            "use_market": self.use_market,
        }


@dataclass(frozen=True, eq=False)
class ArrayHistory:
    """History given as arrays: `returns` [days, assets] daily simple returns, `assets` their
    names, `market` [days] market returns for regime identification (None: equal weight)."""

    returns: np.ndarray
    assets: tuple[str, ...]
    market: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.returns, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.assets):
            raise DataError(
                f"ArrayHistory.returns must be [days, {len(self.assets)} assets], got shape "
                f"{values.shape}"
            )
        if self.market is not None and np.shape(self.market) != (values.shape[0],):
            raise DataError(
                f"ArrayHistory.market must have one value per day ({values.shape[0]}), got shape "
                f"{np.shape(self.market)}"
            )

    @classmethod
    def from_frame(cls, returns: pd.DataFrame, market: pd.Series | None = None) -> ArrayHistory:
        """From a returns table and an optional market series aligned on its rows."""
        values = returns.to_numpy(dtype=np.float64)
        aligned = None if market is None else market.reindex(returns.index).to_numpy(np.float64)
        return cls(values, tuple(str(c) for c in returns.columns), aligned)

    def load(self) -> tuple[pd.DataFrame, pd.Series | None]:
        """(returns table on a day-number index, market series on the same index or None)."""
        frame = pd.DataFrame(np.asarray(self.returns, dtype=np.float64), columns=list(self.assets))
        market = None if self.market is None else pd.Series(self.market, index=frame.index)
        return frame, market

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (arrays base64-encoded)."""
        return {
            "kind": "array",
            "assets": list(self.assets),
            "returns": encode_array(self.returns),
            "market": None if self.market is None else encode_array(self.market),
        }


History = EmbeddedHistory | ArrayHistory


def _history_from_dict(doc: Mapping[str, Any]) -> History:
    kind = doc.get("kind")
    if kind == "embedded":
        return EmbeddedHistory(
            tickers=tuple(str(t) for t in doc["tickers"]),
            start=str(doc["start"]),
            end=str(doc["end"]),
            use_market=bool(doc.get("use_market", True)),
        )
    if kind == "array":
        market = doc.get("market")
        return ArrayHistory(
            returns=decode_array(doc["returns"]),
            assets=tuple(str(a) for a in doc["assets"]),
            market=None if market is None else decode_array(market),
        )
    raise DataError(f"history kind must be 'embedded' or 'array', got {kind!r}")


@dataclass(frozen=True, eq=False)
class ScenarioSpec:
    """One scenario regenerated from a seeded request (see `quant.scenarios.generate_scenarios`).

    `name`: bull, bear, high_vol, low_vol or base. `n_paths` paths of `horizon` days; `seed` the
    request's seed; `method` block_bootstrap or gbm; `block_size` in days.
    """

    name: str
    history: History
    n_paths: int
    horizon: int
    seed: int
    method: Literal["block_bootstrap", "gbm"] = "block_bootstrap"
    block_size: int = 20

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "kind": "scenario",
            "name": self.name,
            "history": self.history.to_dict(),
            "n_paths": int(self.n_paths),
            "horizon": int(self.horizon),
            "seed": int(self.seed),
            "method": self.method,
            "block_size": int(self.block_size),
        }

    def cache_key(self) -> str:
        """Content hash identifying the inputs this spec rebuilds."""
        doc = self.to_dict()
        if isinstance(self.history, ArrayHistory):
            doc["history"] = {
                "kind": "array",
                "assets": list(self.history.assets),
                "returns": _array_digest(self.history.returns),
                "market": _array_digest(self.history.market),
            }
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def build(self) -> ScenarioData:
        """The scenario's `ScenarioData` (risky series and, with several assets, asset paths)."""
        from quant.scenarios import generate_scenarios

        returns, market = self.history.load()
        scenarios = generate_scenarios(
            returns,
            names=(self.name,),
            n_paths=self.n_paths,
            horizon=self.horizon,
            seed=self.seed,
            method=self.method,
            block_size=self.block_size,
            market=market,
        )
        return as_scenarios(scenarios)[self.name]


@dataclass(frozen=True, eq=False)
class PathInputs:
    """One scenario's paths given directly: `risky` [P, T] daily simple returns and, for
    optimizer sleeves, `assets` [P, T, N]."""

    name: str
    risky: np.ndarray
    assets: np.ndarray | None = None

    @classmethod
    def from_data(cls, name: str, data: ScenarioData) -> PathInputs:
        """From a `quant.ScenarioData`."""
        return cls(name, data.risky, data.assets)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (arrays base64-encoded)."""
        return {
            "kind": "paths",
            "name": self.name,
            "risky": encode_array(self.risky),
            "assets": None if self.assets is None else encode_array(self.assets),
        }

    def cache_key(self) -> str:
        """Content hash of the paths."""
        text = f"paths:{self.name}:{_array_digest(self.risky)}:{_array_digest(self.assets)}"
        return hashlib.sha256(text.encode()).hexdigest()

    def build(self) -> ScenarioData:
        """The paths as `ScenarioData` (validated: finite, float64)."""
        if self.assets is not None:
            data = as_scenarios({self.name: self.assets})[self.name]
            return ScenarioData(np.ascontiguousarray(self.risky, dtype=np.float64), data.assets)
        return as_scenarios({self.name: self.risky})[self.name]


Inputs = ScenarioSpec | PathInputs


def inputs_from_dict(doc: Mapping[str, Any]) -> Inputs:
    """Inverse of the inputs' `to_dict` (`DataError` for an unknown kind)."""
    kind = doc.get("kind")
    if kind == "scenario":
        return ScenarioSpec(
            name=str(doc["name"]),
            history=_history_from_dict(doc["history"]),
            n_paths=int(doc["n_paths"]),
            horizon=int(doc["horizon"]),
            seed=int(doc["seed"]),
            method=doc.get("method", "block_bootstrap"),
            block_size=int(doc.get("block_size", 20)),
        )
    if kind == "paths":
        assets = doc.get("assets")
        return PathInputs(
            name=str(doc["name"]),
            risky=decode_array(doc["risky"]),
            assets=None if assets is None else decode_array(assets),
        )
    raise DataError(f"inputs kind must be 'scenario' or 'paths', got {kind!r}")
