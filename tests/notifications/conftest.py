"""Loopback receivers for the notification tests: an SMTP server (aiosmtpd), an HTTP webhook
receiver (http.server in a thread) and a moto server for SES; a recorded sleep instead of
real waits."""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.smtp import smtp_controller

SMTP_USER = "stratigos-mailer"
SMTP_PASSWORD = "smtp-pass-9f8e7d6c"


@dataclass
class Inbox:
    """What the SMTP server received, and how it answers: `data_replies` are returned to the
    next DATA commands (then 250), `refused` recipients get 550."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    data_replies: deque[str] = field(default_factory=deque)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.content
        assert isinstance(content, bytes)
        self.messages.append(cast(EmailMessage, message_from_bytes(content, policy=default_policy)))
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            self.logins.append(SMTP_USER)
        # handled=False: aiosmtpd answers a failure with 535 itself
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that accepts AUTH LOGIN/PLAIN without TLS (loopback only)."""
    inbox = Inbox()
    with smtp_controller(
        inbox, authenticator=inbox.authenticate, auth_require_tls=False
    ) as controller:
        yield SmtpServer("127.0.0.1", controller.port, inbox)


@dataclass
class WebhookRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records each POST and answers with the next of `statuses` (then 200 "ok"); a 3xx
    answer sends `Location: <base_url>/elsewhere`."""

    base_url: str
    requests: list[WebhookRequest] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)

    def url(self, path: str = "/services/T0001/B0002/abcdefghijklmnopqrstuvwx") -> str:
        return self.base_url + path


@contextmanager
def webhook_receiver(tls: ssl.SSLContext | None = None) -> Iterator[WebhookReceiver]:
    """A `WebhookReceiver` on 127.0.0.1 at a free port, over TLS with `tls` (a server context)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    receiver = WebhookReceiver(f"{scheme}://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append(WebhookRequest(self.path, dict(self.headers), body))
            status = receiver.statuses.popleft() if receiver.statuses else 200
            payload = b"ok" if status == 200 else b"error"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{receiver.base_url}/elsewhere")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="webhook", daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server (SES among the rest) on 127.0.0.1 at a free port, for the session."""
    with moto_server() as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a `Notifier` asked for (passed as its `sleep`: nothing really waits)."""
    return []


def _subject(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def self_signed_context(directory: Path, host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for `host` (an address or a name;
    `cert.pem` in `directory`), which no default trust store trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([_subject(host)]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
