"""Where a webhook may send: the outbound policy every webhook address passes when it is saved
and again before every delivery.

- **https only**; plain http only to loopback addresses, and only in local development
  (`Settings.is_development()`).
- **No credentials in the URL** (`https://user:secret@host/...`): a webhook's secret is its path.
- **Public hosts only**: the host (an address, or a name resolved then and there) must resolve
  to public addresses only. Any address that is loopback, private, link-local, multicast,
  reserved, unspecified or otherwise not globally routable refuses the whole URL, IPv4 and IPv6
  alike, including IPv6 forms that carry an IPv4 address (`::ffff:10.0.0.1`, 6to4, Teredo).
  Local development allows loopback addresses (a receiver on your own machine).
- **The allow-list** (`notifications.webhook_allowed_hosts`): hosts named there may resolve to
  private addresses (a corporate relay inside your network); https and no credentials still.

`WebhookPolicy.check` returns the addresses it checked; the webhook channel connects to one of
them (never resolving the name again, so an answer that changes between the check and the
connection cannot send it elsewhere), follows no redirect and waits at most
`notifications.webhook_timeout` seconds per step.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from settings.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""(host, port) -> the addresses the host resolves to, as text (raises `OSError` when it does
not resolve)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives `host` for TCP connections to `port`."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UnsafeDestinationError(ValueError):
    """A webhook address the outbound policy refuses; the message says why, for its owner."""


class UnresolvedDestinationError(UnsafeDestinationError):
    """The webhook's host does not resolve now (at a delivery: worth another attempt)."""


@dataclass(frozen=True)
class Target:
    """A checked webhook address: where to connect (`addresses`, each allowed) and what to ask
    for (`host`, `port` and `path` with its query, as in the URL)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _embedded(address: IPAddress) -> list[IPAddress]:
    """`address` and the IPv4 addresses an IPv6 form carries (mapped, 6to4, Teredo client)."""
    found: list[IPAddress] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.append(address.teredo[1])
    return [*found, address]  # the carried address first: it says where the URL leads


def non_public(address: IPAddress) -> str | None:
    """Why `address` is not a public host's (`"loopback"`, `"private"`, ...), None when it is."""
    for candidate in _embedded(address):
        for kind, test in (
            ("loopback", candidate.is_loopback),
            ("link-local", candidate.is_link_local),
            ("multicast", candidate.is_multicast),
            ("unspecified", candidate.is_unspecified),
            ("private", candidate.is_private),
            ("reserved", candidate.is_reserved),
            ("non-public", not candidate.is_global),
        ):
            if test:
                return kind
    return None


def _is_loopback(address: IPAddress) -> bool:
    return any(candidate.is_loopback for candidate in _embedded(address))


@dataclass(frozen=True)
class WebhookPolicy:
    """The outbound policy of webhooks (see the module docstring). `development` allows loopback
    addresses (over http too); `allowed_hosts` may resolve to private addresses; `resolver`
    turns a host name into addresses (the system's by default; tests inject their own)."""

    development: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver | None = None) -> WebhookPolicy:
        """The policy of `settings`: development or not, and the allow-list."""
        hosts = frozenset(_normal_host(h) for h in settings.notifications.webhook_allowed_hosts)
        return cls(settings.is_development(), hosts, resolver or system_resolver)

    def check(self, url: str) -> Target:
        """The checked target of `url`, or `UnsafeDestinationError` saying why it is refused
        (`UnresolvedDestinationError` when its host does not resolve)."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise UnsafeDestinationError("a webhook address is an https:// URL")
        if parts.username is not None or parts.password is not None:
            raise UnsafeDestinationError(
                "a webhook address may not hold a user name or password (user:secret@host); "
                "the webhook's secret belongs in its path"
            )
        host = _normal_host(parts.hostname or "")
        if not host:
            raise UnsafeDestinationError("the webhook address names no host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise UnsafeDestinationError("the webhook address's port is not 1 to 65535") from None
        addresses = self._addresses(host, port)
        if host not in self.allowed_hosts:
            self._check_public(host, addresses)
        if scheme == "http" and not (self.development and all(map(_is_loopback, addresses))):
            raise UnsafeDestinationError(
                "a webhook address must use https (plain http reaches loopback receivers only, "
                "in local development)"
            )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(scheme, host, port, path, tuple(str(a) for a in addresses))

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        if _is_literal(host):
            return [ipaddress.ip_address(host)]
        try:
            resolved = self.resolver(host, port)
            addresses = [ipaddress.ip_address(a) for a in resolved]
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnresolvedDestinationError(
                f"the webhook's host {host} does not resolve: {_reason(exc)}"
            ) from None
        if not addresses:
            raise UnresolvedDestinationError(f"the webhook's host {host} resolves to no address")
        return addresses

    def _check_public(self, host: str, addresses: Iterable[IPAddress]) -> None:
        for address in addresses:
            if self.development and _is_loopback(address):
                continue
            kind = non_public(address)
            if kind is not None:
                where = host if _is_literal(host) else f"{host} resolves to {address}, which"
                raise UnsafeDestinationError(
                    f"{where} is a {kind} address: webhooks reach public hosts only (an "
                    "operator can allow a host with STRATIGOS_NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS)"
                )


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
