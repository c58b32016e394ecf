"""Business metrics as CloudWatch Embedded Metric Format lines (`settings.metrics`), read back the
way CloudWatch Logs reads them (`tests.support.emf`), and the model-call site that emits them
(`agents.model_call.invoke_model`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from agents.model_call import invoke_model
from settings import Settings, get_settings, metrics
from settings.model_catalog import model_catalog
from tests.support.emf import emf_metrics, emf_values

NAMESPACE = "Stratigos/test"


@pytest.fixture
def emf_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STRATIGOS_METRICS", "emf")
    monkeypatch.setenv("STRATIGOS_METRICS_NAMESPACE", NAMESPACE)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_metrics_are_off_by_default_and_write_nothing(capsys: pytest.CaptureFixture) -> None:
    assert Settings().metrics == "off"
    assert metrics.emit({"X": (1, "Count")}, settings=Settings()) is None
    assert capsys.readouterr().out == ""


def test_each_event_is_one_emf_line_cloudwatch_can_read(
    emf_on: None, capsys: pytest.CaptureFixture
) -> None:
    metrics.optimization_finished(200, 1.37)
    metrics.deployments_active(3)
    metrics.orders_finished(5, 1)
    metrics.tracking_error(0.0005)
    metrics.cleanup_finished(2, 7, 1, 1)
    metrics.market_data_ingested(False, 4)
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 6
    values = emf_values(out, NAMESPACE)
    assert values == {
        "OptimizationsRun": 1,
        "TrialsEvaluated": 200,
        "BestObjective": 1.37,
        "DeploymentsActive": 3,
        "OrdersFilled": 5,
        "OrdersRejected": 1,
        "ForwardTestTrackingError": 0.0005,
        "ArchivedJobs": 2,
        "ExpiredCacheEntries": 7,
        "ReannouncedJobs": 1,
        "StuckRuns": 1,
        "MarketDataIngested": 0,
        "MarketDataRefused": 1,
        "BadDataMarkers": 4,
    }


def test_values_that_are_not_numbers_are_left_out(
    emf_on: None, capsys: pytest.CaptureFixture
) -> None:
    metrics.optimization_finished(0, float("nan"))  # a search with no feasible trial
    assert metrics.tracking_error(None) is None
    values = emf_values(capsys.readouterr().out, NAMESPACE)
    assert values == {"OptimizationsRun": 1, "TrialsEvaluated": 0}


def test_model_tokens_and_cost_by_model_and_in_total(
    emf_on: None, capsys: pytest.CaptureFixture
) -> None:
    model_id = model_catalog().default_id("strong")
    usage = {
        "input_tokens": 1200,
        "output_tokens": 300,
        "cache_read_tokens": 5000,
        "cache_write_tokens": 800,
    }
    line = metrics.model_call(model_id, usage)
    assert line is not None and json.loads(line)["Model"] == model_id
    found = emf_metrics(capsys.readouterr().out)
    by_model = {name: v for _, name, dims, v, _ in found if dims == {"Model": model_id}}
    total = {name: v for _, name, dims, v, _ in found if dims == {}}
    assert by_model == total  # one call: the total is the model's
    assert by_model["InputTokens"] == 1200 and by_model["OutputTokens"] == 300
    assert by_model["CacheReadTokens"] == 5000 and by_model["CacheWriteTokens"] == 800
    # the cost at the catalog's list prices (US dollars per million tokens), written out
    price = model_catalog().resolve(model_id).model.price  # type: ignore[union-attr]
    assert price is not None and price.cache_read is not None and price.cache_write is not None
    expected = (
        1200 * price.input + 300 * price.output + 5000 * price.cache_read + 800 * price.cache_write
    ) / 1_000_000
    assert by_model["ModelCost"] == pytest.approx(expected, rel=1e-12)
    assert by_model["ModelCost"] > 0


def test_an_unknown_model_gets_tokens_but_no_cost(
    emf_on: None, capsys: pytest.CaptureFixture
) -> None:
    metrics.model_call("my-local-llama", {"input_tokens": 10, "output_tokens": 2})
    values = emf_values(capsys.readouterr().out, NAMESPACE)
    assert values["InputTokens"] == 10 and "ModelCost" not in values


def test_every_model_reply_is_counted_where_it_is_received(
    emf_on: None, capsys: pytest.CaptureFixture
) -> None:
    """`invoke_model`, which every agent's model call goes through, publishes the reply's
    tokens (cached ones apart, each counted once) under the model that answered."""
    reply = AIMessage(
        content="ok",
        usage_metadata={
            "input_tokens": 900,
            "output_tokens": 40,
            "total_tokens": 940,
            "input_token_details": {"cache_read": 600},
        },
        response_metadata={"model_id": "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
    )
    invoke_model(RunnableLambda(lambda _: reply), [HumanMessage("hi")], {}, "market_analysis")
    found = emf_metrics(capsys.readouterr().out)
    model = {"Model": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}
    counted = {name: v for _, name, dims, v, _ in found if dims == model}
    assert counted["InputTokens"] == 300  # the prompt less its cache reads
    assert counted["CacheReadTokens"] == 600 and counted["OutputTokens"] == 40
    assert counted["ModelCost"] > 0
