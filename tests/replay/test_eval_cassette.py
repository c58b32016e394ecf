"""An eval run on Bedrock, recorded as a vcrpy cassette, replays offline with the same scores.

The cassette (`tests/cassettes/evals/eval-bedrock.yaml`, beside the built-in sessions so the
replay suite does not take it for one of them) holds every Converse request of
`stratigos eval` on `CASES` with `PROVIDERS`: the current and the previous Claude generation
side by side (`bedrock:current`, `bedrock:previous`, the model catalog's strong and fast ids) and
Amazon Nova Pro; its snapshot holds what each scored.
``pytest tests/replay --record-cassettes`` (or ``--record-cassettes=eval-bedrock``) records it
again: against the local Bedrock endpoint (the offline model), or real Bedrock with
``--record-target=bedrock`` and credentials. The replay runs with fake credentials, no endpoint
override and no network: every model call must be answered by the cassette.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from devtools.cassettes import (
    CLEARED_AWS,
    EMBEDDINGS_ON_BEDROCK,
    FAKE_CREDENTIALS,
    REPOSITORY_CASSETTES,
    TRACING_OFF,
    api_settings,
    cassette_paths,
    check_cassette_secrets,
    environment,
    vcr_for,
)
from devtools.pytest_plugin import recording_requested
from devtools.replaying import load_snapshot, replay_environment
from evals.case_run import parse_provider
from evals.cases import load_cases, select
from evals.report import EvalReport, to_json
from evals.report import table as report_table
from evals.suite import evaluate
from settings.config import Settings

NAME = "eval-bedrock"
DIRECTORY = REPOSITORY_CASSETTES / "evals"
PROVIDERS = ["bedrock:current", "bedrock:previous", "bedrock:us.amazon.nova-pro-v1:0"]
REGION = "us-east-1"
CASES = ["bad-dates", "compare-methods", "cvar-aapl-ko", "follow-up-cvar", "unknown-ticker"]
"""Sorted, as the run reports them. Research cases are left out: an uploaded document's id is
new on every run and enters the model's messages, so their requests cannot match a recording."""
MEASURED = ("id", "passed", "scores", "tool_calls", "answer", "model_calls", "tokens_in")
"""What the replay must reproduce of each case (latency is the machine's, not the model's)."""


def _scored(report: EvalReport) -> dict[str, list[dict[str, Any]]]:
    providers = to_json(report)["providers"]
    keys = (*MEASURED, "tokens_out", "cost_usd")
    return {
        provider: [{key: case[key] for key in keys} for case in providers[provider]["cases"]]
        for provider in PROVIDERS
    }


def _evaluate() -> EvalReport:
    return evaluate(
        select(load_cases(), ids=CASES), [parse_provider(p) for p in PROVIDERS], Settings()
    )


def record(target: str) -> None:
    """Record the cassette and its snapshot (local endpoint unless `target` is ``bedrock``)."""
    cassette, snapshot_path = cassette_paths(NAME, DIRECTORY)
    cassette.parent.mkdir(parents=True, exist_ok=True)
    partial = cassette.with_suffix(".yaml.partial")
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stratigos-rec-")))
        env: dict[str, str | None] = {**TRACING_OFF, **EMBEDDINGS_ON_BEDROCK}
        env |= {"STRATIGOS_DATA_DIR": str(scratch), "STRATIGOS_BEDROCK_REGION": REGION}
        env |= api_settings("converse", retries=True)
        if target != "bedrock":
            from devtools.local_bedrock import serve

            bedrock = stack.enter_context(serve())
            env |= dict.fromkeys(CLEARED_AWS) | FAKE_CREDENTIALS
            env |= {
                "STRATIGOS_BEDROCK_ENDPOINT_URL": bedrock.url,
                "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        stack.enter_context(environment(env))
        settings = Settings()
        with vcr_for(REGION, "all", "bedrock").use_cassette(str(partial)):
            report = _evaluate()
        assert report.passed, "the recorded run must pass before it is kept"
    check_cassette_secrets(partial)
    shutil.move(partial, cassette)
    snapshot = {
        "name": NAME,
        "description": "stratigos eval "
        + " ".join(f"--provider {p}" for p in PROVIDERS)
        + f" on {', '.join(CASES)}",
        "api": "converse",
        "provider": "bedrock",
        "recorded_against": "bedrock" if target == "bedrock" else "local-endpoint",
        "region": REGION,
        "model_ids": {},
        "embedding": {
            "model_id": settings.embeddings.bedrock_model_id,
            "dimensions": settings.embeddings.dimensions,
        },
        "cases": CASES,
        "results": _scored(report),
    }
    snapshot_path.write_text(json.dumps(snapshot, indent=2) + "\n")


@pytest.fixture(scope="module")
def snapshot(request: pytest.FixtureRequest) -> dict[str, Any]:
    if recording_requested(request.config, NAME):
        record(request.config.getoption("--record-target"))
    return load_snapshot(NAME, DIRECTORY)


@pytest.mark.usefixtures("no_network")
def test_the_recorded_eval_run_replays_with_the_same_scores(
    snapshot: dict[str, Any], tmp_path: Path
) -> None:
    cassette, _ = cassette_paths(NAME, DIRECTORY)
    with environment(replay_environment(snapshot, tmp_path)):
        recorder = vcr_for(REGION, "none", "bedrock")
        with recorder.use_cassette(str(cassette), allow_playback_repeats=False):
            report = _evaluate()
    replayed = _scored(report)
    assert sorted(replayed) == sorted(snapshot["results"])
    for provider, cases in replayed.items():
        assert [r["id"] for r in cases] == CASES
        for recorded, again in zip(snapshot["results"][provider], cases, strict=True):
            assert {k: again[k] for k in MEASURED} == {k: recorded[k] for k in MEASURED}, (
                provider,
                again["id"],
            )
    assert report.passed
    for provider in PROVIDERS[:2]:  # Claude's list prices, cache reads and writes included
        totals = report.totals(provider)
        assert totals["cost_usd"] is not None and totals["cost_usd"] > 0, provider
    # Nova caches its system prompts too, and the catalog found no price for Nova's cache reads
    # and writes: the cost stays unknown rather than guessed
    nova = report.totals(PROVIDERS[2])
    assert nova["cost_usd"] is None and nova["tokens_cache_read"] > 0
    # the two Claude generations answer the same cases alike, side by side in one table
    current, previous = replayed["bedrock:current"], replayed["bedrock:previous"]
    assert [c["passed"] for c in current] == [c["passed"] for c in previous]
    assert [c["answer"] for c in current] == [c["answer"] for c in previous]
    table = report_table(report)
    assert "bedrock:current" in table and "bedrock:previous" in table
