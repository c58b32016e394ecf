"""The API's routers, one module per resource; `ROUTERS` is what `api.app` mounts."""

from fastapi import APIRouter

from api.routes import (
    accounts,
    agent_crons,
    agent_runs,
    agent_state,
    agent_store,
    agent_threads,
    analyses,
    deployment_events,
    deployments,
    documents,
    events,
    health,
    hedges,
    ideas,
    market_data,
    memories,
    monte_carlo,
    optimization,
    optimizations,
    portfolios,
    profile,
    threads,
    unversioned_analysis,
    unversioned_portfolios,
    web,
)

ROUTERS: list[APIRouter] = [
    health.router,
    optimizations.router,
    deployments.router,
    deployment_events.router,
    hedges.router,
    accounts.router,
    events.router,
    threads.router,
    portfolios.router,
    profile.router,
    optimization.router,
    analyses.router,
    monte_carlo.router,
    market_data.router,
    documents.router,
    ideas.router,
    memories.router,
    agent_threads.router,
    agent_state.router,
    agent_store.router,
    agent_crons.router,
    agent_runs.router,
    unversioned_portfolios.router,  # 001's paths, adapters over the /v1 routes above
    unversioned_analysis.router,
    web.router,  # last: the UI's / and /static routes never shadow /v1
]
