"""`/v1/profile`: the caller's own profile (risk tolerance, default risk limits, benchmark,
preferred universe, exclusions, base currency, notification preferences; `services.profiles`).

`GET` answers the saved profile, or the default one (`version` 0) when none was saved. `PUT`
replaces every field (fields left out take their defaults); `PATCH` changes the fields given
(null resets a field; `risk_limits` merge key by key). Both take the version being changed
(`If-Match` header or `version` in the body; 0 for "no profile saved yet"): a profile changed
meanwhile is 409 and nothing is written. A field that cannot be used is 422 naming it
(`body.exclusions`, `body.risk_limits.cvar_95`). `DELETE` forgets the profile (its defaults
apply again). Every answer carries the version as `ETag`.
"""

from __future__ import annotations

from fastapi import Response

from api.concurrency import etag, expected_version
from api.context import Caller, Ctx
from api.errors import field_errors, not_found
from api.params import IfMatchFromZero
from api.route_defaults import api_router
from api.schemas.profile import ProfileIn, ProfileOut, ProfilePatch, profile_out
from services.profiles import (
    Profile,
    delete_profile,
    get_profile,
    replace_profile,
    update_profile,
)
from store import NotFoundError

router = api_router(prefix="/v1", tags=["profile"])

IfMatch = IfMatchFromZero


def _answer(profile: Profile, response: Response) -> ProfileOut:
    response.headers["ETag"] = etag(profile.version)
    return profile_out(profile)


@router.get("/profile", response_model=ProfileOut, summary="Your profile")
def read_profile(context: Ctx, caller: Caller, response: Response) -> ProfileOut:
    """The caller's profile (the default one, version 0, when none was saved)."""
    return _answer(get_profile(context.store, caller.owner), response)


@router.put("/profile", response_model=ProfileOut, summary="Replace your profile")
def put_profile(
    body: ProfileIn, context: Ctx, caller: Caller, response: Response, if_match: IfMatch = None
) -> ProfileOut:
    """Set every field (those left out take their defaults); 409 on a stale version."""
    expected = expected_version(if_match, body.version, lowest=0)
    fields = body.model_dump(mode="json", exclude={"version"})
    with field_errors("body."):
        profile = replace_profile(context.store, caller.owner, fields, expected, context.settings)
    return _answer(profile, response)


@router.patch("/profile", response_model=ProfileOut, summary="Change your profile")
def patch_profile(
    body: ProfilePatch,
    context: Ctx,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> ProfileOut:
    """Change the fields given (null resets one; `risk_limits` merge key by key, a null limit
    removing it); 409 on a stale version."""
    expected = expected_version(if_match, body.version, lowest=0)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    with field_errors("body."):
        profile = update_profile(context.store, caller.owner, changes, expected, context.settings)
    return _answer(profile, response)


@router.delete(
    "/profile",
    status_code=204,
    response_class=Response,
    summary="Forget your profile",
    responses={204: {"description": "Deleted: the defaults apply again."}},
)
def forget_profile(context: Ctx, caller: Caller) -> Response:
    """Delete the caller's profile (404 when none was saved)."""
    try:
        delete_profile(context.store, caller.owner)
    except NotFoundError:
        raise not_found("profile", caller.owner) from None
    return Response(status_code=204)
