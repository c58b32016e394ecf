"""The returns an analysis request works on: inline, an uploaded dataset, a saved portfolio's, or
the configured market data (the embedded S&P 500 data by default), narrowed to the assets and
dates it asks for.

Returns are daily simple returns (a prices dataset loses its first date). Every problem is an
`InputError` (or `NotFoundInputError`) naming the request's field (``returns.data.AAPL.3``,
``dataset_id``, ``assets``, ``start``, ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import pandas as pd

from services.errors import InputError, NotFoundInputError
from services.market_data.datasets import dataset_returns
from services.market_data.providers import EMBEDDED, market_returns
from services.market_data.tables import inline_returns, select
from store import NotFoundError, Store

MAX_ASSETS = 500
"""Most assets one optimization or simulation may use (covariance work grows with its square)."""


class InlineTable(Protocol):
    """A columnar table of daily values: the dates and, per asset, one value per date."""

    @property
    def dates(self) -> Sequence[date] | None: ...

    @property
    def data(self) -> Mapping[str, Sequence[float | None]]: ...


class ReturnsChoice(Protocol):
    """Where a request's returns come from: at most one of `returns` (inline), `dataset_id` (an
    uploaded dataset) and `portfolio_id` (a saved portfolio: its assets and its dataset); none
    of them means the embedded S&P 500 data. `assets`, `start` and `end` narrow the data (for a
    portfolio, `assets` defaults to its assets)."""

    @property
    def returns(self) -> InlineTable | None: ...

    @property
    def dataset_id(self) -> str | None: ...

    @property
    def portfolio_id(self) -> str | None: ...

    @property
    def assets(self) -> Sequence[str] | None: ...

    @property
    def start(self) -> date | None: ...

    @property
    def end(self) -> date | None: ...


@dataclass
class Resolved:
    """A request's returns after resolution, the portfolio's weights (if a portfolio was the
    source) and a description of the source for answers."""

    returns: pd.DataFrame
    weights: pd.Series | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 of the returns (dates, asset names and values): the cache key's data part."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.returns.columns).encode())
        h.update(np.ascontiguousarray(pd.DatetimeIndex(self.returns.index).asi8).tobytes())
        h.update(np.ascontiguousarray(self.returns.to_numpy(dtype=np.float64)).tobytes())
        return h.hexdigest()

    def data_info(self) -> dict[str, Any]:
        """Source, assets, first/last date and number of observations (for answers), and the
        last date of the data they were taken from (`data_end`; none for undated returns)."""
        index = pd.DatetimeIndex(self.returns.index)
        dated = self.source.get("dated", True)  # inline returns without dates: no start/end
        return {
            **self.source,
            "assets": [str(c) for c in self.returns.columns],
            "start": index[0].date().isoformat() if dated else None,
            "end": index[-1].date().isoformat() if dated else None,
            "n_observations": len(index),
        }


def resolve_returns(
    source: ReturnsChoice, store: Store, owner: str, *, min_rows: int = 2, min_assets: int = 1
) -> Resolved:
    """The request's returns (see `ReturnsChoice`), narrowed by assets, start and end, with at
    least `min_rows` dates, `min_assets` and at most `MAX_ASSETS` assets and no missing value."""
    given = [
        name
        for name, value in (
            ("returns", source.returns),
            ("dataset_id", source.dataset_id),
            ("portfolio_id", source.portfolio_id),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise InputError(
            given[1], f"give only one of returns, dataset_id, portfolio_id (got {given})"
        )
    assets = source.assets
    weights: pd.Series | None = None
    if source.returns is not None:
        frame = inline_returns(source.returns.dates, source.returns.data)
        info: dict[str, Any] = {"source": "inline"}
        if source.returns.dates is None:
            info["dated"] = False
            for name in ("start", "end"):
                if getattr(source, name) is not None:
                    raise InputError(name, "the inline returns have no dates to narrow by")
    elif source.portfolio_id is not None:
        frame, weights, info = _portfolio_returns(store, owner, source.portfolio_id, assets)
        assets = list(weights.index)
    elif source.dataset_id is not None:
        frame = dataset_returns(store, owner, source.dataset_id, "dataset_id")
        info = {"source": "dataset", "dataset_id": source.dataset_id}
    else:
        provider, frame = market_returns()
        info = {"source": provider.name, "version": provider.version()}
    if info.get("dated", True) and len(frame):  # where the data ends, before narrowing
        info["data_end"] = pd.Timestamp(frame.index[-1]).date().isoformat()
    frame = select(
        frame,
        assets=assets,
        start=source.start,
        end=source.end,
        min_rows=min_rows,
        source=info,
    )
    _check_columns(frame, min_assets)
    return Resolved(frame, weights, info)


def _portfolio_returns(
    store: Store, owner: str, portfolio_id: str, assets: Sequence[str] | None
) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
    """A saved portfolio's returns (of its dataset), its weights over `assets` (default: its
    own assets; given ones must include them) and the source's description."""
    try:
        portfolio = store.get_portfolio(owner, portfolio_id)
    except NotFoundError:
        raise NotFoundInputError(
            "portfolio_id",
            f"no portfolio {portfolio_id!r}",
            f"portfolio {portfolio_id!r} not found",
        ) from None
    stored = portfolio.weights
    if not stored:
        raise InputError("portfolio_id", "the portfolio has no weights")
    dataset_id = portfolio.data.get("dataset_id")
    frame = dataset_returns(store, owner, dataset_id, "portfolio_id")
    if assets is None:
        assets = list(stored)
    else:
        missing = [a for a in stored if a not in assets]
        if missing:
            raise InputError("assets", f"must include the portfolio's assets; missing {missing}")
    weights = pd.Series({a: stored.get(a, 0.0) for a in assets}, dtype=float)
    info = {
        "source": "portfolio",
        "portfolio_id": portfolio.id,
        "dataset_id": dataset_id or EMBEDDED,
    }
    return frame, weights, info


def _check_columns(frame: pd.DataFrame, min_assets: int) -> None:
    """`InputError` on ``assets`` unless `frame` has `min_assets` to `MAX_ASSETS` columns and no
    missing value."""
    if frame.shape[1] < min_assets:
        raise InputError("assets", f"at least {min_assets} assets are needed, got {frame.shape[1]}")
    if frame.shape[1] > MAX_ASSETS:
        raise InputError(
            "assets",
            f"{frame.shape[1]} assets selected; at most {MAX_ASSETS} per request (narrow assets)",
        )
    if frame.isna().any().any():
        column = str(frame.columns[frame.isna().any()][0])
        raise InputError(
            "assets", f"{column} has missing returns in the selected dates: narrow start/end"
        )
