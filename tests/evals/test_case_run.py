"""The runner end to end on the offline model: real chat graph, temporary data directories."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.baseline import BASELINE_FILE, load_baseline, regressions
from evals.case_run import CASE_OWNER, ProviderError, parse_provider, provider_settings, run_case
from evals.cases import load_cases, select
from evals.suite import evaluate
from settings import BedrockSettings, ModelSettings, Settings, TracingSettings


def ticking(step: float) -> Iterator[float]:
    now = 0.0
    while True:
        yield now
        now += step


@pytest.fixture
def base(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "untouched")


def test_every_shipped_case_runs_offline_and_passes_every_scorer_of_the_baseline(
    base: Settings,
) -> None:
    cases = load_cases()
    clock = ticking(1.5)
    report = evaluate(cases, [parse_provider("offline")], base, clock=lambda: next(clock))
    assert regressions(report, load_baseline(BASELINE_FILE)) == []
    failed = {r.case.id: {n: s.detail for n, s in r.scores.items() if s.passed is False}
              for r in report.results if not r.passed}  # fmt: skip
    assert not failed, failed
    assert len(report.results) == len(cases) >= 23
    by_id = {r.case.id: r for r in report.results}
    cvar = by_id["cvar-aapl-ko"]
    assert [c.name for c in cvar.trace.tool_calls] == ["portfolio_risk_report"]
    assert cvar.trace.tool_calls[0].args["start"] == "2019-01-01"
    assert cvar.scores["core"].passed is True
    assert cvar.trace.model_calls >= 2  # the supervisor routes, the risk manager calls and answers
    assert cvar.trace.tokens_in > 0 and cvar.trace.tokens_out > 0
    assert cvar.trace.latency_s == 1.5  # one tick of the injected clock
    assert cvar.cost == 0.0
    assert by_id["unknown-ticker"].trace.tool_calls == []
    assert by_id["unknown-ticker"].scores["refusal"].passed is True
    research = by_id["research-energy"]
    assert research.scores["grounding"].passed is True
    assert "energy-outlook.pdf" in research.trace.answer
    assert not base.data_dir.exists()  # every case ran in its own temporary directory


def test_the_profile_exclusion_and_the_approved_search_are_honoured(base: Settings) -> None:
    cases = {c.id: c for c in load_cases()}
    excluded = run_case(cases["excluded-ticker"], parse_provider("offline"), base)
    assert "XOM left out" in excluded.answer
    search = run_case(cases["bear-search-drawdown"], parse_provider("offline"), base)
    assert search.error is None
    assert search.proposed is not None and search.proposed["risk_limits"]["max_drawdown"] == 0.25
    assert search.last_run is not None and search.last_run["status"] == "succeeded"
    assert search.last_run["best"]["scenarios"]["bear"]["max_drawdown"] <= 0.25
    # the search's learning (a thread after the answer) ended before its directory was removed
    learning = [t.name for t in threading.enumerate() if t.name.startswith("learn-")]
    assert learning == [] and not base.data_dir.exists()


def test_a_failing_conversation_is_recorded_not_raised(
    base: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    case = select(load_cases(), ids=["cvar-aapl-ko"])[0]
    broken = base.model_copy(
        update={
            "bedrock": base.bedrock.model_copy(
                update={"endpoint_url": "http://127.0.0.1:9", "max_attempts": 1}
            )
        }
    )
    trace = run_case(case, parse_provider("bedrock:amazon.nova-pro-v1:0"), broken)
    assert trace.error is not None
    assert trace.answer == ""


def test_provider_settings_put_every_role_on_the_model(tmp_path: Path) -> None:
    base = Settings(
        bedrock=BedrockSettings(model_ids={"explanation": "x"}),
        models=ModelSettings(providers={"explanation": "offline"}),
    )
    bedrock = provider_settings(base, parse_provider("bedrock:amazon.nova-pro-v1:0"), tmp_path)
    assert bedrock.models.provider == "bedrock" and bedrock.models.providers == {}
    assert (
        bedrock.bedrock.strong_model_id == bedrock.bedrock.fast_model_id == "amazon.nova-pro-v1:0"
    )
    assert bedrock.bedrock.model_ids == {} and bedrock.data_dir == tmp_path
    openai = provider_settings(base, parse_provider("openai:qwen3:8b"), tmp_path)
    assert openai.openai.strong_model == openai.openai.fast_model == "qwen3:8b"
    for bad in ("bedrock", "openai:", "claude", "offline:x"):
        with pytest.raises(ProviderError, match="offline, bedrock:<model-id>, bedrock:current"):
            parse_provider(bad)
    assert CASE_OWNER == "eval-owner"


def test_tracing_keeps_the_usage_callback_of_the_run() -> None:
    from graphs.telemetry import GraphSpans, traced

    mine = object()
    with traced(
        {"callbacks": [mine]}, Settings(tracing=TracingSettings(exporter="otlp"))
    ) as config:
        assert config["callbacks"][0] is mine
        assert isinstance(config["callbacks"][1], GraphSpans)
