"""The OpenAPI schema is the contract: schemathesis 4 tests the whole HTTP API from its own
schema, with every check it has, in all four phases (examples, coverage, fuzzing, stateful), a
fixed seed, bounded examples and no example database (a run draws the same cases whatever ran
before it), and the run must end with zero failures and zero errors.

The engine (what `st run` runs) calls the app in process (ASGI), authenticated with a real API
key, on an app without job workers (fuzzed submissions stay pending) whose event streams end
instead of following a job (as behind a buffering adapter). Among the checks, ST201 (a request
outside the schema accepted) and ST202 (a request inside it refused) hold the schema and the
handlers to each other. A rule the schema cannot state (a sum of weights, a date inside the
market data, an id the caller holds, one field given with another) may refuse a schema-valid
request: `BEYOND_THE_SCHEMA` lists each operation that has such rules and which they are, and
lets it answer 422 there; a file's bytes decide `CONTENT` operations (415 or 422); a page
cursor is a token a previous page gave (`CURSORS`: 400 for a made-up one); a DELETE that
cancels a job leaves it readable as canceled (`CANCELS`: no use-after-free check under it).
Long polls are asked not to wait (`wait=0`): with no worker, nothing would arrive.

The run is cut in three `SHARDS` by path, each a test module of its own on an app of its own (so
that pytest-xdist's workers share them): `/v1`'s searches, deployments, ideas and documents
(tests/api/test_schemathesis.py), `/v1`'s portfolios, market data, analyses and conversations
(tests/api/test_schemathesis_v1_analyses.py), and the Agent Protocol with 001's unversioned
paths (tests/api/test_schemathesis_agent.py). Each runs every phase on its operations, and every
one of its operations must have been exercised. The stateful phase follows the links inside a
shard: the two `/v1` shards are cut where none of the schema's links (given, or inferred by
schemathesis) crosses, and no link joins `/v1` to the others (the unversioned paths are adapters
with their own ids and bodies).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema

from api.app import create_app
from tests.api.conftest import make_settings

MAX_EXAMPLES = 10
SEED = 1
PHASES = ("examples", "coverage", "fuzzing", "stateful")

BEYOND_THE_SCHEMA = {
    "POST /v1/portfolios": "weights sum to 1 and name assets of the data or the dataset",
    "PUT /v1/portfolios/{portfolio_id}": "weights sum to 1, assets of the data or the dataset",
    "POST /v1/deployments": "the source is one of the caller's portfolios or optimizations; "
    "the hedge and the schedule fit its strategy and the market data",
    "POST /v1/deployments/{deployment_id}/forward-tests": "start and end inside the market data",
    "POST /v1/deployments/{deployment_id}/run": "the deployment is active",
    "POST /v1/hedge-kill-switch": "the deployment holds an option hedge",
    "POST /v1/hedge-kill-switch/release": "the deployment holds an option hedge",
    "POST /v1/kill-switch": "the account is one a deployment of the caller trades",
    "POST /v1/memories": "exclusions name known tickers, sectors or industries",
    "DELETE /v1/owner-data": "confirm=erase-everything, a safety catch the schema leaves "
    "unstated so that no generated request erases the fuzzing owner mid-run "
    "(tests/api/test_owner_data.py erases and checks the 422 without it)",
    "PUT /v1/profile": "exclusions, universe and benchmark name known tickers or industries",
    "PATCH /v1/profile": "known exclusions; If-Match agrees with the body's version",
    "POST /v1/monte-carlo/simulate": "one source of returns; its assets and dates in the data",
    "POST /v1/monte-carlo/analyze": "one source of returns; its assets and dates in the data",
    "POST /v1/optimization/hrp": "one source of returns; its assets and dates in the data",
    "POST /v1/optimization/risk-parity": "one source of returns; assets and dates in the data",
    "POST /v1/optimization/inverse-volatility": "one source of returns; assets and dates in the "
    "data",
    "POST /v1/optimization/efficient-frontier": "one source of returns; assets and dates in "
    "the data; a target the frontier reaches",
    "POST /v1/optimizations": "universe, dates, scenarios, search space and objective fit the "
    "market data and one another",
    "GET /v1/optimizations/{job_id}/results": "sort names a column of the job's trials",
    "POST /v1/strategy-estimates": "the configuration's fields are StrategyConfig's and fit "
    "it; the scenarios are the search's",
    "POST /v1/threads/{thread_id}/approve": "changes (request fields, any JSON) under the "
    "text rule",
    "POST /v1/ideas": "horizon_days or horizon_until; tickers of the data",
    "PATCH /v1/ideas/{idea_id}": "horizon_days or horizon_until; tickers of the data; If-Match "
    "agrees with the body's version",
    "GET /v1/market-data/prices": "assets and dates of the data",
    "GET /v1/market-data/returns": "assets and dates of the data",
    "GET /v1/research/search": "uploaded_to after uploaded_from",
    "POST /portfolios": "assets sum to 1 and are assets of the market data",
    "PUT /portfolios/{portfolio_id}": "assets sum to 1 and are assets of the market data",
    "POST /optimization/hrp": "one source of returns; its assets and dates in the data",
    "POST /optimization/risk-parity": "one source of returns; assets and dates in the data",
    "POST /optimization/efficient-frontier": "one source of returns; assets and dates in the "
    "data; a target the frontier reaches",
    "POST /monte-carlo/simulate": "one source of returns; its assets and dates in the data",
    "POST /monte-carlo/analyze": "a stored simulation of the caller whose data is unchanged",
    "GET /market-data/prices": "assets and dates of the data",
    "GET /market-data/returns": "assets and dates of the data",
    "POST /agent/threads/{thread_id}/history": "a metadata filter under the text rule",
    "POST /agent/threads/{thread_id}/state": "messages a client writes: user or assistant "
    "text, no tool calls; no state key but messages",
    "POST /agent/threads/{thread_id}/state/checkpoint": "no subgraphs (they keep no state)",
    "GET /agent/threads/{thread_id}/state/{checkpoint_id}": "a checkpoint id (a UUID)",
    "PUT /agent/store/items": "a value under the text rule",
    "POST /agent/store/items/search": "a filter under the text rule, its values not objects",
    "POST /agent/runs/crons": "a schedule cron reads, an IANA time zone, one user message as "
    "its runs' input under the text rule, an end after now",
    "POST /agent/threads/{thread_id}/runs/crons": "a schedule cron reads, an IANA time zone, "
    "one user message as its runs' input under the text rule",
    "POST /agent/runs/crons/search": "a metadata filter under the text rule",
    "POST /agent/runs/crons/count": "a metadata filter under the text rule",
    "PATCH /agent/runs/crons/{cron_id}": "what it gives as a new cron's: a schedule cron reads, "
    "an IANA time zone, one user message under the text rule",
}
"""Operation -> the rules beyond its schema (a schema-valid request may be 422)."""

CONTENT = {
    "POST /v1/documents": "a supported, readable, non-empty document",
    "POST /v1/market-data/datasets": "a readable table of dates and assets",
    "POST /v1/import": "an archive `GET /v1/export` wrote (a zip of its records and files)",
}
"""Operation -> what its file's bytes must be (a schema-valid upload may be 415 or 422)."""

CURSORS = (
    "GET /v1/ideas",
    "GET /v1/documents/{document_id}/chunks",
    "GET /v1/optimization/results",
    "GET /v1/monte-carlo/simulations",
    "GET /optimization/results",
    "GET /monte-carlo/simulations",
)
"""Operations whose page cursor is a token a previous page gave (a made-up one is 400). The
trials of `GET /v1/optimizations/{job_id}/results` need no exception: their cursor's schema
admits positions only, and every position is a page."""

CANCELS = {
    "DELETE /v1/optimizations/{job_id}": "cancels the job, which stays readable as canceled "
    "(its status, events, trials and results so far): a read after it is not a use after free",
}
"""DELETE operations that cancel rather than remove (schemathesis' use_after_free does not apply
to what lies under their path)."""

ANALYSES = (
    "portfolios|market-data|optimization|monte-carlo"  # linked to one another
    "|threads|profile|memories|vocabulary|ui-config"  # linked to nothing
)
"""The `/v1` path groups of the shard "v1 analyses": portfolios, the market data and the one-shot
analyses on them (linked to one another), and the conversations and the caller's profile and
memories (linked to nothing). The shard "v1 searches" has the rest: searches, deployments and
their trading, ideas, documents and research, reports and the owner's records (linked to one
another). No link of the schema, given or inferred, joins the two, and they take about the same
time."""

SHARDS = {
    "v1 analyses": f"^/v1/({ANALYSES})(/|$)",
    "v1 searches": f"^/v1/(?!({ANALYSES})(/|$))",
    "agent and 001": "^/(agent|portfolios|market-data|optimization|monte-carlo)(/|$)",
}
"""Shard -> the paths it fuzzes (a regular expression); every path is in exactly one."""


ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
"""What schemathesis expects of a schema-valid request by default (5xx fails another check)."""


def config(api_key: str, paths: str) -> SchemathesisConfig:
    """The run of the operations under `paths` (a regular expression): every check, the four
    phases, the seed, the bounds and the exceptions above."""

    def accepting(names: Any, *more: str) -> list[dict[str, Any]]:
        # one entry naming them all: schemathesis matches every case's operation against every
        # entry (`generation_for`, `checks_config_for`, ...), so fifty entries of one operation
        # each cost a few percent of the run; one entry with the list matches the same ones
        expected = {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *more]}}
        return [{"include-name": sorted(names), "checks": expected}]

    operations = [
        {"exclude-path-regex": paths, "enabled": False},  # the other shard's
        *accepting(BEYOND_THE_SCHEMA, "422"),
        *accepting(CONTENT, "415", "422"),
        *accepting(CURSORS, "400"),
        {"include-name-regex": "/events$", "parameters": {"wait": 0}},
        {
            "include-path-regex": "^("
            + "|".join(re.escape(c.split(" ", 1)[1]) for c in CANCELS)
            + ")",
            "checks": {"use_after_free": {"enabled": False}},
        },
    ]
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"x-api-key": api_key},
            "checks": {"enabled": True},
            # no example database: hypothesis' default (.hypothesis/examples under the working
            # directory) kept each run's Pareto front there and replayed it in the next run, so a
            # run's cases, and its cost, depended on the runs before it; without one every run
            # draws what a fresh clone's first run draws from the seed (and keeps no front)
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {phase: {"enabled": True} for phase in PHASES},
            "workers": 1,
            # a chat turn answers in a fraction of a second, but the suite runs beside other
            # tests on two cores: the default 10 s made a slow turn an error, not a finding
            "request-timeout": 120.0,
            "continue-on-failure": True,
            "operations": operations,
        }
    )


@contextmanager
def fuzz_app(data_dir: Path) -> Iterator[FastAPI]:
    """An app on `data_dir` without job workers whose event streams end (see above)."""
    app = create_app(make_settings(data_dir, api={"job_workers": 0}))
    app.state.context.buffered = True  # event streams end instead of following a job
    try:
        yield app
    finally:
        app.state.context.close()


@dataclass
class Outcome:
    """What one run of the engine found."""

    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    phases: dict[str, Status] = field(default_factory=dict)
    cases: Counter[str] = field(default_factory=Counter)
    """Operation -> test cases sent (the stateful phase's under "Stateful tests")."""
    operations: set[str] = field(default_factory=set)
    """The operations of the shard."""


def run(app: FastAPI, api_key: str, shard: str) -> Outcome:
    """One run of the engine on the operations of `shard`."""
    schema = schemathesis.openapi.from_asgi(
        "/v1/openapi.json", app, config=config(api_key, SHARDS[shard])
    )
    outcome = Outcome()
    for operation in schema.get_all_operations():
        if not isinstance(operation, Ok):
            outcome.errors.append(f"schema: {operation.err()!r}")
        elif re.match(SHARDS[shard], operation.ok().path):
            outcome.operations.add(operation.ok().label)
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            outcome.cases[event.recorder.label] += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        outcome.failures.append(
                            f"{failure.operation}: {failure.code} {failure.title}: "
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.PhaseFinished):
            outcome.phases[event.phase.name.value] = event.status
    return outcome


def check_shard(data_dir: Path, shard: str) -> None:
    """Fuzz the operations of `shard` on a fresh app in `data_dir`: no failure, no error, every
    phase a success, every operation of the shard (and only those) exercised."""
    with fuzz_app(data_dir) as app:
        api_key = str(app.state.context.store.create_api_key("fuzzer", "schemathesis")[0])
        outcome = run(app, api_key, shard)
    assert outcome.failures == [], "\n\n".join(outcome.failures[:20])
    assert outcome.errors == [], outcome.errors
    for phase in PHASES:
        assert outcome.phases.get(phase) in (Status.SUCCESS,), (phase, outcome.phases)
    exercised = {label for label, cases in outcome.cases.items() if cases}
    assert outcome.operations, shard
    assert sorted(outcome.operations - exercised) == []  # none was skipped
    assert sorted(exercised - outcome.operations - {"Stateful tests"}) == []  # nor another's
    assert outcome.cases["Stateful tests"] > 0
    assert sum(outcome.cases.values()) > 1_000
