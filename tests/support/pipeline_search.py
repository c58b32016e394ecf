"""A small search run through the search pipeline, as the strategy model learns it: for tests
that need an owner's model without running the optimization graph. `REQUEST` is its request
(four stocks, 24 paths, 24 trials of `SMALL_SPACE`), `seeded_request(seed)` the same with a
seed, `workspace_search` what a finished run's training step learns."""

from __future__ import annotations

import json
from typing import Any

from graphs.request import OptimizationRequest
from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import SCENARIOS, TRIALS
from services.strategy_model import Search
from settings import Settings
from tests.support.requests import SMALL_SPACE

REQUEST: dict[str, Any] = {
    "universe": ["AAPL", "KO", "XOM", "JNJ"],
    "start": "2010-01-01",
    "n_paths": 24,
    "horizon": 168,
    "search_space": SMALL_SPACE,
    "budget": {"max_trials": 24, "batch_size": 12},
}


def seeded_request(seed: int) -> OptimizationRequest:
    """`REQUEST` with `seed`."""
    return OptimizationRequest.model_validate({**REQUEST, "seed": seed})


def workspace_search(settings: Settings, run_id: str) -> Search:
    """The `Search` the training step of the finished pipeline run `run_id` learns (its order,
    scenario features and trials, from its workspace in `settings`' data directory)."""
    root = pipeline_workspace(run_id, settings)
    order = json.loads((root / "order" / "order.json").read_text())
    return Search(
        run_id=run_id,
        request=order["request"],
        search_space=order["search_space"],
        scenario_weights=order["scenario_weights"],
        context=json.loads((root / "scenario-generation" / SCENARIOS).read_text())["context"],
        trials=json.loads((root / "optimization" / TRIALS).read_text())["trials"],
    )


def pipeline_search(settings: Settings, run_id: str = "s1") -> Search:
    """Run the pipeline on `seeded_request(1)` as `run_id` in `settings`' data directory (no
    training); the `Search` its training step would learn."""
    run_search_pipeline(seeded_request(1), run_id=run_id, settings=settings, train=False)
    return workspace_search(settings, run_id)
