"""An eval run on Bedrock, recorded as a vcrpy cassette, replays offline with the same scores.

The cassette (`tests/cassettes/evals/eval-bedrock.yaml`, beside the built-in sessions so the
replay suite does not take it for one of them) holds every Converse request of
`stratigos eval --provider bedrock:<MODEL>` on `CASES`; its snapshot holds what the run scored.
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
from evals.suite import evaluate
from settings.config import Settings

NAME = "eval-bedrock"
DIRECTORY = REPOSITORY_CASSETTES / "evals"
MODEL = "us.amazon.nova-pro-v1:0"
REGION = "us-east-1"
CASES = ["bad-dates", "compare-methods", "cvar-aapl-ko", "follow-up-cvar", "unknown-ticker"]
"""Sorted, as the run reports them. Research cases are left out: an uploaded document's id is
new on every run and enters the model's messages, so their requests cannot match a recording."""
MEASURED = ("id", "passed", "scores", "tool_calls", "answer", "model_calls", "tokens_in")
"""What the replay must reproduce of each case (latency is the machine's, not the model's)."""


def _scored(report: EvalReport) -> list[dict[str, Any]]:
    cases = to_json(report)["providers"][f"bedrock:{MODEL}"]["cases"]
    return [{key: case[key] for key in (*MEASURED, "tokens_out", "cost_usd")} for case in cases]


def _evaluate() -> EvalReport:
    return evaluate(
        select(load_cases(), ids=CASES), [parse_provider(f"bedrock:{MODEL}")], Settings()
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
        "description": f"stratigos eval --provider bedrock:{MODEL} on {', '.join(CASES)}",
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
    assert [r["id"] for r in replayed] == CASES
    for recorded, again in zip(snapshot["results"], replayed, strict=True):
        assert {k: again[k] for k in MEASURED} == {k: recorded[k] for k in MEASURED}, again["id"]
    assert report.passed
    nova = report.totals(f"bedrock:{MODEL}")
    assert nova["cost_usd"] is not None and nova["cost_usd"] > 0
