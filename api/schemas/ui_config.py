"""The shape of `GET /v1/ui-config`: what the web UI must know before anyone signs in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CognitoSignInOut(BaseModel):
    """The Cognito user pool the web UI signs a user in at (SRP, then its challenges)."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="The user pool's AWS region, e.g. `eu-west-1`.")
    user_pool_id: str = Field(description="The user pool's id, `<region>_<id>`.")
    client_id: str = Field(description="The public app client the UI signs in with.")
    endpoint: str = Field(
        description="The Cognito Identity Provider address the UI calls (its JSON API)."
    )


class UiConfigOut(BaseModel):
    """How this deployment signs users in: with Cognito when `cognito` is set, else with an
    API key (which programs use everywhere)."""

    model_config = ConfigDict(extra="forbid")

    cognito: CognitoSignInOut | None = Field(
        description="The user pool of the sign-in form; null: the form takes an API key."
    )
