"""Per-run resources that live in the process, not in checkpoints: data, scenarios, tools.

A checkpoint holds only plain data (the request, trials, decisions). What is large or not
serialisable (the returns table, the simulated scenario paths, the tools and their artifact
store) is rebuilt from the request when a run resumes in another process: scenario generation
is seeded, so the paths are the same.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphs.request import MAX_REQUEST_UNIVERSE, OptimizationRequest
from jobs.backends import ComputeBackend, backend_for_search
from jobs.batches import ArrayHistory, EmbeddedHistory, ScenarioSpec
from quant import ScenarioData, as_scenarios
from quant.scenarios import ScenarioSet, generate_scenarios
from services.market_data.providers import EMBEDDED
from settings import Settings, get_settings
from tools import build_tools
from tools.context import ResearchSearch, ScenarioRecord, ToolContext, configured_market_data

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool


@dataclass
class RunResources:
    """The returns, tools (built on first use) and (once the horizon is known) scenarios of one
    run."""

    request: OptimizationRequest
    settings: Settings
    context: ToolContext
    returns: pd.DataFrame
    market: pd.Series | None
    market_missing: str | None = None
    """Why `market` is None: the benchmarks leave the market index out and say so."""
    scenarios: ScenarioSet | None = None
    inputs: dict[str, ScenarioData] = field(default_factory=dict)
    scenario_set_id: str | None = None
    benchmark_means: dict[str, Any] = field(default_factory=dict)
    """The benchmark strategies' path means beside a configuration, by its config id
    (`graphs.optimization_edge.run_benchmarks`: the explanation and the result share them)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    _backend: ComputeBackend | None = None
    _tools: list[BaseTool] | None = None

    @property
    def tools(self) -> list[BaseTool]:
        """The run's tools, bound to its context (`tools.build_tools`), built on first use: the
        search pipeline's steps use none, so their processes load no LangChain."""
        with self.lock:
            if self._tools is None:
                self._tools = build_tools(self.context)
            return self._tools

    def backend(self) -> ComputeBackend | None:
        """The compute backend batches go to, or None to evaluate on the graph's own threads.

        `STRATIGOS_COMPUTE_BACKEND=ray` or `sagemaker` always uses that backend; `local` uses a
        process pool only when `STRATIGOS_COMPUTE_WORKERS` is set, since the graph's threads
        already evaluate the scenarios of a batch in parallel (the engine releases the GIL).
        """
        with self.lock:
            if self._backend is None:
                self._backend = backend_for_search(self.settings.compute)
            return self._backend

    def use_backend(self, backend: ComputeBackend) -> None:
        """Send this run's batches to `backend` (an application or test building its own)."""
        with self.lock:
            self._backend = backend

    def scenario_spec(self, name: str, horizon: int) -> ScenarioSpec:
        """How a compute backend rebuilds scenario `name`: the same paths as `ensure_scenarios`."""
        request = self.request
        history: EmbeddedHistory | ArrayHistory = (
            EmbeddedHistory.from_returns(self.returns, use_market=self.market is not None)
            if getattr(self.context.data, "provider", None) == EMBEDDED
            else ArrayHistory.from_frame(self.returns, self.market)  # other data travels along
        )
        return ScenarioSpec(
            name=name,
            history=history,
            n_paths=request.n_paths,
            horizon=horizon,
            seed=request.seed,
            method=request.scenario_method,
        )

    def close(self) -> None:
        """Shut the compute backend down, if one was started."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def ensure_scenarios(self, horizon: int) -> ScenarioSet:
        """Generate (once) the request's scenarios with `horizon` days per path."""
        with self.lock:
            if self.scenarios is None or self.scenarios.horizon != horizon:
                request = self.request
                self.scenarios = generate_scenarios(
                    self.returns,
                    names=request.scenarios,
                    n_paths=request.n_paths,
                    horizon=horizon,
                    seed=request.seed,
                    method=request.scenario_method,
                    market=self.market,
                )
                self.inputs = as_scenarios(self.scenarios)
                record = ScenarioRecord(
                    scenarios=self.scenarios,
                    weights=None,
                    start=str(self.returns.index[0].date()),
                    end=str(self.returns.index[-1].date()),
                )
                self.scenario_set_id = self.context.artifacts.put("scenarios", record)
            return self.scenarios


class RunIdInUseError(ValueError):
    """A run id names a run of another request in this process."""


_RUNS: dict[str, RunResources] = {}
_LOCK = threading.Lock()
_RESEARCH: dict[str, ResearchSearch] = {}
"""The research search of a run's owner, bound by the job handler before the run starts."""
_STRATEGY_MODELS: dict[str, Any] = {}
"""The strategy model (`services.strategy_model.OwnerModel`) of a run's owner, bound by the job
handler before the run starts: what its warm start learns from."""


def bind_strategy_model(run_id: str, model: Any) -> None:
    """Let run `run_id` start warm from its owner's strategy model `model` (None: none)."""
    with _LOCK:
        if model is None:
            _STRATEGY_MODELS.pop(run_id, None)
        else:
            _STRATEGY_MODELS[run_id] = model


def bound_strategy_model(run_id: str) -> Any:
    """The strategy model bound to run `run_id`, or None."""
    with _LOCK:
        return _STRATEGY_MODELS.get(run_id)


def bind_research(run_id: str, search: ResearchSearch | None) -> None:
    """Let run `run_id`'s market analysis read its owner's documents through `search` (None: it
    reads none)."""
    with _LOCK:
        if search is None:
            _RESEARCH.pop(run_id, None)
        else:
            _RESEARCH[run_id] = search


def resources(
    run_id: str,
    request: dict[str, Any] | OptimizationRequest,
    settings: Settings | None = None,
) -> RunResources:
    """The resources of run `run_id`, built from `request` (and `settings`, default: the
    process's) on first use in this process (`RunIdInUseError` if they were built for another
    request: a caller that names its runs, such as a LangGraph Platform client, reused an id)."""
    parsed = (
        request
        if isinstance(request, OptimizationRequest)
        else OptimizationRequest.model_validate(request)
    )
    with _LOCK:
        found = _RUNS.get(run_id)
        if found is not None:
            if found.request.model_dump(mode="json") != parsed.model_dump(mode="json"):
                raise RunIdInUseError(
                    f"run_id {run_id!r} is in use by a run of another request; "
                    "give each run its own run_id"
                )
            return found
        settings = settings or get_settings()
        context = ToolContext(
            data=configured_market_data(settings),
            seed=parsed.seed,
            safe_rate=parsed.safe_rate,
            research=_RESEARCH.get(run_id),
            max_universe=MAX_REQUEST_UNIVERSE,
        )
        start, end = str(parsed.start), str(parsed.end)
        returns = context.returns(parsed.universe, start, end)
        market, missing = _market(context, returns, start, end)
        found = RunResources(
            request=parsed,
            settings=settings,
            context=context,
            returns=returns,
            market=market,
            market_missing=missing,
        )
        _RUNS[run_id] = found
        return found


def _market(
    context: ToolContext, returns: pd.DataFrame, start: str, end: str
) -> tuple[pd.Series | None, str | None]:
    """The market index's returns on every day of `returns`, or None and why: the market data
    holds no index (only the embedded data carries the S&P 500's), or the index misses some of
    those days."""
    market = context.market(start, end)
    if market is None:
        provider = getattr(context.data, "provider", None) or "the given returns"
        return None, (
            f"the market data ({provider}) holds no market index: the S&P 500 index comes "
            "with the embedded data only"
        )
    market = market.reindex(returns.index)
    if market.isna().any():
        first, last = (returns.index[i].date() for i in (0, -1))
        return None, f"the market index does not cover every day from {first} to {last}"
    return market, None


def release(run_id: str) -> None:
    """Forget the resources of a finished run (and stop its compute backend)."""
    with _LOCK:
        found = _RUNS.pop(run_id, None)
        _RESEARCH.pop(run_id, None)
        _STRATEGY_MODELS.pop(run_id, None)
    if found is not None:
        found.close()
