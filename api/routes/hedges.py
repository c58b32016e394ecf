"""The option hedges of deployments: `GET /v1/deployments/{id}/hedges` (positions, premiums,
the hedge queue's orders and dead letters), and the hedging kill switch: `POST
/v1/hedge-kill-switch` halts the caller's hedges (or one deployment's) and closes every option
they hold; `POST /v1/hedge-kill-switch/release` lets them trade again. Separate from `POST
/v1/kill-switch`, which stops rebalancing. Other owners' deployments are 404."""

from __future__ import annotations

from typing import Any

from api.context import Caller, Ctx
from api.errors import ApiError, not_found
from api.route_defaults import api_router
from api.schemas.hedges import HedgeKillIn, HedgeKillOut
from services.errors import InputError
from store import NotFoundError, utc_now

router = api_router(prefix="/v1", tags=["deployments"])


def _called(body: HedgeKillIn, act: Any) -> HedgeKillOut:
    try:
        return HedgeKillOut(**act().to_json())
    except InputError as exc:
        raise ApiError(
            422, "VALIDATION_ERROR", exc.message, [(f"body.{exc.field}", exc.problem)]
        ) from None
    except NotFoundError:
        raise not_found("deployment", body.deployment_id or "") from None


@router.get("/deployments/{deployment_id}/hedges", summary="The deployment's option hedge")
def hedges(deployment_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Contracts held per OCC symbol, net cash, premiums paid and received, settlements, fees,
    the hedge queue's orders and its dead letters, and the positions marked at the model price
    of the last close (`marks`, `market_value`, `pnl`); 404 for a deployment without a hedge."""
    from services.market_data import market_closes
    from trading.deployment_views import hedge_report

    try:
        deployment = context.store.get_deployment(caller.owner, deployment_id)
        closes = market_closes(context.settings)
        return hedge_report(context.store, deployment, utc_now(), closes)
    except (NotFoundError, InputError):
        raise not_found("deployment hedge", deployment_id) from None


@router.post("/hedge-kill-switch", response_model=HedgeKillOut, summary="Close every option hedge")
def pull(body: HedgeKillIn, context: Ctx, caller: Caller) -> HedgeKillOut:
    """Halt the hedges of the caller's deployments (or of `deployment_id`), cancel their open
    hedge orders and close every option they hold (sell to close longs, buy to close shorts),
    audited in each deployment's events. Pulling it again closes what is left, if anything."""
    from trading.kill_switch import hedge_kill_switch

    return _called(
        body,
        lambda: hedge_kill_switch(
            context.store,
            caller.owner,
            deployment_id=body.deployment_id,
            settings=context.settings,
        ),
    )


@router.post(
    "/hedge-kill-switch/release", response_model=HedgeKillOut, summary="Let hedges trade again"
)
def release(body: HedgeKillIn, context: Ctx, caller: Caller) -> HedgeKillOut:
    """Release the hedging kill switch for the caller's deployments (or `deployment_id`)."""
    from trading.kill_switch import release_hedges

    return _called(
        body, lambda: release_hedges(context.store, caller.owner, deployment_id=body.deployment_id)
    )
