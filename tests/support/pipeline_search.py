"""A small search run through the search pipeline (no training), as the strategy model learns
it: for tests that need an owner's model without running the optimization graph."""

from __future__ import annotations

import json

from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import SCENARIOS, TRIALS
from services.strategy_model import Search
from settings import Settings
from tests.services.test_strategy_model import _request


def pipeline_search(settings: Settings, run_id: str = "s1") -> Search:
    """Run the pipeline on `_request(1)` as `run_id` in `settings`' data directory; the
    `Search` its training step would learn (the order, scenario features and trials)."""
    run_search_pipeline(_request(1), run_id=run_id, settings=settings, train=False)
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
