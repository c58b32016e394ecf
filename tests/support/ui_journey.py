"""A portfolio manager's data for the page-by-page browser checks: made through the API as a
PM would make it (a profile, portfolios, a finished optimization with a drawdown limit, its
winner deployed to paper and forward-tested, a document, an idea, a chat with an answer), so
that every page of the UI has realistic content to lay out.

`seed(client)` returns the ids the pages are opened with (`Journey`)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.browser import wait_for_job

RESEARCH = b"""# Defensive staples in a rate-cut cycle

Consumer staples held up in the 2022 drawdown: JNJ, KO and PG fell less than the index.

## Risks

Valuations are above their ten-year median; a rally led by growth stocks would leave them behind.
"""

PROFILE: dict[str, Any] = {
    "risk_tolerance": "moderate",
    "risk_limits": {"max_drawdown": {"limit": 0.25, "statistic": "p95"}},
    "benchmark": "SP500",
    "universe": None,
    "exclusions": [],
    "base_currency": "USD",
    "notifications": {"destinations": []},
    "version": 0,
}

UNIVERSE = ["AAPL", "MSFT", "JNJ", "KO", "PG", "XOM", "JPM", "WMT"]

SEARCH = {
    "universe": UNIVERSE,
    "start": "2010-01-04",
    "end": "2021-12-31",
    "n_paths": 20,
    "scenarios": ["bull", "bear", "high_vol", "base"],
    "budget": {"max_trials": 20, "batch_size": 10},
    "risk_limits": {"max_drawdown": {"limit": 0.35, "statistic": "p95"}},
    "seed": 7,
}

PORTFOLIOS = [
    (
        "Defensive staples with a long name that a narrow screen has to wrap",
        {"JNJ": 0.3, "KO": 0.3, "PG": 0.4},
    ),
    ("Big tech", {"AAPL": 0.5, "MSFT": 0.5}),
    (
        "Everything equal",
        {t: round(1 / len(UNIVERSE), 6) for t in UNIVERSE[:-1]}
        | {UNIVERSE[-1]: round(1 - 7 * round(1 / len(UNIVERSE), 6), 6)},
    ),
]

CHAT = "Build me a max Sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018"
COMPARE = "compare HRP, risk parity and min-vol for AAPL MSFT JPM XOM"


@dataclass(frozen=True)
class Journey:
    """The ids of what `seed` made."""

    job: str
    deployment: str
    forward_test_deployment: str
    document: str
    idea: str
    thread: str
    account: str


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _chat(client: httpx.Client, *texts: str) -> str:
    """A thread with each message answered in turn; its id."""
    thread = _ok(client.post("/v1/threads", json={"title": texts[0][:60]}))
    for text in texts:
        with client.stream(
            "POST",
            f"/v1/threads/{thread['id']}/messages",
            json={"content": text},
            headers={"accept": "text/event-stream"},
            timeout=300,
        ) as stream:
            assert stream.status_code == 200, (stream.status_code, stream.read())
            for _ in stream.iter_lines():
                pass
    return str(thread["id"])


def _forward_test(client: httpx.Client, deployment: str) -> str:
    """Forward-test `deployment` over the first quarter of 2022; the forward test's own deployment."""
    job = _ok(
        client.post(
            f"/v1/deployments/{deployment}/forward-tests",
            json={"start": "2022-01-03", "end": "2022-03-31"},
        )
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        found = _ok(client.get(job["links"]["self"]))
        if found["job"]["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.2)  # the job runs in the server's worker thread; nothing to wake us
    assert found["job"]["status"] == "succeeded", found["job"]
    return str(found["result"]["forward_test_deployment_id"])


def seed(client: httpx.Client) -> Journey:
    """Make a PM's data through the API (about a dozen requests and two short jobs)."""
    _ok(client.put("/v1/profile", json=PROFILE))
    for name, weights in PORTFOLIOS:
        items = [{"asset": a, "weight": w} for a, w in weights.items()]
        _ok(client.post("/v1/portfolios", json={"name": name, "weights": items}))
    job = _ok(client.post("/v1/optimizations", json=SEARCH))
    final = wait_for_job(client, job["id"])
    assert final["status"] == "succeeded", final
    deployment = _ok(
        client.post(
            "/v1/deployments",
            json={
                "name": "Winner of the drawdown-limited search",
                "source": {"kind": "optimization", "id": job["id"]},
                "capital": 250_000,
                "cap_leverage": True,
            },
        )
    )
    forward = _forward_test(client, deployment["id"])
    document = _ok(
        client.post(
            "/v1/documents",
            files={"file": ("staples-research.md", RESEARCH, "text/markdown")},
        )
    )
    idea = _ok(
        client.post(
            "/v1/ideas",
            json={
                "title": "Staples hold up when rates fall",
                "thesis": "JNJ, KO and PG lost less than the index in 2022 and pay steady dividends.",
                "tickers": ["JNJ", "KO", "PG"],
                "direction": "long",
                "horizon_days": 126,
                "lookback_days": 252,
            },
        )
    )
    thread = _chat(client, CHAT, COMPARE)
    return Journey(
        job=str(job["id"]),
        deployment=str(deployment["id"]),
        forward_test_deployment=forward,
        document=str(document["id"]),
        idea=str(idea["id"]),
        thread=thread,
        account=f"paper-{deployment['id']}",
    )


def as_json(journey: Journey) -> str:
    """The ids as JSON (for a development server's log)."""
    return json.dumps(journey.__dict__)
