"""What every tool shares: market data, the artifact store, seeds, the search runner, progress.

`ToolContext` is created once per run (or chat session) and handed to `tools.build_tools`. It
holds:

- the market data source (`MarketData`, `tools.market_frames`; default: the configured market
  data, `configured_market_data`: the embedded S&P 500 dataset of `quant.data`, 20 stocks and the
  index, 1990-01-02 to 2022-12-28, unless `STRATIGOS_MARKET_DATA` names another), with
  `returns(universe, start, end)` and `market(start, end)` (cached per request, so tools called
  repeatedly on the same range do not recompute them; on a `FrameMarketData` the cache is the
  data's own, `data_derived`, shared by every context on that data object: a chat's new thread
  does not compute again what another thread's tools derived from the same data);
- the default date range (the last `default_years` calendar years of the data: 2018-01-01 to
  2022-12-28 on the embedded data) and universe (every ticker);
- the `ArtifactStore` where big objects live;
- the default `seed` and the safe asset's annual rate `safe_rate` used by backtests and searches;
- `run_search(**kwargs)`: runs a `quant.search`, in process by default; a
  `search_runner` callable with the same keyword arguments (plus `progress`) can be swapped in
  (the jobs layer will route searches through a job runner);
- `progress(done, total, best)`: called after every batch of a search (trials done, trials
  planned, best feasible objective so far or NaN), for the graph to forward as progress events.

Making a tool of a function (`make_tool`) is `tools.tool_factory`'s: this module loads no
LangChain.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bounded_lru import BoundedLru
from quant.scenarios import ScenarioSet
from services.market_data.providers import DEFAULT_UNIVERSE_SIZE
from services.market_data.tickers import unknown_tickers
from tools.artifacts import ArtifactStore
from tools.market_frames import (
    FrameMarketData,
    MarketData,
    configured_market_data,
    embedded_market_data,
)

if TYPE_CHECKING:
    from quant import ScenarioData, SearchResult
    from services.research import SearchResults

__all__ = [
    "MAX_UNIVERSE",
    "FrameMarketData",
    "MarketData",
    "ProgressCallback",
    "ResearchSearch",
    "SavedPortfolioLookup",
    "SavedPortfolioWeights",
    "ScenarioRecord",
    "SearchRecord",
    "SearchRunner",
    "SearchWinner",
    "SearchWinnerLookup",
    "ToolContext",
    "UniverseScreen",
    "configured_market_data",
    "data_derived",
    "embedded_market_data",
    "in_process_search",
    "parse_date",
]

MAX_UNIVERSE = 50
"""Most tickers a tool accepts in one universe (a default universe is the data's first
`DEFAULT_UNIVERSE_SIZE`)."""

ProgressCallback = Callable[[int, int, float], None]
"""progress(done, total, best): trials done, trials planned, best feasible objective (NaN if none)."""

SearchRunner = Callable[..., "SearchResult"]
"""Runs a search: keyword arguments of `quant.search` plus `progress`."""


# --------------------------------------------------------------------------------------------
# records kept in the artifact store
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScenarioRecord:
    """A generated scenario set and how it was made.

    `weights`: the risky sleeve's weights (normalised to sum 1, asset order of the set) or None
    for the equal-weight portfolio of the universe.
    """

    scenarios: ScenarioSet
    weights: np.ndarray | None
    start: str
    end: str

    def inputs(self) -> ScenarioSet | dict[str, ScenarioData]:
        """What `quant.search` takes: the `ScenarioSet` itself for the equal-weight
        sleeve, else scenario name -> `ScenarioData` (the weighted sleeve's daily returns, paths x
        days, and the asset returns for optimizer sleeves)."""
        from quant import ScenarioData

        scen = self.scenarios
        if self.weights is None:
            return scen
        return {
            name: ScenarioData(
                risky=scen.risky(name, self.weights),
                assets=None if scen.n_assets == 1 else scen.paths[name],
            )
            for name in scen.names
        }


@dataclass(frozen=True, eq=False)
class SearchRecord:
    """A finished search, the scenario set it ran on and its wall time in seconds."""

    result: SearchResult
    scenario_set_id: str
    scenario_record: ScenarioRecord
    elapsed_s: float
    status: str = "finished"


# --------------------------------------------------------------------------------------------
# search runner with progress
# --------------------------------------------------------------------------------------------
def in_process_search(
    *,
    progress: ProgressCallback | None = None,
    confidence: float = 0.95,
    dsr_n_obs: int | None = None,
    **kwargs: Any,
) -> SearchResult:
    """`quant.search(**kwargs)` in this process, one batch at a time, calling
    `progress(done, total, best)` after each batch (best: the best feasible objective so far,
    NaN before the first)."""
    from quant import SearchRun

    run = SearchRun(**kwargs)
    while not run.done:
        run.step()
        if progress is not None:
            convergence = run.convergence
            progress(len(run.rows), run.total, float(convergence[-1]))
    return run.result(confidence=confidence, dsr_n_obs=dsr_n_obs)


# --------------------------------------------------------------------------------------------
# dates and universes
# --------------------------------------------------------------------------------------------
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def parse_date(text: str, *, field_name: str, end: bool = False) -> pd.Timestamp:
    """An ISO date 'YYYY-MM-DD' (also 'YYYY-MM' or 'YYYY': the first day of that period, or the
    last day when `end`). Raises `ValueError` naming the field and the value."""
    value = str(text).strip()
    if not _DATE.match(value):
        raise ValueError(
            f"{field_name}={text!r} is not an ISO date; use YYYY-MM-DD, e.g. 2018-01-01"
        )
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise ValueError(f"{field_name}={text!r} is not a valid date: {exc}") from exc
    if end and len(value) == 4:
        return pd.Timestamp(year=stamp.year, month=12, day=31)
    if end and len(value) == 7:
        return stamp + pd.offsets.MonthEnd(0)
    return stamp


@dataclass(frozen=True)
class SavedPortfolioWeights:
    """A portfolio saved outside the conversation (an owner's saved portfolio): its display name,
    weights by ticker (fractions of capital) and, when it was built on one, its date range."""

    name: str
    weights: dict[str, float]
    start: str | None = None
    end: str | None = None


SavedPortfolioLookup = Callable[[str], SavedPortfolioWeights | None]
"""lookup(portfolio_id): the owner's saved portfolio with that id, or None if they have none."""


@dataclass(frozen=True)
class SearchWinner:
    """The winner of a finished strategy search, as the search stored it: its configuration
    (`StrategyConfig` fields, unrounded), the assets it held (None: the default universe), its
    window (ISO dates), its safe rate (a fraction a year) and its option pricing model (the
    `ImpliedVolModel` fields; None: the defaults)."""

    run_id: str
    config: dict[str, Any]
    universe: tuple[str, ...] | None
    start: str | None
    end: str | None
    safe_rate: float
    vol_model: dict[str, Any] | None = None


SearchWinnerLookup = Callable[[str], SearchWinner]
"""lookup(run_id): the winner of that finished search of the owner's or the conversation's; a
`ValueError` (`services.errors.InputError` on ``run_id``) saying why when there is none."""

ResearchSearch = Callable[[str, int, list[str] | None], "SearchResults"]
"""search(query, k, document_ids): the best `k` passages of the owner's documents library."""


@dataclass(frozen=True)
class OwnerRecords:
    """Whose records the tools keep (investment ideas) and where: the chat's signed-in owner,
    their store and the settings (whose configured market data prices the ideas)."""

    owner: str
    store: Any
    settings: Any = None


UniverseScreen = Callable[[Sequence[str]], tuple[list[str], list[str]]]
"""screen(universe): (the tickers the owner's profile allows, in order; a sentence for each one
it leaves out, e.g. "AMD left out: your profile excludes AMD")."""


# --------------------------------------------------------------------------------------------
# what is derived from one market data object, shared by the contexts on it
# --------------------------------------------------------------------------------------------
DERIVED_PER_DATA = 32
"""Most results (returns of a universe and range, the index's on a range) kept per market data
object, least recently used dropped."""
DERIVED_PER_CONTEXT = 32
"""Most such results a context on other market data keeps (`ToolContext.derived`)."""

_DERIVED: weakref.WeakKeyDictionary[FrameMarketData, BoundedLru[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)
"""Each market data object's derived results, by what was asked; dropped with the object (a
new version of the configured data is a new object)."""
_DERIVED_LOCK = threading.Lock()
"""Held while `_DERIVED` is read or given an object's results."""
_ABSENT = object()
"""What a cache of derived results gives for a key it does not keep (a result may be None)."""


def data_derived(data: FrameMarketData, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """`compute()`, a result derived from `data` alone and named by `key`, computed once per
    data object (by identity, never by value: an owner's own data object shares nothing with
    another's) and shared by every caller on that object (thread-safe; the last
    `DERIVED_PER_DATA` results per object kept). Callers treat the result as read-only."""
    with _DERIVED_LOCK:
        results = _DERIVED.get(data)
        if results is None:
            results = _DERIVED[data] = BoundedLru(DERIVED_PER_DATA)
    found = results.get(key, _ABSENT)
    if found is not _ABSENT:
        return found
    value = compute()
    # a concurrent caller's, if it was first (both None: the same)
    return results.compute(key, lambda kept: value if kept is None else kept)


# --------------------------------------------------------------------------------------------
# the context
# --------------------------------------------------------------------------------------------
@dataclass
class ToolContext:
    """Shared state of the tools of one run or session (see the module docstring)."""

    data: MarketData = field(default_factory=configured_market_data)
    artifacts: ArtifactStore = field(default_factory=ArtifactStore)
    seed: int = 0
    safe_rate: float = 0.02
    default_years: int = 5
    search_runner: SearchRunner | None = None
    progress: ProgressCallback | None = None
    saved_portfolios: SavedPortfolioLookup | None = None
    """Resolves portfolio ids that are not artifacts of this run: the owner's saved portfolios
    (None: only this run's portfolios are known)."""
    research: ResearchSearch | None = None
    """Searches the owner's documents library (None: no library, e.g. a run without owner)."""
    search_winners: SearchWinnerLookup | None = None
    """Resolves the `run_id` of a finished search whose winner `backtest_strategy` tests (None:
    no search is known, and a `run_id` is refused)."""
    records: OwnerRecords | None = None
    """The owner whose ideas `save_idea` and `propose_ideas` keep (None: nobody, and those
    tools say so)."""
    universe_screen: UniverseScreen | None = None
    """Leaves the tickers the owner's profile excludes out of the portfolios the tools build
    (None: no owner, nothing is left out)."""
    max_universe: int = MAX_UNIVERSE
    """Most tickers of a universe (the tools' `MAX_UNIVERSE`; an optimization run's request
    may name more: `graphs.request.MAX_REQUEST_UNIVERSE`)."""
    max_scenario_values: int = 64_000_000
    """Largest scenario set (paths x days x assets x scenarios floats; 8 bytes each)."""
    max_search_path_days: int = 5_000_000_000
    """Largest search (budget x paths x days x scenarios simulated days; the default search is
    about 1.3e8 and takes a few seconds)."""
    _derived: BoundedLru[tuple[Any, ...], Any] = field(
        default_factory=lambda: BoundedLru(DERIVED_PER_CONTEXT), repr=False
    )

    # ---- ranges and universes -----------------------------------------------------------
    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last date of the data."""
        dates = self.data.dates
        return pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])

    def default_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The last `default_years` calendar years of the data (2018-01-01 to 2022-12-28 on the
        embedded data), cut to the data's first date."""
        first, last = self.data_range()
        start = pd.Timestamp(year=last.year - self.default_years + 1, month=1, day=1)
        return max(start, first), last

    def resolve_range(
        self, start: str | None, end: str | None, *, min_days: int = 2
    ) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The date range [start, end] to use (defaults: `default_range`; an end alone: the
        `default_years` calendar years to it, "until 2012" is 2008-01-01 to 2012-12-31). Raises `ValueError` when a date is malformed, start is not before end, or
        the range holds fewer than `min_days` trading days of data (the message gives the
        data's range)."""
        default_start, default_end = self.default_range()
        first, last = self.data_range()
        hi = default_end if end is None else parse_date(end, field_name="end", end=True)
        lo = default_start if start is None else parse_date(start, field_name="start")
        if start is None and end is not None:
            lo = max(first, pd.Timestamp(year=hi.year - self.default_years + 1, month=1, day=1))
        available = f"data is available from {first.date()} to {last.date()}"
        if lo >= hi:
            raise ValueError(f"start ({lo.date()}) must be before end ({hi.date()}); {available}")
        dates = self.data.dates
        days = int(((dates >= lo) & (dates <= hi)).sum())
        if days < min_days:
            raise ValueError(
                f"the range {lo.date()} to {hi.date()} holds {days} trading days, fewer than the "
                f"{min_days} needed; {available}"
            )
        return lo, hi

    def resolve_universe(self, universe: Sequence[str] | None) -> list[str]:
        """Tickers to use: all of them for None, [] or ['ALL']; otherwise upper-cased, duplicates
        dropped, order kept. Raises `ValueError` naming unknown tickers and listing the available
        ones, or when more than `max_universe` are asked for."""
        available = list(self.data.tickers)
        if not universe:
            return available[:DEFAULT_UNIVERSE_SIZE]
        cleaned: list[str] = []
        for ticker in universe:
            symbol = str(ticker).strip().upper()
            if symbol and symbol not in cleaned:
                cleaned.append(symbol)
        if cleaned == ["ALL"]:
            return available[:DEFAULT_UNIVERSE_SIZE]
        unknown = [t for t in cleaned if t not in set(available)]
        if unknown:
            raise ValueError(
                f"unknown ticker{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                + unknown_tickers(unknown, available)
            )
        if len(cleaned) > self.max_universe:
            raise ValueError(f"universe has {len(cleaned)} tickers, more than {self.max_universe}")
        return cleaned

    def portfolio_universe(self, universe: Sequence[str] | None) -> tuple[list[str], list[str]]:
        """The tickers a portfolio built on `universe` may hold (`resolve_universe`, less those
        the owner's profile excludes: `universe_screen`) and a sentence for each one left out.
        `ValueError` (with the reasons) when the profile leaves none."""
        tickers = self.resolve_universe(universe)
        if self.universe_screen is None:
            return tickers, []
        allowed, reasons = self.universe_screen(tickers)
        if not allowed:
            raise ValueError(
                "your profile's exclusions leave no ticker of this universe: " + "; ".join(reasons)
            )
        return allowed, reasons

    # ---- data (cached) ------------------------------------------------------------------
    def derived(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()`, a result derived from the market data alone (nothing of this context's
        own: no artifact, owner or seed), named by `key`: the data's shared result on a
        `FrameMarketData` (`data_derived`), else this context's (the last
        `DERIVED_PER_CONTEXT`). Treat it as read-only."""
        if type(self.data) is FrameMarketData:
            return data_derived(self.data, key, compute)
        found = self._derived.get(key, _ABSENT)
        if found is not _ABSENT:
            return found
        value = compute()
        self._derived.put(key, value)
        return value

    def returns(
        self,
        universe: Sequence[str] | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> pd.DataFrame:
        """Daily simple returns (dates x tickers) of the resolved universe and range (cached;
        treat the frame as read-only)."""
        tickers = self.resolve_universe(universe)
        lo, hi = self.resolve_range(start, end)
        frame: pd.DataFrame = self.derived(
            ("returns", tuple(tickers), lo, hi), lambda: self.data.returns(tickers, lo, hi)
        )
        return frame

    def market(self, start: str | None = None, end: str | None = None) -> pd.Series | None:
        """Daily simple returns of the market index on the resolved range, or None (cached)."""
        lo, hi = self.resolve_range(start, end)
        series: pd.Series | None = self.derived(
            ("market", lo, hi), lambda: self.data.market(lo, hi)
        )
        return series

    def base_date(self, returns: pd.DataFrame | pd.Series) -> pd.Timestamp | None:
        """The session before the first return of `returns` (the close the window starts from),
        or None when the data starts there."""
        dates = self.data.dates
        earlier = dates[dates < returns.index[0]]
        return pd.Timestamp(earlier[-1]) if len(earlier) else None

    # ---- search -------------------------------------------------------------------------
    def run_search(self, **kwargs: Any) -> SearchResult:
        """Run a search with `search_runner` (default: `in_process_search`), forwarding
        `progress`. Keyword arguments are those of `quant.search`."""
        runner = self.search_runner or in_process_search
        return runner(progress=self.progress, **kwargs)
