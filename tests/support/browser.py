"""Helpers of the browser tests: signing in, reading plotly charts, waiting for the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import Server


def sign_in(page: Any, server: Server, route: str = "#/optimize") -> None:
    """Open the UI with the key in the address fragment, as `stratigos serve` prints it (it
    lands on the start page), then go to `route`. On the optimization form the collapsed groups
    of advanced settings are opened, so that a test can fill any field."""
    page.goto(f"{server.url}/#key={server.key}")
    page.wait_for_selector("#nav:not([hidden])")
    if route != "#/start":
        page.evaluate("route => { window.location.hash = route; }", route)
    if route == "#/optimize":
        page.wait_for_selector("#optimize-form")
        page.evaluate(
            "document.querySelectorAll('#optimize-form details').forEach(d => d.open = true)"
        )


def visit(page: Any, server: Server, route: str, path: str) -> Any:
    """Open the page `#/<route>` of a signed-in tab; the API's answer to its read of `path`
    (a Playwright response: its request carries the credential the page sent)."""
    with page.expect_response(lambda r: r.url.startswith(f"{server.url}{path}")) as answer:
        page.evaluate("route => { window.location.hash = route; }", f"#/{route}")
    return answer.value


def trace_lengths(page: Any, chart_id: str) -> dict[str, int]:
    """Number of points of each trace of a plotly chart, by trace name, once it is drawn (a chart
    is drawn after plotly.js loads, which the page's first chart asks for)."""
    page.wait_for_function("id => document.getElementById(id)?.data !== undefined", arg=chart_id)
    lengths: dict[str, int] = page.evaluate(
        """id => Object.fromEntries(
            document.getElementById(id).data.map((t, i) => [t.name || String(i), t.x.length]))""",
        chart_id,
    )
    return lengths


def small_request() -> dict[str, Any]:
    """A quick optimization: 40 trials in 4 batches, 20 paths, three scenarios."""
    return {
        "n_paths": 20,
        "scenarios": ["bull", "bear", "base"],
        "budget": {"max_trials": 40, "batch_size": 10},
    }


def wait_for_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """Follow the job with the long-poll API until it is finished; its final status view."""
    after = 0
    for _ in range(120):
        page = client.get(
            f"/v1/optimizations/{job_id}/events", params={"after": after, "wait": 10}
        ).json()
        after = page["last_seq"]
        if page["done"]:
            break
    job: dict[str, Any] = client.get(f"/v1/optimizations/{job_id}").json()
    return job


def succeeded_job(server: Server) -> str:
    """The id of a succeeded optimization of `small_request()` by the test key's owner
    (submitted if there is none)."""
    with server.client() as client:
        jobs = client.get("/v1/optimizations", params={"status": "succeeded"}).json()
        small = [
            j
            for j in jobs
            if j["request"]["budget"]["max_trials"] == 40
            and not any(j["request"].get("risk_limits", {}).values())
        ]
        if small:
            return str(small[0]["id"])
        job = client.post("/v1/optimizations", json=small_request()).json()
        final = wait_for_job(client, job["id"])
        assert final["status"] == "succeeded", final
        return str(job["id"])


__all__ = [
    "Server",
    "sign_in",
    "small_request",
    "succeeded_job",
    "trace_lengths",
    "visit",
    "wait_for_job",
]
