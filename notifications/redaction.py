"""Secrets never leave in a notification or a log line: a `Redactor` replaces the configured
secrets (every secret of the settings, the webhook addresses' tokens) and anything shaped like a
credential with `[redacted]`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import SecretStr

from settings import Settings, setting_fields

REDACTED = "[redacted]"

MIN_SECRET_LENGTH = 6
"""Configured secrets shorter than this are not searched for (they would redact ordinary words);
no real key is that short."""

_SECRET_NAME = re.compile(r"(key|secret|password|token|pepper)", re.IGNORECASE)
"""Settings whose name says they hold a secret, even when typed as a plain string."""

_PATTERNS = [
    # Stratigos API keys (store.base.generate_api_key: "stg_" + 43 URL-safe characters).
    re.compile(r"\bstg_[A-Za-z0-9_-]{20,}"),
    # AWS access key ids (long-term and temporary).
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    # Alpaca key ids: PK (paper) or AK (live) and 18 more upper-case letters and digits.
    re.compile(r"\b(?:PK|AK)[A-Z0-9]{18}\b"),
    # JSON web tokens (bearer tokens).
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    # Webhook addresses whose path is their token: Slack (hooks.slack.com/...), Mattermost and
    # Rocket.Chat (/hooks/...), Discord (/api/webhooks/...), Microsoft Teams (*.webhook.office.com).
    re.compile(r"(?<=hooks\.slack\.com/)[A-Za-z0-9/_-]+"),
    re.compile(r"(?<=/hooks/)[A-Za-z0-9/_-]+"),
    re.compile(r"(?<=/api/webhooks/)[A-Za-z0-9/_-]+"),
    re.compile(r"(?<=\.webhook\.office\.com/)[^\s\"']+"),
    # Passwords in URLs: scheme://user:password@host.
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    # Query parameters and assignments that name a secret: token=..., api_key: ...
    re.compile(
        r"(?i)(?<![A-Za-z0-9_])((?:api[_-]?key|access[_-]?token|token|secret|password|signature|sig)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;)]+"
    ),
]


class Redactor:
    """Replaces each of `secrets` (exact text, longest first) and each credential-shaped string
    with `[redacted]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        unique = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self._secrets = sorted(unique, key=len, reverse=True)

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """A redactor for these secrets as well as this one's."""
        return Redactor([*self._secrets, *secrets])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(_replacement, text)
        return text


def _replacement(match: re.Match[str]) -> str:
    # Patterns with a group keep the group (the name of the secret) and redact the value.
    return (match.group(1) if match.re.groups else "") + REDACTED


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret the settings hold: each `SecretStr` field, and each string field whose name
    says key, secret, password, token or pepper."""
    found: list[str] = []
    for setting in setting_fields(type(settings)):
        value = setting.value(settings)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, str) and _SECRET_NAME.search(setting.file_key):
            found.append(value)
    return found


TOKEN_SEGMENT_LENGTH = 16
"""A webhook path segment this long is taken for a token and redacted on its own too (words
such as `services` or `webhooks` are shorter)."""


def url_secrets(url: str) -> list[str]:
    """The parts of a webhook address that carry its token: the path, each long path segment,
    the query and any password (the scheme and host stay readable)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    segments = [s for s in path.split("/") if len(s) >= TOKEN_SEGMENT_LENGTH]
    return [p for p in (path, *segments, parts.query, parts.password or "") if p]


def display_url(url: str) -> str:
    """A webhook address as logs and delivery results show it: scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/{REDACTED}"
