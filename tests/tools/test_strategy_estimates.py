"""The assistant's `estimate_strategy` tool: the signed-in owner's model estimate, labelled and
rounded as every tool's answer; without an owner, without a model, or with a bad configuration
a tool error the model can read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphs.search_pipeline import run_search_pipeline
from settings import ModelSettings, Settings
from store.factory import open_store
from tests.support.pipeline_search import seeded_request
from tools import ToolContext, build_tools
from tools.context import OwnerRecords


def _tool(records: OwnerRecords | None) -> Any:
    [tool] = build_tools(ToolContext(records=records), names=["estimate_strategy"])
    return tool


def test_the_tool_answers_with_the_signed_in_owner_s_model(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))
    run_search_pipeline(seeded_request(1), run_id="r1", owner="alice", settings=settings)
    store = open_store(settings)
    answer = _tool(OwnerRecords("alice", store)).invoke(
        {"config": {"target_vol": 0.1}, "scenarios": ["bear", "bull"]}
    )
    assert answer["label"] == "model estimate" and list(answer["scenarios"]) == ["bear", "bull"]
    bear = answer["scenarios"]["bear"]["sharpe"]
    assert bear["low"] <= bear["estimate"] <= bear["high"]
    assert len(repr(bear["estimate"]).replace("-", "").replace(".", "").lstrip("0")) <= 4
    for records, arguments, words in (
        (OwnerRecords("bob", store), {}, "no strategy model yet"),
        (None, {}, "signed-in user"),
        (OwnerRecords("alice", store), {"config": {"lookback": -3}}, "config.lookback"),
    ):
        error = _tool(records).invoke(arguments)  # a tool error the model reads, not a raise
        assert isinstance(error, str) and "estimate_strategy failed" in error and words in error
    store.close()
