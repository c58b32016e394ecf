"""`GET /v1/ui-config`: what the web UI needs before a user signs in (public, no data): the
Cognito user pool and app client it signs users in at, when this deployment has one.

The UI signs in with Cognito when `api.cognito.issuer` and `api.cognito.audience` (the web app
client's id) are both set; the pool's id and region come from the issuer
(`https://cognito-idp.<region>.amazonaws.com/<region>_<id>`), the address it calls from
`api.cognito.endpoint` (default Cognito's own in that region). `cognito_endpoint` is also what
the page's Content-Security-Policy allows it to connect to besides the API (`api.routes.web`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import Response

from api.context import Ctx
from api.page_policy import cognito_endpoint
from api.route_defaults import api_router
from api.schemas.ui_config import CognitoSignInOut, UiConfigOut
from settings import Settings

router = api_router(prefix="/v1", tags=["web UI"])

USER_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_([0-9A-Za-z]+)")
"""A user pool's id: its region, "_", its letters and digits (`eu-west-1_AbCdEf123`)."""


def cognito_sign_in(settings: Settings) -> CognitoSignInOut | None:
    """The user pool the UI signs in at, or None (API keys) when the issuer or the client id
    is unset or the issuer does not name a user pool (`USER_POOL_ID` as its last segment)."""
    cognito = settings.api.cognito
    if not cognito.issuer or not cognito.audience:
        return None
    pool_id = urlsplit(cognito.issuer).path.rstrip("/").rsplit("/", 1)[-1]
    match = USER_POOL_ID.fullmatch(pool_id)
    if match is None:
        return None
    region = match.group(1)
    endpoint = cognito.endpoint or cognito_endpoint(region)
    return CognitoSignInOut(
        region=region, user_pool_id=pool_id, client_id=cognito.audience, endpoint=endpoint
    )


def cognito_origin(settings: Settings) -> str | None:
    """The origin (`scheme://host[:port]`) of the Cognito address the UI calls, or None."""
    sign_in = cognito_sign_in(settings)
    if sign_in is None:
        return None
    parts = urlsplit(sign_in.endpoint)
    return f"{parts.scheme}://{parts.netloc}"


@router.get("/ui-config", response_model=UiConfigOut, summary="The web UI's sign-in settings")
def get_ui_config(context: Ctx, response: Response) -> UiConfigOut:
    """How the web UI signs a user in on this deployment (no authentication needed)."""
    response.headers["Cache-Control"] = "no-cache"
    return UiConfigOut(cognito=cognito_sign_in(context.settings))
