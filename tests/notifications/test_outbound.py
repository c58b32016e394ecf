"""The webhooks' outbound policy: https only, no credentials, public hosts only (the host
resolved at every check, through a resolver the tests inject), an allow-list, no redirects, a
short timeout; and the channel connects to the address it checked. Receivers run on loopback;
nothing leaves the machine."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

import pytest

from notifications.channels import WebhookChannel
from notifications.notifier import Notifier
from notifications.outbound import (
    UnresolvedDestinationError,
    UnsafeDestinationError,
    WebhookPolicy,
)
from notifications.preferences import Destination, NotificationPreferences
from settings import Settings
from tests.notifications.conftest import WebhookReceiver, self_signed_context, webhook_receiver
from tests.notifications.test_delivery import failed_run, webhook_to


class Resolver:
    """A resolver answering from `table` (host -> addresses), recording each question."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


PUBLIC = "93.184.216.34"

REFUSED = {
    # the issue's addresses, over https too so that the address itself is what refuses them
    "https://169.254.169.254/latest/meta-data/": "link-local",
    "https://127.0.0.1:8000/v1/kill-switch": "loopback",
    "https://10.0.0.1/": "private",
    "https://[::1]/": "loopback",
    # IPv6 forms that carry an IPv4 address, and the other special ranges
    "https://[::ffff:127.0.0.1]/": "loopback",
    "https://[::ffff:a9fe:a9fe]/latest/meta-data/": "link-local",
    "https://[2002:a00:1::]/": "private",
    "https://[fe80::1]/": "link-local",
    "https://[fc00::1]/": "private",
    "https://224.0.0.1/": "multicast",
    "https://0.0.0.0/": "unspecified",
    "https://100.64.0.1/": "non-public",
    "https://240.0.0.1/": "private",
    "https://[64:ff9b::a00:1]/": "reserved",
}


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_addresses_that_are_not_public_are_refused(url: str) -> None:
    policy = WebhookPolicy(resolver=Resolver({}))
    with pytest.raises(UnsafeDestinationError, match=f"a {REFUSED[url]} address"):
        policy.check(url)


def test_the_issue_s_http_addresses_and_credentials_are_refused() -> None:
    policy = WebhookPolicy(resolver=Resolver({"hooks.example.com": [PUBLIC]}))
    for url, why in (
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:8000/v1/kill-switch", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://hooks.example.com/services/T1", "must use https"),
    ):
        with pytest.raises(UnsafeDestinationError, match=why):
            policy.check(url)
    for url in ("https://user:secret@hooks.example.com/x", "https://token@hooks.example.com/x"):
        with pytest.raises(UnsafeDestinationError, match="user name or password"):
            policy.check(url)
    for url in ("ftp://hooks.example.com/", "file:///etc/passwd", "https:///no-host"):
        with pytest.raises(UnsafeDestinationError):
            policy.check(url)


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    resolver = Resolver(
        {
            "hooks.example.com": [PUBLIC, "2606:4700::1111"],
            "mixed.example.com": [PUBLIC, "10.0.0.5"],
            "rebound.example.com": ["::ffff:169.254.169.254"],
        }
    )
    policy = WebhookPolicy(resolver=resolver)
    target = policy.check("https://hooks.example.com/services/T1?x=1")
    assert target.addresses == (PUBLIC, "2606:4700::1111")
    assert (target.host, target.port, target.path) == ("hooks.example.com", 443, "/services/T1?x=1")
    with pytest.raises(
        UnsafeDestinationError, match=r"resolves to 10\.0\.0\.5, which is a private"
    ):
        policy.check("https://mixed.example.com/")
    with pytest.raises(UnsafeDestinationError, match="link-local"):
        policy.check("https://rebound.example.com/")
    with pytest.raises(UnresolvedDestinationError, match="does not resolve"):
        policy.check("https://nowhere.example.com/")
    assert resolver.asked == [
        "hooks.example.com",
        "mixed.example.com",
        "rebound.example.com",
        "nowhere.example.com",
    ]


def test_numeric_and_local_names_are_judged_by_what_they_resolve_to() -> None:
    """The system's own resolver, without any network: decimal and hex forms of 127.0.0.1 and
    `localhost` are loopback addresses."""
    policy = WebhookPolicy()
    for url in ("https://2130706433/", "https://0x7f000001/", "https://localhost/hook"):
        with pytest.raises(UnsafeDestinationError, match="loopback"):
            policy.check(url)


def test_the_allow_list_lets_a_named_host_be_private_but_not_plain_or_credentialed() -> None:
    resolver = Resolver({"hooks.corp.example": ["10.1.2.3"], "other.corp.example": ["10.1.2.4"]})
    settings = Settings(
        environment="production",
        store={"api_key_pepper": "pepper-of-the-test"},
        notifications={"webhook_allowed_hosts": ["Hooks.Corp.Example."]},
    )
    policy = WebhookPolicy.from_settings(settings, resolver)
    assert policy.check("https://hooks.corp.example/relay").addresses == ("10.1.2.3",)
    with pytest.raises(UnsafeDestinationError, match="private"):
        policy.check("https://other.corp.example/relay")
    with pytest.raises(UnsafeDestinationError, match="must use https"):
        policy.check("http://hooks.corp.example/relay")
    with pytest.raises(UnsafeDestinationError, match="user name or password"):
        policy.check("https://me:pw@hooks.corp.example/relay")


def test_local_development_allows_loopback_receivers_only() -> None:
    resolver = Resolver({"hooks.test": ["127.0.0.1"], "lan.test": ["192.168.1.20"]})
    policy = WebhookPolicy.from_settings(Settings(), resolver)
    assert policy.development
    assert policy.check("http://127.0.0.1:8080/hook").addresses == ("127.0.0.1",)
    assert policy.check("http://[::1]:8080/hook").addresses == ("::1",)
    assert policy.check("http://hooks.test/hook").addresses == ("127.0.0.1",)
    with pytest.raises(UnsafeDestinationError, match="private"):
        policy.check("https://lan.test/hook")
    with pytest.raises(UnsafeDestinationError, match="must use https"):
        policy.check(f"http://{PUBLIC}/hook")
    with pytest.raises(UnsafeDestinationError, match="private"):
        policy.check("https://10.0.0.1/")


def test_production_refuses_a_loopback_receiver_at_delivery(webhook: WebhookReceiver) -> None:
    """The receiver is reachable, but the policy refuses it before any connection: nothing
    arrives, and the failure is permanent (not retried)."""
    channel = WebhookChannel(policy=WebhookPolicy(), timeout=5.0)
    (delivery,) = Notifier({"webhook": channel}).send(failed_run(), webhook_to(webhook.url()))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason is not None and "loopback" in delivery.reason
    assert webhook.requests == []


def test_each_delivery_resolves_again_and_connects_to_the_address_it_checked(
    webhook: WebhookReceiver,
) -> None:
    """`hooks.test` resolves (through the injected resolver only) to the loopback receiver: the
    first delivery arrives there, with the name in its Host header. Then the name resolves to
    a private address: the next delivery is refused before connecting."""
    port = int(webhook.base_url.rsplit(":", 1)[1])
    resolver = Resolver({"hooks.test": ["127.0.0.1"]})
    channel = WebhookChannel(policy=WebhookPolicy(development=True, resolver=resolver))
    notifier = Notifier({"webhook": channel}, max_attempts=1)
    url = f"http://hooks.test:{port}/services/T1"
    (first,) = notifier.send(failed_run(), webhook_to(url))
    assert first.status == "sent"
    (request,) = webhook.requests
    assert request.path == "/services/T1" and request.headers["Host"] == f"hooks.test:{port}"
    resolver.table["hooks.test"] = ["10.0.0.1"]
    (second,) = notifier.send(failed_run(), webhook_to(url))
    assert second.status == "failed" and second.reason is not None
    assert "private" in second.reason
    assert len(webhook.requests) == 1
    assert resolver.asked == ["hooks.test", "hooks.test"]


def test_a_redirect_is_not_followed(webhook: WebhookReceiver) -> None:
    webhook.statuses.extend([302])
    channel = WebhookChannel(policy=WebhookPolicy(development=True))
    (delivery,) = Notifier({"webhook": channel}).send(failed_run(), webhook_to(webhook.url()))
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason is not None and "redirects are not followed" in delivery.reason
    assert [r.path for r in webhook.requests] == ["/services/T0001/B0002/abcdefghijklmnopqrstuvwx"]


def test_a_receiver_that_never_answers_is_given_up_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never reads nor answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        channel = WebhookChannel(policy=WebhookPolicy(development=True), timeout=0.2)
        (delivery,) = Notifier({"webhook": channel}, max_attempts=1).send(
            failed_run(), webhook_to(url)
        )
    assert delivery.status == "failed" and delivery.reason is not None
    assert "unreachable" in delivery.reason and "timed out" in delivery.reason


def test_https_checks_the_certificate_against_the_name_not_the_address(tmp_path: Path) -> None:
    """TLS to the checked address still verifies the certificate for the URL's host."""
    resolver = Resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    server_tls = self_signed_context(tmp_path, "hooks.test")
    trusted = ssl.create_default_context(cafile=tmp_path / "cert.pem")
    with webhook_receiver(server_tls) as receiver:
        port = receiver.base_url.rsplit(":", 1)[1]
        channel = WebhookChannel(
            policy=WebhookPolicy(development=True, resolver=resolver), tls_context=trusted
        )
        notifier = Notifier({"webhook": channel}, max_attempts=1)
        (sent,) = notifier.send(failed_run(), webhook_to(f"https://hooks.test:{port}/hook"))
        (wrong,) = notifier.send(failed_run(), webhook_to(f"https://other.test:{port}/hook"))
    assert sent.status == "sent"
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert wrong.status == "failed" and wrong.reason is not None
    assert "certificate not trusted" in wrong.reason


def test_preferences_name_the_destination_the_policy_refuses() -> None:
    preferences = NotificationPreferences(
        destinations=(
            Destination(channel="email", address="pm@example.com"),
            Destination(channel="webhook", address="https://hooks.example.com/T1"),
            Destination(channel="webhook", address="https://169.254.169.254/latest/"),
        )
    )
    policy = WebhookPolicy(resolver=Resolver({"hooks.example.com": [PUBLIC]}))
    ((field, problem),) = preferences.webhook_problems(policy)
    assert field == "destinations.2.address" and "link-local" in problem
