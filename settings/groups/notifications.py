"""How notifications leave: email over SMTP or SES, webhooks, retries
(`STRATIGOS_NOTIFICATIONS_*`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from settings.fields import SettingsGroup


class SmtpSettings(SettingsGroup):
    """The SMTP server of `notifications_email_transport = "smtp"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_NOTIFICATIONS_SMTP_"

    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    user: str | None = Field(
        default=None, description="Log in with this user (and the password) when set."
    )
    password: SecretStr | None = None
    starttls: bool = Field(
        default=False, description="Upgrade the connection with STARTTLS before logging in."
    )


class SesSettings(SettingsGroup):
    """Amazon SES, for `notifications_email_transport = "ses"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_NOTIFICATIONS_SES_"

    region: str = "us-east-1"
    endpoint_url: str | None = Field(
        default=None, description="Another SES endpoint (e.g. a moto server)."
    )


class NotificationSettings(SettingsGroup):
    """The channels of notifications (notifications/) and their retries."""

    env_prefix: ClassVar[str] = "STRATIGOS_NOTIFICATIONS_"

    email_transport: Literal["smtp", "ses"] = Field(
        default="smtp", description="How email notifications leave: an SMTP server, or Amazon SES."
    )
    email_from: str = Field(
        default="stratigos@localhost", description="The From address of notification emails."
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="The SMTP server.")
    ses: SesSettings = Field(default_factory=SesSettings, description="Amazon SES.")
    timeout: float = Field(default=10.0, gt=0, description="Seconds per SMTP or SES call.")
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts per channel on transient errors, the first included.",
    )
    retry_delay: float = Field(
        default=1.0, ge=0, description="Seconds before the first retry; doubles on each retry."
    )
    webhook_timeout: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="Seconds a webhook delivery waits to connect, to send and for each read.",
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Webhook hosts allowed to resolve to private addresses (e.g. a corporate "
        'relay inside your network: ["hooks.corp.example"]); https and no credentials still.',
    )
