"""Where notifications go: email (over SMTP or Amazon SES) and Slack-compatible webhooks.

A channel sends one notification to one address, or raises `TransientDeliveryError` (worth
another attempt: the server is unreachable, busy or throttling) or `PermanentDeliveryError`
(another attempt would fail the same way: a refused address, a missing webhook, a bad
password). Channels do not retry; the `Notifier` does.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from notifications.messages import Notification
from notifications.outbound import (
    Target,
    UnresolvedDestinationError,
    UnsafeDestinationError,
    WebhookPolicy,
)
from settings.config import Settings


class DeliveryError(Exception):
    """A channel could not deliver a notification; the message says why."""


class TransientDeliveryError(DeliveryError):
    """The delivery may succeed if tried again later."""


class PermanentDeliveryError(DeliveryError):
    """The delivery would fail again: do not retry."""


class Channel(Protocol):
    """Sends notifications to addresses of one kind (email addresses, webhook URLs)."""

    def send(self, notification: Notification, address: str) -> None:
        """Deliver `notification` to `address`, or raise a `DeliveryError`."""
        ...


def email_message(notification: Notification, sender: str, recipient: str) -> EmailMessage:
    """The plain-text email of a notification (UTF-8; Date is the notification's time)."""
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(notification.time)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Stratigos-Notification"] = notification.kind.value
    message.set_content(notification.body)
    return message


class _TrustedTls:
    """A channel's TLS context: the one given, or the system's trusted CAs loaded on first use
    (loading them takes tens of milliseconds; most channels built for a run never send)."""

    _tls_context: ssl.SSLContext | None

    @property
    def tls_context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context


class SmtpChannel(_TrustedTls):
    """Email through an SMTP server: STARTTLS first when `starttls` (the server's certificate and
    host name are checked against `tls_context`, by default the system's trusted CAs), then a login when a user is given. 4xx replies and lost connections are transient; 5xx
    replies, a missing STARTTLS or AUTH extension and an untrusted certificate are permanent."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.user = user
        self._password = password
        self.starttls = starttls
        # smtplib's own default context checks no certificate: always pass one that does
        self._tls_context = tls_context
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpChannel:
        password = settings.notifications.smtp.password
        return cls(
            host=settings.notifications.smtp.host,
            port=settings.notifications.smtp.port,
            sender=settings.notifications.email_from,
            user=settings.notifications.smtp.user,
            password=password.get_secret_value() if password is not None else None,
            starttls=settings.notifications.smtp.starttls,
            timeout=settings.notifications.timeout,
        )

    def send(self, notification: Notification, address: str) -> None:
        message = email_message(notification, self.sender, address)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls_context)
                if self.user is not None:
                    smtp.login(self.user, self._password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = all(400 <= c < 500 for c in codes)
            raise (TransientDeliveryError if transient else PermanentDeliveryError)(
                f"SMTP server refused the recipient (reply {', '.join(map(str, codes))})"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            error = TransientDeliveryError if 400 <= exc.smtp_code < 500 else PermanentDeliveryError
            detail = exc.smtp_error
            if isinstance(detail, bytes):
                detail = detail.decode(errors="replace")
            raise error(f"SMTP reply {exc.smtp_code}: {detail}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(f"SMTP server does not support it: {exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(
                f"SMTP server {self.host}:{self.port}: certificate not trusted: {exc.verify_message}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                f"SMTP server {self.host}:{self.port} unreachable: {type(exc).__name__}: {exc}"
            ) from exc


_TRANSIENT_AWS_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServiceError",
}


class SesChannel:
    """Email through Amazon SES (API v2 `SendEmail`, simple content). Throttling, 5xx replies
    and connection errors are transient; anything else SES refuses (an unverified sender, a
    paused account) is permanent. botocore makes one attempt per call: the `Notifier` retries."""

    def __init__(
        self,
        *,
        sender: str,
        region: str,
        endpoint_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        import boto3  # the AWS SDK only where SES is configured
        from botocore.config import Config

        self.sender = sender
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
        )
        self.client: Any = boto3.client(
            "sesv2", region_name=region, endpoint_url=endpoint_url, config=config
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SesChannel:
        return cls(
            sender=settings.notifications.email_from,
            region=settings.notifications.ses.region,
            endpoint_url=settings.notifications.ses.endpoint_url,
            timeout=settings.notifications.timeout,
        )

    def send(self, notification: Notification, address: str) -> None:
        import botocore.exceptions

        try:
            self.client.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": [address]},
                Content={
                    "Simple": {
                        "Subject": {"Data": notification.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": notification.body, "Charset": "UTF-8"}},
                    }
                },
                EmailTags=[{"Name": "notification", "Value": notification.kind.value}],
            )
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            transient = code in _TRANSIENT_AWS_CODES or status == 429 or status >= 500
            raise (TransientDeliveryError if transient else PermanentDeliveryError)(
                f"SES refused the email: {code}: {error.get('Message', '')}"
            ) from exc
        except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
            raise TransientDeliveryError(f"SES unreachable: {type(exc).__name__}") from exc


_TRANSIENT_HTTP_STATUSES = {408, 425, 429}

REPLY_BYTES = 65_536
"""The most of a webhook's reply that is read (its body is not used)."""


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to `host` made to the checked `address` (no second lookup)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to the checked `address` whose certificate must name `host`."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


class WebhookChannel(_TrustedTls):
    """Slack-compatible incoming webhooks: POST `{"text": subject, blank line, body}` as JSON.

    Every delivery checks the address against `policy` first (`notifications.outbound`: https,
    no credentials, public hosts; the host resolved now) and connects to an address it checked,
    with certificates checked against `tls_context` (default: the system's trusted CAs).
    Redirects are not followed (a 3xx is a permanent failure); each connect, send and read waits
    at most `timeout` seconds; at most `REPLY_BYTES` of the reply are read. Any 2xx reply is a
    delivery; 408, 425, 429, 5xx, connection errors and a host that does not resolve are
    transient; an address the policy refuses and other replies are permanent."""

    def __init__(
        self,
        *,
        policy: WebhookPolicy | None = None,
        timeout: float = 5.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy or WebhookPolicy()
        self.timeout = timeout
        self._tls_context = tls_context

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookChannel:
        return cls(
            policy=WebhookPolicy.from_settings(settings),
            timeout=settings.notifications.webhook_timeout,
        )

    def send(self, notification: Notification, address: str) -> None:
        try:
            target = self.policy.check(address)
        except UnresolvedDestinationError as exc:
            raise TransientDeliveryError(str(exc)) from exc
        except UnsafeDestinationError as exc:
            raise PermanentDeliveryError(f"webhook address refused: {exc}") from exc
        body = json.dumps({"text": notification.text}).encode()
        status, reason = self._post(target, body)
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            raise PermanentDeliveryError(
                f"webhook replied HTTP {status} {reason}: redirects are not followed"
            )
        transient = status in _TRANSIENT_HTTP_STATUSES or status >= 500
        raise (TransientDeliveryError if transient else PermanentDeliveryError)(
            f"webhook replied HTTP {status} {reason}"
        )

    def _post(self, target: Target, body: bytes) -> tuple[int, str]:
        """POST `body` to the first of the target's addresses that accepts a connection."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        failure: BaseException | None = None
        for address in target.addresses:
            connection = self._connection(target, address)
            try:
                connection.request("POST", target.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read(REPLY_BYTES)
                return response.status, response.reason
            except ssl.SSLCertVerificationError as exc:
                raise PermanentDeliveryError(
                    f"webhook {target.host}: certificate not trusted: {exc.verify_message}"
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                failure = exc
            finally:
                connection.close()
        raise TransientDeliveryError(
            f"webhook unreachable: {type(failure).__name__}: {failure}"
        ) from failure

    def _connection(self, target: Target, address: str) -> http.client.HTTPConnection:
        if target.scheme == "https":
            return _PinnedHTTPS(target.host, target.port, address, self.timeout, self.tls_context)
        return _PinnedHTTP(target.host, target.port, address, self.timeout)
