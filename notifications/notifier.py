"""Delivery: a notification to each destination that its preferences pick, with bounded retries
of transient errors and one result per destination. Never raises for a failed delivery: a
notification that cannot be delivered must not fail the trading run that sent it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from notifications.channels import (
    Channel,
    PermanentDeliveryError,
    SesChannel,
    SmtpChannel,
    TransientDeliveryError,
    WebhookChannel,
)
from notifications.messages import ChannelName, Notification
from notifications.preferences import Destination, NotificationPreferences
from notifications.redaction import Redactor, display_url, settings_secrets, url_secrets
from settings.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What became of one notification at one destination: `sent`, or `failed` with the
    (redacted) reason, after `attempts` attempts. `destination` is the address as logs show it
    (a webhook's URL is reduced to its host)."""

    channel: ChannelName
    destination: str
    status: Literal["sent", "failed"]
    attempts: int
    reason: str | None = None


def display_destination(destination: Destination) -> str:
    """An email address as it is; a webhook URL as its scheme and host only."""
    if destination.channel == "webhook":
        return display_url(destination.address)
    return destination.address


class Notifier:
    """Sends notifications through `channels` (by channel name).

    A transient error is retried up to `max_attempts` attempts in all, waiting `retry_delay`
    seconds before the first retry and twice as long before each next one (`sleep` is called
    to wait). A permanent error, or any other exception of a channel, fails the delivery at
    once. Subjects, bodies, reasons and log lines go through `redactor` and the destinations'
    webhook tokens first."""

    def __init__(
        self,
        channels: Mapping[ChannelName, Channel],
        *,
        redactor: Redactor | None = None,
        max_attempts: int = 3,
        retry_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.channels = dict(channels)
        self.redactor = redactor or Redactor()
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls, settings: Settings, *, sleep: Callable[[float], None] = time.sleep
    ) -> Notifier:
        """Email over SMTP or SES (`notifications_email_transport`), webhooks, the retry policy
        of the settings, and a redactor that knows every secret of the settings."""
        email: Channel = (
            SesChannel.from_settings(settings)
            if settings.notifications.email_transport == "ses"
            else SmtpChannel.from_settings(settings)
        )
        return cls(
            {"email": email, "webhook": WebhookChannel.from_settings(settings)},
            redactor=Redactor(settings_secrets(settings)),
            max_attempts=settings.notifications.max_attempts,
            retry_delay=settings.notifications.retry_delay,
            sleep=sleep,
        )

    def send(
        self, notification: Notification, *preferences: NotificationPreferences
    ) -> list[Delivery]:
        """Deliver `notification` to every destination of `preferences` that receives its kind
        (an address named by several preferences gets it once); one `Delivery` per destination."""
        destinations: dict[tuple[str, str], Destination] = {}
        for prefs in preferences:
            for d in prefs.destinations_for(notification.kind):
                destinations.setdefault((d.channel, d.address), d)
        redact = self.redactor.with_secrets(
            secret
            for prefs in preferences
            for d in prefs.destinations
            if d.channel == "webhook"
            for secret in url_secrets(d.address)
        )
        safe = notification.model_copy(
            update={"subject": redact(notification.subject), "body": redact(notification.body)}
        )
        return [self._deliver(safe, d, redact) for d in destinations.values()]

    def _deliver(
        self, notification: Notification, destination: Destination, redact: Redactor
    ) -> Delivery:
        shown = display_destination(destination)
        channel = self.channels.get(destination.channel)
        if channel is None:
            return self._result(notification, destination, shown, 0, "no such channel configured")
        attempt = 0
        while True:
            attempt += 1
            try:
                channel.send(notification, destination.address)
            except TransientDeliveryError as exc:
                if attempt >= self.max_attempts:
                    return self._result(notification, destination, shown, attempt, redact(str(exc)))
                delay = self.retry_delay * 2 ** (attempt - 1)
                logger.info(
                    "notification %s to %s %s: attempt %d failed (%s), retrying in %.1f s",
                    notification.kind.value,
                    destination.channel,
                    shown,
                    attempt,
                    redact(str(exc)),
                    delay,
                )
                self._sleep(delay)
            except PermanentDeliveryError as exc:
                return self._result(notification, destination, shown, attempt, redact(str(exc)))
            except Exception as exc:  # a broken channel must not fail the caller's run
                reason = redact(f"{type(exc).__name__}: {exc}")
                return self._result(notification, destination, shown, attempt, reason)
            else:
                return self._result(notification, destination, shown, attempt, None)

    @staticmethod
    def _result(
        notification: Notification,
        destination: Destination,
        shown: str,
        attempts: int,
        reason: str | None,
    ) -> Delivery:
        status: Literal["sent", "failed"] = "sent" if reason is None else "failed"
        fields = {
            "notification_kind": notification.kind.value,
            "owner": notification.owner,
            "deployment_id": notification.deployment_id,
            "channel": destination.channel,
            "destination": shown,
            "attempts": attempts,
            "status": status,
        }
        if reason is None:
            logger.info(
                "notification %s sent by %s to %s (attempts: %d)",
                notification.kind.value,
                destination.channel,
                shown,
                attempts,
                extra=fields,
            )
        else:
            logger.warning(
                "notification %s not delivered by %s to %s (attempts: %d): %s",
                notification.kind.value,
                destination.channel,
                shown,
                attempts,
                reason,
                extra={**fields, "reason": reason},
            )
        return Delivery(destination.channel, shown, status, attempts, reason)
