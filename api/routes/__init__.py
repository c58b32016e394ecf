"""The API's routers, one module per resource; `ROUTES` is what `api.app` mounts."""

from fastapi import APIRouter

from api.errors import ERROR_RESPONSES
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
    owner_data,
    portfolios,
    profile,
    strategy_estimates,
    threads,
    ui_config,
    unversioned_analysis,
    unversioned_portfolios,
    vocabulary,
    web,
)

ROUTERS: list[APIRouter] = [
    health.router,
    vocabulary.router,
    ui_config.router,
    optimizations.router,
    strategy_estimates.router,
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
    owner_data.router,
    agent_threads.router,
    agent_state.router,
    agent_store.router,
    agent_crons.router,
    agent_runs.router,
    unversioned_portfolios.router,  # 001's paths, adapters over the /v1 routes above
    unversioned_analysis.router,
    web.router,  # last: the UI's / and /static routes never shadow /v1
]

ROUTES = APIRouter(
    responses=ERROR_RESPONSES,
    strict_content_type=False,  # no content type: JSON, as the contract reads it (api.md)
)
"""Every router of `ROUTERS`, with the error responses every operation documents: one per
process, its routes shared by the apps `api.app.create_app` makes. FastAPI builds an included
router's routes (their parameters' and bodies' validators) on the first request that reaches
them, once per inclusion: included here once, they are built once per process, not again for
each new app (~0.15-0.3 s an app). What an app would give the routes it includes is given
here (an app's `dependency_overrides` do not reach them)."""
for _router in ROUTERS:
    ROUTES.include_router(_router)
