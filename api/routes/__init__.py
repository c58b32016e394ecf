"""The API's routers, one module per resource; `ROUTES` is what `api.app` mounts."""

from fastapi import APIRouter

from api.route_defaults import declared_by_api_router
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

for _router in ROUTERS:
    if not declared_by_api_router(_router):
        raise TypeError(f"the router tagged {_router.tags} is not made by api_router")

ROUTES = APIRouter()
"""Every route of `ROUTERS`, in their order: one per process, shared by the apps
`api.app.create_app` makes. The routes are mounted as their modules made them
(`api.route_defaults.api_router`: with the error responses every operation documents), not
included: FastAPI builds an included router's routes (their parameters' and bodies'
validators) again on the first request that reaches them, once per inclusion (~0.65 s a
process). An app's `dependency_overrides` do not reach them."""
for _router in ROUTERS:
    ROUTES.routes.extend(_router.routes)
