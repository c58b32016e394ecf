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

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from api.context import Caller, Ctx
from api.errors import ApiError, not_found, validation_error
from api.routes.portfolios import if_match_version
from notifications.preferences import NotificationPreferences
from services.errors import InputError
from services.profiles import (
    LimitValues,
    Profile,
    RiskTolerance,
    delete_profile,
    get_profile,
    replace_profile,
    update_profile,
)
from store import NotFoundError

router = APIRouter(prefix="/v1", tags=["profile"])

_EXAMPLE: dict[str, Any] = {
    "risk_tolerance": "conservative",
    "risk_limits": {"max_drawdown": 0.25, "cvar_95": 0.03},
    "benchmark": "SP500",
    "universe": ["AAPL", "JNJ", "KO", "MSFT", "PG", "XOM"],
    "exclusions": ["AMD", "tobacco"],
    "base_currency": "USD",
    "notifications": {"destinations": []},
}


class ProfileOut(BaseModel):
    """The caller's profile."""

    owner: str
    risk_tolerance: RiskTolerance
    risk_limits: LimitValues = Field(
        description="Default upper limits of optimization requests (fractions, positive = loss)."
    )
    benchmark: str | None = Field(description="A ticker of the market data, or SP500 (the index).")
    universe: list[str] | None = Field(description="Preferred tickers (null: none).")
    exclusions: list[str] = Field(description="Tickers and industry or sector terms never held.")
    base_currency: str = Field(description="ISO 4217; USD only today.")
    notifications: NotificationPreferences
    version: int = Field(description="0 until first saved; then increases by one on every save.")
    updated_at: datetime | None


class ProfileIn(BaseModel):
    """A whole profile (fields left out take their defaults)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": _EXAMPLE})

    risk_tolerance: RiskTolerance = "moderate"
    risk_limits: LimitValues = Field(default_factory=LimitValues)
    benchmark: str | None = Field(default=None, max_length=20)
    universe: list[str] | None = Field(default=None, max_length=50)
    exclusions: list[str] = Field(default_factory=list, max_length=100)
    base_currency: str = Field(default="USD", max_length=10)
    notifications: NotificationPreferences = Field(default_factory=NotificationPreferences)
    version: int | None = Field(
        default=None, ge=0, description="The version being replaced (0: none saved yet)."
    )


class ProfilePatch(BaseModel):
    """The fields to change (null resets a field to its default)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"exclusions": ["AMD"], "version": 1}}
    )

    risk_tolerance: RiskTolerance | None = None
    risk_limits: LimitValues | None = None
    benchmark: str | None = Field(default=None, max_length=20)
    universe: list[str] | None = Field(default=None, max_length=50)
    exclusions: list[str] | None = Field(default=None, max_length=100)
    base_currency: str | None = Field(default=None, max_length=10)
    notifications: NotificationPreferences | None = None
    version: int | None = Field(
        default=None, ge=0, description="The version being changed (0: none saved yet)."
    )


IfMatch = Annotated[
    str | None,
    Header(description='The version being changed, e.g. "3" (or `version` in the body).'),
]


def profile_out(profile: Profile) -> ProfileOut:
    """The API view of a profile."""
    return ProfileOut.model_validate(profile.model_dump())


def _answer(profile: Profile, response: Response) -> ProfileOut:
    response.headers["ETag"] = f'"{profile.version}"'
    return profile_out(profile)


def _expected(if_match: str | None, version: int | None) -> int | None:
    header = if_match_version(if_match, lowest=0)
    if header is not None and version is not None and header != version:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"If-Match names version {header} but the body names {version}",
            [("header.if-match", f"differs from body.version {version}")],
        )
    return header if header is not None else version


def _checked(change: Any) -> Profile:
    try:
        result: Profile = change()
    except InputError as exc:
        raise validation_error(f"body.{exc.field}", exc.problem) from None
    return result


@router.get("/profile", response_model=ProfileOut, summary="Your profile")
def read_profile(context: Ctx, caller: Caller, response: Response) -> ProfileOut:
    """The caller's profile (the default one, version 0, when none was saved)."""
    return _answer(get_profile(context.store, caller.owner), response)


@router.put("/profile", response_model=ProfileOut, summary="Replace your profile")
def put_profile(
    body: ProfileIn, context: Ctx, caller: Caller, response: Response, if_match: IfMatch = None
) -> ProfileOut:
    """Set every field (those left out take their defaults); 409 on a stale version."""
    expected = _expected(if_match, body.version)
    fields = body.model_dump(mode="json", exclude={"version"})
    profile = _checked(lambda: replace_profile(context.store, caller.owner, fields, expected))
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
    expected = _expected(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    profile = _checked(lambda: update_profile(context.store, caller.owner, changes, expected))
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
