"""Delivery through real servers on loopback: SMTP (aiosmtpd), SES (moto) and a webhook
receiver; retries of transient errors only, a result per destination, never an exception, and
no secret in any message or log line."""

from __future__ import annotations

import json
import logging
import ssl
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from pydantic import SecretStr

from notifications import messages as m
from notifications.channels import SesChannel, SmtpChannel, WebhookChannel
from notifications.messages import Notification
from notifications.notifier import Delivery, Notifier
from notifications.outbound import WebhookPolicy
from notifications.preferences import Destination, NotificationPreferences
from notifications.redaction import REDACTED
from settings import NotificationSettings, SesSettings, Settings
from tests.notifications.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    Inbox,
    SmtpServer,
    WebhookReceiver,
    self_signed_context,
)
from tests.support.live_server import closed_port
from tests.support.settings import merged
from tests.support.smtp import smtp_controller

T = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
LOCAL = WebhookPolicy(development=True)
"""Local development's policy: the loopback receiver over http is allowed."""
SENDER = "alerts@stratigos.example.com"


def failed_run(reason: str = "broker unavailable: HTTP 503") -> Notification:
    return m.run_failed(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="Target vol 10%",
        run_id="run_7",
        reason=reason,
        attempt=1,
        max_attempts=3,
        time=T,
    )


def email_to(address: str) -> NotificationPreferences:
    return NotificationPreferences(destinations=(Destination(channel="email", address=address),))


def webhook_to(url: str) -> NotificationPreferences:
    return NotificationPreferences(destinations=(Destination(channel="webhook", address=url),))


def smtp_settings(server: SmtpServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "notifications": {
            "email_transport": "smtp",
            "email_from": SENDER,
            "smtp": {
                "host": server.host,
                "port": server.port,
                "user": SMTP_USER,
                "password": SecretStr(SMTP_PASSWORD),
            },
            "timeout": 5.0,
        }
    }
    return Settings.model_validate(merged(values, overrides))


# --- SMTP -----------------------------------------------------------------------------------


def test_smtp_delivers_a_plain_text_email(smtp_server: SmtpServer, sleeps: list[float]) -> None:
    notifier = Notifier.from_settings(smtp_settings(smtp_server), sleep=sleeps.append)
    notification = failed_run()
    deliveries = notifier.send(notification, email_to("pm@example.com"))
    assert deliveries == [Delivery("email", "pm@example.com", "sent", 1)]
    assert smtp_server.inbox.logins == [SMTP_USER]
    assert smtp_server.inbox.envelopes == [(SENDER, ["pm@example.com"])]
    (message,) = smtp_server.inbox.messages
    assert message["Subject"] == notification.subject
    assert message["From"] == SENDER
    assert message["To"] == "pm@example.com"
    assert message["Date"] == "Mon, 23 Nov 2026 14:30:00 +0000"
    assert message["X-Stratigos-Notification"] == "run_failed"
    assert message["Message-ID"].endswith("@stratigos.example.com>")
    assert message.get_content_type() == "text/plain"
    # SMTP carries lines ending in CRLF
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == notification.body
    assert sleeps == []


def test_smtp_without_login(smtp_server: SmtpServer) -> None:
    settings = smtp_settings(smtp_server, notifications={"smtp": {"user": None, "password": None}})
    deliveries = Notifier.from_settings(settings).send(failed_run(), email_to("pm@example.com"))
    assert [d.status for d in deliveries] == ["sent"]
    assert smtp_server.inbox.logins == []
    assert len(smtp_server.inbox.messages) == 1


def test_smtp_4xx_is_retried_then_delivered(smtp_server: SmtpServer, sleeps: list[float]) -> None:
    smtp_server.inbox.data_replies.extend(["451 4.3.0 try again later"] * 2)
    notifier = Notifier.from_settings(smtp_settings(smtp_server), sleep=sleeps.append)
    deliveries = notifier.send(failed_run(), email_to("pm@example.com"))
    assert deliveries == [Delivery("email", "pm@example.com", "sent", 3)]
    assert sleeps == [1.0, 2.0]
    assert len(smtp_server.inbox.messages) == 1


def test_smtp_refused_recipient_and_bad_password_are_not_retried(
    smtp_server: SmtpServer, sleeps: list[float]
) -> None:
    smtp_server.inbox.refused.add("gone@example.com")
    notifier = Notifier.from_settings(smtp_settings(smtp_server), sleep=sleeps.append)
    (refused,) = notifier.send(failed_run(), email_to("gone@example.com"))
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.reason == "SMTP server refused the recipient (reply 550)"

    wrong = Notifier.from_settings(
        smtp_settings(
            smtp_server, notifications={"smtp": {"password": SecretStr("wrong-password")}}
        ),
        sleep=sleeps.append,
    )
    (denied,) = wrong.send(failed_run(), email_to("pm@example.com"))
    assert (denied.status, denied.attempts) == ("failed", 1)
    assert denied.reason is not None and denied.reason.startswith("SMTP reply 535")
    assert sleeps == []
    assert smtp_server.inbox.messages == []


def test_unreachable_smtp_server_fails_after_the_bounded_retries(sleeps: list[float]) -> None:
    with closed_port() as port:
        channel = SmtpChannel(host="127.0.0.1", port=port, sender=SENDER, timeout=2.0)
        notifier = Notifier(
            {"email": channel}, max_attempts=3, retry_delay=0.5, sleep=sleeps.append
        )
        (delivery,) = notifier.send(failed_run(), email_to("pm@example.com"))
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.reason is not None and "unreachable" in delivery.reason
    assert sleeps == [0.5, 1.0]


# --- SES ------------------------------------------------------------------------------------


def ses_messages() -> list[dict[str, object]]:
    """The emails moto's SES backend recorded: the server runs in this process (a thread), so
    its backend is read here rather than through `/moto-api/data.json`, which serializes every
    service's backend (seconds on a loaded machine)."""
    from moto.ses.models import ses_backends

    return [
        vars(message)
        for regions in list(ses_backends.values())
        for backend in list(regions.values())
        for message in list(backend.sent_messages)
    ]


@pytest.fixture
def ses_settings(moto_endpoint: str, aws_env: None) -> Settings:
    boto3.client(
        "sesv2", region_name="us-east-1", endpoint_url=moto_endpoint
    ).create_email_identity(EmailIdentity=SENDER)
    return Settings(
        notifications=NotificationSettings(
            email_transport="ses",
            email_from=SENDER,
            ses=SesSettings(region="us-east-1", endpoint_url=moto_endpoint),
        )
    )


def test_ses_delivers_the_email(ses_settings: Settings, moto_endpoint: str) -> None:
    notifier = Notifier.from_settings(ses_settings)
    assert isinstance(notifier.channels["email"], SesChannel)
    notification = failed_run(reason="ses-test-reason-4711")
    deliveries = notifier.send(notification, email_to("pm@example.com"))
    assert deliveries == [Delivery("email", "pm@example.com", "sent", 1)]
    (sent,) = [s for s in ses_messages() if "ses-test-reason-4711" in str(s["body"])]
    assert sent["source"] == SENDER
    assert sent["destinations"] == {"ToAddresses": ["pm@example.com"]}
    assert sent["subject"] == notification.subject
    assert sent["body"] == notification.body


def test_ses_refusal_is_permanent(moto_endpoint: str, aws_env: None, sleeps: list[float]) -> None:
    channel = SesChannel(
        sender="unverified@example.org", region="us-east-1", endpoint_url=moto_endpoint
    )
    notifier = Notifier({"email": channel}, sleep=sleeps.append)
    (delivery,) = notifier.send(failed_run(), email_to("pm@example.com"))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert (
        delivery.reason
        == "SES refused the email: MessageRejected: Email address not verified unverified@example.org"
    )
    assert sleeps == []


# --- webhooks -------------------------------------------------------------------------------


def test_webhook_posts_slack_compatible_json(webhook: WebhookReceiver) -> None:
    notifier = Notifier({"webhook": WebhookChannel(policy=LOCAL, timeout=5.0)})
    notification = failed_run()
    (delivery,) = notifier.send(notification, webhook_to(webhook.url()))
    assert (delivery.channel, delivery.status, delivery.attempts) == ("webhook", "sent", 1)
    assert delivery.destination == f"http://127.0.0.1/{REDACTED}"
    (request,) = webhook.requests
    assert request.path == "/services/T0001/B0002/abcdefghijklmnopqrstuvwx"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.json() == {"text": f"{notification.subject}\n\n{notification.body}"}


def test_webhook_500_is_retried(webhook: WebhookReceiver, sleeps: list[float]) -> None:
    webhook.statuses.extend([500])
    notifier = Notifier({"webhook": WebhookChannel(policy=LOCAL, timeout=5.0)}, sleep=sleeps.append)
    (delivery,) = notifier.send(failed_run(), webhook_to(webhook.url()))
    assert (delivery.status, delivery.attempts, delivery.reason) == ("sent", 2, None)
    assert len(webhook.requests) == 2
    assert webhook.requests[0].body == webhook.requests[1].body
    assert sleeps == [1.0]


def test_webhook_retries_are_bounded(webhook: WebhookReceiver, sleeps: list[float]) -> None:
    webhook.statuses.extend([503, 429, 502, 500])
    notifier = Notifier(
        {"webhook": WebhookChannel(policy=LOCAL, timeout=5.0)}, max_attempts=3, sleep=sleeps.append
    )
    (delivery,) = notifier.send(failed_run(), webhook_to(webhook.url()))
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.reason == "webhook replied HTTP 502 Bad Gateway"
    assert len(webhook.requests) == 3
    assert sleeps == [1.0, 2.0]


def test_webhook_404_is_not_retried(webhook: WebhookReceiver, sleeps: list[float]) -> None:
    webhook.statuses.extend([404])
    notifier = Notifier({"webhook": WebhookChannel(policy=LOCAL, timeout=5.0)}, sleep=sleeps.append)
    (delivery,) = notifier.send(failed_run(), webhook_to(webhook.url()))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason == "webhook replied HTTP 404 Not Found"
    assert len(webhook.requests) == 1
    assert sleeps == []


def test_one_failed_channel_does_not_stop_the_others(
    smtp_server: SmtpServer, webhook: WebhookReceiver
) -> None:
    class Broken:
        def send(self, notification: Notification, address: str) -> None:
            raise RuntimeError("channel bug")

    notifier = Notifier({"email": Broken(), "webhook": WebhookChannel(policy=LOCAL, timeout=5.0)})
    prefs = NotificationPreferences(
        destinations=(
            Destination(channel="email", address="pm@example.com"),
            Destination(channel="webhook", address=webhook.url()),
        )
    )
    deliveries = notifier.send(failed_run(), prefs)
    assert [(d.channel, d.status, d.reason) for d in deliveries] == [
        ("email", "failed", "RuntimeError: channel bug"),
        ("webhook", "sent", None),
    ]


# --- secrets --------------------------------------------------------------------------------

AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
API_KEY = "stg_Q2hhbmdlTWVQbGVhc2VJdHNBVGVzdEtleTEyMzQ1Njc4OQ"
PEPPER = "pepper-0a1b2c3d4e5f"
WEBHOOK_PATH = "/services/T0001/B0002/abcdefghijklmnopqrstuvwx"


def leaky_reason(webhook_url: str) -> str:
    return (
        f"broker said: key {AWS_KEY_ID}, login {SMTP_PASSWORD}, api key {API_KEY}, "
        f"pepper {PEPPER}, hook {webhook_url}"
    )


SECRETS = (AWS_KEY_ID, SMTP_PASSWORD, API_KEY, PEPPER, "abcdefghijklmnopqrstuvwx")


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert REDACTED in text


def test_secrets_in_facts_reach_no_channel_and_no_log(
    smtp_server: SmtpServer,
    webhook: WebhookReceiver,
    ses_settings: Settings,
    moto_endpoint: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="notifications")
    url = webhook.url(WEBHOOK_PATH)
    notification = failed_run(reason=leaky_reason(url))
    prefs = NotificationPreferences(
        destinations=(
            Destination(channel="email", address="pm@example.com"),
            Destination(channel="webhook", address=url),
        )
    )
    webhook.statuses.extend([500])  # a retry: its log line too must be clean
    smtp = Notifier.from_settings(
        smtp_settings(smtp_server, store={"api_key_pepper": SecretStr(PEPPER)}),
        sleep=lambda _: None,
    )
    assert [d.status for d in smtp.send(notification, prefs)] == ["sent", "sent"]
    ses_with_secrets = ses_settings.model_copy(
        update={
            "notifications": ses_settings.notifications.model_copy(
                update={
                    "smtp": ses_settings.notifications.smtp.model_copy(
                        update={"password": SecretStr(SMTP_PASSWORD)}
                    )
                }
            ),
            "store": ses_settings.store.model_copy(update={"api_key_pepper": SecretStr(PEPPER)}),
        }
    )
    ses = Notifier.from_settings(ses_with_secrets)
    assert [d.status for d in ses.send(notification, prefs)] == ["sent", "sent"]

    (email,) = smtp_server.inbox.messages
    assert_clean(str(email["Subject"]) + email.get_content())
    for request in webhook.requests:
        assert_clean(request.json()["text"])
    (ses_email,) = [
        s for s in ses_messages() if AWS_KEY_ID in str(s["body"]) or REDACTED in str(s["body"])
    ]
    assert_clean(str(ses_email["subject"]) + str(ses_email["body"]))
    assert "Deployment: Target vol 10% (dep_1)" in str(ses_email["body"])
    logged = "\n".join(
        r.getMessage() + json.dumps({k: str(v) for k, v in vars(r).items()}) for r in caplog.records
    )
    for secret in SECRETS:
        assert secret not in logged
    assert "retrying" in logged


def test_failure_reasons_are_redacted(sleeps: list[float]) -> None:
    class Leaky:
        def send(self, notification: Notification, address: str) -> None:
            raise RuntimeError(f"failed with password={SMTP_PASSWORD} for {AWS_KEY_ID}")

    notifier = Notifier({"email": Leaky()})
    (delivery,) = notifier.send(failed_run(), email_to("pm@example.com"))
    assert delivery.reason == f"RuntimeError: failed with password={REDACTED} for {REDACTED}"


# --- STARTTLS -------------------------------------------------------------------------------


def test_starttls_checks_the_certificate(tmp_path: Path, sleeps: list[float]) -> None:
    inbox = Inbox()
    with smtp_controller(inbox, tls_context=self_signed_context(tmp_path)) as controller:
        channel = SmtpChannel(
            host="127.0.0.1",
            port=controller.port,
            sender=SENDER,
            user=SMTP_USER,
            password=SMTP_PASSWORD,
            starttls=True,
            timeout=5.0,
        )
        notifier = Notifier({"email": channel}, sleep=sleeps.append)
        (delivery,) = notifier.send(failed_run(), email_to("pm@example.com"))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason is not None and "certificate not trusted" in delivery.reason
    assert inbox.messages == [] and inbox.logins == []
    assert sleeps == []


def test_starttls_required_but_not_offered_is_permanent(smtp_server: SmtpServer) -> None:
    settings = smtp_settings(smtp_server, notifications={"smtp": {"starttls": True}})
    (delivery,) = Notifier.from_settings(settings).send(failed_run(), email_to("pm@example.com"))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason is not None and "STARTTLS" in delivery.reason
    assert smtp_server.inbox.logins == []


def test_starttls_with_a_trusted_certificate_delivers(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_controller(
        inbox,
        tls_context=self_signed_context(tmp_path),
        require_starttls=True,
        authenticator=inbox.authenticate,
    ) as controller:
        channel = SmtpChannel(
            host="127.0.0.1",
            port=controller.port,
            sender=SENDER,
            user=SMTP_USER,
            password=SMTP_PASSWORD,
            starttls=True,
            tls_context=ssl.create_default_context(cafile=tmp_path / "cert.pem"),
            timeout=5.0,
        )
        (delivery,) = Notifier({"email": channel}).send(failed_run(), email_to("pm@example.com"))
    assert (delivery.status, delivery.reason) == ("sent", None)
    assert inbox.logins == [SMTP_USER]
    assert len(inbox.messages) == 1
