"""The owner's records as MCP resources, read-only, through the same store calls the API makes
(every read names the owner, so another owner's record is "not found").

| URI | what |
| --- | --- |
| `stratigos://profile` | the profile: mandate, exclusions, defaults |
| `stratigos://portfolios/{id}` | a saved portfolio: name, weights, notes |
| `stratigos://runs/{id}` | an optimization job: status, request, the result in brief (winner, risk verdict, trials) |
| `stratigos://runs/{id}/trace` | the run's trace events (agents, tools, progress), in order |
| `stratigos://documents/{id}` | a research document's text, chunk by chunk, with page references |
| `stratigos://deployments/{id}/orders` | a deployment's orders, as `GET /v1/deployments/{id}/orders` lists them (`trading.deployment_orders`) |

`list_resources` lists the profile and the owner's newest portfolios, runs and documents
(`LISTED` of each); the templates reach any of them by id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import mcp.types as types
from mcp.shared.exceptions import McpError

from api.mcp.frames import rpc_error
from services.documents import all_chunks
from services.optimizations import config_summary
from services.profiles import get_profile
from store import OPTIMIZATION_KIND, NotFoundError, Store

LISTED = 50
"""Most portfolios, runs and documents `list_resources` names, newest first."""
TRACE_EVENTS = 2000
"""Most events a run's trace resource returns (the first ones)."""
RESOURCE_NOT_FOUND = -32002
"""The JSON-RPC error code MCP gives a resource that does not exist."""

TEMPLATES = (
    ("stratigos://portfolios/{portfolio_id}", "portfolio", "A saved portfolio: name, weights."),
    ("stratigos://runs/{job_id}", "run", "An optimization run: status, request, result in brief."),
    ("stratigos://runs/{job_id}/trace", "run trace", "An optimization run's trace events."),
    ("stratigos://documents/{document_id}", "document", "A research document's text."),
    (
        "stratigos://deployments/{deployment_id}/orders",
        "deployment orders",
        "A deployment's orders, each with its part of a shared account's order.",
    ),
)


def resource_templates() -> list[types.ResourceTemplate]:
    """The URI templates of the owner's records."""
    return [
        types.ResourceTemplate(
            uriTemplate=uri, name=name, description=text, mimeType="application/json"
        )
        for uri, name, text in TEMPLATES
    ]


def list_owner_resources(store: Store, owner: str) -> list[types.Resource]:
    """The owner's profile and newest portfolios, optimization runs and documents."""

    def resource(uri: str, name: str, description: str) -> types.Resource:
        return types.Resource(
            uri=uri,  # type: ignore[arg-type]
            name=name,
            description=description,
            mimeType="application/json",
        )

    found = [resource("stratigos://profile", "profile", "Your mandate, exclusions, defaults.")]
    found += [
        resource(f"stratigos://portfolios/{p.id}", p.name, "A saved portfolio.")
        for p in store.list_portfolios(owner)[:LISTED]
    ]
    found += [
        resource(f"stratigos://runs/{job.id}", f"run {job.id}", f"Optimization {job.status}.")
        for job in store.list_jobs(owner, kinds=[OPTIMIZATION_KIND], limit=LISTED)
    ]
    found += [
        resource(
            f"stratigos://documents/{d.id}", d.name, f"Research document, {d.chunk_count} chunks."
        )
        for d in store.list_documents(owner)[:LISTED]
    ]
    return found


def read_owner_resource(store: Store, owner: str, uri: str) -> str:
    """The JSON text of the resource at `uri`; `McpError` (resource not found, with the
    project's error document as data) for an unknown URI or a record the owner does not have."""
    for pattern, read in _READERS:
        match = re.fullmatch(pattern, uri)
        if match is None:
            continue
        try:
            return json.dumps(read(store, owner, *match.groups()), default=str)
        except NotFoundError:
            break
    raise McpError(rpc_error(RESOURCE_NOT_FOUND, "NOT_FOUND", f"resource {uri!r} not found"))


def _profile(store: Store, owner: str) -> dict[str, Any]:
    return get_profile(store, owner).model_dump(mode="json")


def _portfolio(store: Store, owner: str, portfolio_id: str) -> dict[str, Any]:
    portfolio = store.get_portfolio(owner, portfolio_id)
    return {
        "id": portfolio.id,
        "name": portfolio.name,
        "weights": portfolio.weights,
        "notes": portfolio.data.get("notes"),
        "updated_at": portfolio.updated_at,
    }


def _run(store: Store, owner: str, job_id: str) -> dict[str, Any]:
    job = store.get_job(owner, job_id)
    body: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "progress": {"done": job.progress[0], "total": job.progress[1]},
        "request": job.request,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "trace": f"stratigos://runs/{job.id}/trace",
    }
    if job.status == "succeeded":
        result = store.get_result(owner, job_id).payload
        body["result"] = {**config_summary(result), "explanation": result.get("explanation")}
    return body


def _trace(store: Store, owner: str, job_id: str) -> dict[str, Any]:
    store.get_job(owner, job_id)  # NotFoundError for another owner's run
    events = store.events(owner, job_id, limit=TRACE_EVENTS)
    return {"run_id": job_id, "events": [json.loads(e.payload) for e in events]}


def _document(store: Store, owner: str, document_id: str) -> dict[str, Any]:
    document = store.get_document(owner, document_id)
    chunks = all_chunks(store, owner, document_id)
    return {
        "id": document.id,
        "name": document.name,
        "media_type": document.media_type,
        "pages": document.pages,
        "chunks": [{"reference": dict(c.reference), "text": c.text} for c in chunks],
    }


def _deployment_orders(store: Store, owner: str, deployment_id: str) -> dict[str, Any]:
    from api.deployment_views import order_out
    from trading.deployment_orders import deployment_orders

    deployment = store.get_deployment(owner, deployment_id)
    listed = deployment_orders(store, deployment)
    return {
        "deployment_id": deployment.id,
        "orders": [order_out(o).model_dump(mode="json") for o in listed],
    }


_READERS: tuple[tuple[str, Callable[..., dict[str, Any]]], ...] = (
    (r"stratigos://profile", _profile),
    (r"stratigos://portfolios/([A-Za-z0-9_-]{1,64})", _portfolio),
    (r"stratigos://runs/([A-Za-z0-9_-]{1,64})", _run),
    (r"stratigos://runs/([A-Za-z0-9_-]{1,64})/trace", _trace),
    (r"stratigos://documents/([A-Za-z0-9_-]{1,64})", _document),
    (r"stratigos://deployments/([A-Za-z0-9_-]{1,64})/orders", _deployment_orders),
)
